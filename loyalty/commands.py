"""What clients ask of programs and members, one command each (handlers in programs.py,
members.py and points/config.py). Points commands are in points/commands.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from backbone.bus import Command
from domain.members import MemberStatus
from domain.points_config import PointsConfig
from loyalty.models import Member, Program

if TYPE_CHECKING:  # programs.py imports these commands; annotations are not evaluated
    from loyalty.programs import ProgramRef


@dataclass(frozen=True, slots=True)
class Enrollment:
    member: Member
    created: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateProgram(Command[Program]):
    key: str
    name: str
    currency: str
    timezone: str
    default_locale: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateProgram(Command[Program]):
    """Fields left None keep their value."""

    program_id: int
    name: str | None = None
    timezone: str | None = None
    default_locale: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigurePoints(Command[Program]):
    """`listed_events`: the events as the client listed them, so duplicates and positions are
    judged (domain.points_config.validate_points_config)."""

    program_id: int
    config: PointsConfig
    listed_events: Sequence[tuple[str, int]] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EnrollMember(Command[Enrollment]):
    program: ProgramRef
    external_id: str
    email: str
    display_name: str
    birthday: date | None = None
    locale: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateMember(Command[Member]):
    """Fields left None keep their value; `status` suspends or reactivates."""

    program: ProgramRef
    member_id: int
    email: str | None = None
    display_name: str | None = None
    birthday: date | None = None
    locale: str | None = None
    status: MemberStatus | None = None
