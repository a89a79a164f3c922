"""What admins ask of tiers, one command each; handlers in config.py and evaluation.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from backbone.bus import Command
from domain.tiers import Policy, TierDef
from loyalty.programs import ProgramRef


class TakesEffect(StrEnum):
    NEXT_EVALUATION = "NEXT_EVALUATION"  # members move at their next evaluation moment
    REEVALUATION_QUEUED = "REEVALUATION_QUEUED"  # the evaluation job applies them to all now


@dataclass(frozen=True, slots=True)
class Configured:
    tiers: tuple[TierDef, ...]
    policy: Policy
    takes_effect: TakesEffect


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigureTiers(Command[Configured]):
    program: ProgramRef
    tiers: tuple[TierDef, ...]
    policy: Policy
    reevaluate: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ReevaluateTiers(Command[TakesEffect]):
    """`reason`: the note the history of every member it moves keeps."""

    program: ProgramRef
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AssignTier(Command[int]):
    """Returns the member's id. `until`: the day the assignment ends, when the evaluation job
    returns the member to the tier it earned (none: until an admin changes it)."""

    program: ProgramRef
    actor: str
    external_id: str
    tier_key: str
    reason: str
    until: date | None
