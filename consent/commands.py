"""What clients ask of consent, one command each (handlers in consent/ledger.py and
consent/preferences.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backbone.bus import Command
from domain.consent import ConsentChange, ConsentSource, LegalBasis
from domain.preferences import Preferences


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberRef:
    """A member of the program by key or by externalId (exactly one)."""

    program_id: int
    member_id: int | None = None
    external_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateConsents(Command[int]):
    """Grant or withdraw purposes for a member; answers the member's key."""

    member: MemberRef
    changes: tuple[ConsentChange, ...]
    source: ConsentSource
    actor: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatePurpose(Command[dict[str, Any]]):
    program_id: int
    key: str
    description: str
    legal_basis: LegalBasis


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishPolicyVersion(Command[dict[str, Any]]):
    """A new version of a purpose's policy (optionally a new description)."""

    program_id: int
    purpose: str
    description: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdatePreferences(Command[tuple[int, Preferences]]):
    """Changes to a member's preference center: field names of Preferences to new values."""

    member: MemberRef
    program_timezone: str
    changes: dict[str, Any]
