"""What clients ask of the community, one command each (handlers in this package)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from backbone.bus import Command
from domain.community import Decision, Draft, ReactionKind, Settings

if TYPE_CHECKING:
    from loyalty.programs import ProgramRef


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigureCommunity(Command[Settings]):
    program: ProgramRef
    settings: Settings


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatePost(Command[int]):
    """A member's post; returns its key. Retried under the same key, the same post."""

    program: ProgramRef
    member_id: int
    actor: str
    draft: Draft
    idempotency_key: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ModeratePost(Command[int]):
    """An admin's decision on a post (its open reports are resolved with it)."""

    program: ProgramRef
    post_id: int
    decision: Decision
    reason: str | None
    actor: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReactToPost(Command[bool]):
    """A member's reaction; True if it was added now, False if the member had reacted so."""

    program: ProgramRef
    member_id: int
    post_id: int
    reaction: ReactionKind


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportPost(Command[bool]):
    """A member's report of abuse; True if new, False if the member had reported the post."""

    program: ProgramRef
    member_id: int
    post_id: int
    reason: str | None
