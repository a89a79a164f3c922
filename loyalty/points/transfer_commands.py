"""What clients ask of points transfers, one command each; handlers in transfers.py,
transfer_reversal.py and transfer_settings.py."""

from __future__ import annotations

from dataclasses import dataclass

from backbone.bus import Command
from domain import transfers as rules
from loyalty.programs import ProgramRef


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferDone:
    """The transfer a write made (or first made, for a replay of its key)."""

    transfer_id: int
    replayed: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferPoints(Command[TransferDone]):
    """A member (`sender_external_id`, from its token) sends points to the member whose current
    referral code is `recipient_code`. `actor` owns the idempotency key."""

    program: ProgramRef
    actor: str
    idempotency_key: str
    sender_external_id: str
    recipient_code: str
    points: int
    message: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReverseTransfer(Command[TransferDone]):
    """An admin takes a transfer's points back from the recipient and gives them back."""

    program: ProgramRef
    actor: str
    idempotency_key: str
    transfer_id: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigureTransfers(Command[rules.TransferSettings]):
    """Set (replace) the program's transfer limits."""

    program: ProgramRef
    settings: rules.TransferSettings
