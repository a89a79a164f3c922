"""What clients ask of challenges and badges, one command each (handlers in this package)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from backbone.bus import Command
from domain.challenges import BadgeSpec, ChallengeSpec
from loyalty.challenges.models import Badge, Challenge


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateBadge(Command[Badge]):
    program_id: int
    spec: BadgeSpec


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateChallenge(Command[Challenge]):
    """`badge_id`: a badge of the program the completion gives, or None (points only)."""

    program_id: int
    spec: ChallengeSpec
    badge_id: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateChallenge(Command[Challenge]):
    """Only the fields given change; the goal and reward never do (progress was made under
    them). `active: False` deactivates: events stop counting."""

    program_id: int
    challenge_id: int
    name: str | None = None
    description: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    active: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class JoinChallenge(Command[Challenge]):
    """A member opts in to an OPT_IN challenge; joining again changes nothing."""

    program_id: int
    member_id: int
    challenge_id: int
