"""What clients and jobs ask of the gifts area, one command each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from backbone.bus import Command
from domain import gifts as rules
from loyalty.gifts.settings import Configured

if TYPE_CHECKING:
    from loyalty.programs import ProgramRef


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigureGift(Command[Configured]):
    """Set (replace) the program's gift of one kind."""

    program: ProgramRef
    settings: rules.GiftSettings


@dataclass(frozen=True, slots=True, kw_only=True)
class GiveGift(Command[rules.Status | None]):
    """Decide one pending gift: given or skipped with its reason; None if already decided."""

    program_id: int
    member_id: int
    gift_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimYearlyGifts(Command[int]):
    """Claim today's birthday or anniversary gifts of one setting (`today` in the program's
    zone) as pending gifts: how many were new."""

    program_id: int
    setting_id: int
    kind: rules.GiftKind
    timezone: str
    today: date
