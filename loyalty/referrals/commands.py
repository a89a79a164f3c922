"""What clients ask of referrals, one command each (handlers in this package)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from backbone.bus import Command
from domain.referrals import Settings

if TYPE_CHECKING:
    from loyalty.programs import ProgramRef


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigureReferrals(Command[Settings]):
    program: ProgramRef
    settings: Settings


@dataclass(frozen=True, slots=True, kw_only=True)
class AttributeReferral(Command[int]):
    """Attribute the referee (by externalId or member key) to the code's member; returns the
    referral's key. `actor`: who brought it (`partner:<client id>`, `storefront:<id>`...)."""

    program: ProgramRef
    code: str
    actor: str
    referee_external_id: str | None = None
    referee_member_id: int | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RegenerateReferralCode(Command[str]):
    """A new code for the member; the old one keeps attributing through the grace period."""

    program: ProgramRef
    member_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class EnsureReferralCode(Command[str]):
    """The member's current code, made now for a member enrolled before referral codes."""

    program: ProgramRef
    member_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewReferral(Command[int]):
    """An admin's decision on a held conversion: approve grants both rewards, else rejects."""

    program: ProgramRef
    referral_id: int
    approve: bool
    actor: str
