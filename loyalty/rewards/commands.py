"""What clients ask of rewards, one command each: the catalog in catalog.py, redemptions in
redeeming.py, holds and cancellations in holds.py."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from backbone.bus import Command
from domain.ledger import Balance
from domain.redemptions import RewardsSettings
from domain.rewards import RewardSpec
from loyalty.programs import ProgramRef
from loyalty.rewards.models import Redemption, Reward


@dataclass(frozen=True, slots=True)
class RedemptionResult:
    """A redemption as it stands after the write, the member's points then, and whether this
    call replayed an earlier one under the same idempotency key."""

    redemption: Redemption
    balance: Balance | None = None
    replayed: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateReward(Command[Reward]):
    program: ProgramRef
    spec: RewardSpec


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateReward(Command[Reward]):
    """`changes`: RewardSpec field names to their new values; the others keep theirs."""

    program: ProgramRef
    reward_id: int
    changes: Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportCodes(Command[int]):
    """Partner-supplied codes for a POOL reward; answers how many were new."""

    program: ProgramRef
    reward_id: int
    codes: Sequence[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigureRewards(Command[RewardsSettings]):
    program_id: int
    settings: RewardsSettings


@dataclass(frozen=True, slots=True, kw_only=True)
class RedeemReward(Command[RedemptionResult]):
    """The member by id or by externalId (exactly one); `hold` reserves instead of spending."""

    program: ProgramRef
    actor: str
    idempotency_key: str
    reward_id: int
    member_id: int | None = None
    external_id: str | None = None
    hold: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfirmRedemption(Command[RedemptionResult]):
    program: ProgramRef
    actor: str
    redemption_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelRedemption(Command[RedemptionResult]):
    program: ProgramRef
    actor: str
    redemption_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MarkCodeUsed(Command[RedemptionResult]):
    """The checkout applied the redemption's code: from now on it cannot be refunded."""

    program: ProgramRef
    redemption_id: int


@dataclass(frozen=True, slots=True)
class ReleaseExpiredHolds(Command[int | None]):
    """The hold-expiry job's, for one member: None when another write held the member."""

    program_id: int
    member_id: int
