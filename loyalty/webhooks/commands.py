"""What clients ask of webhooks, one command each (handlers in handlers.py). `owner` is the
caller (`admin:<sub>` or `partner:<sub>`); `scope` None lets an admin reach every subscription
of the program, a partner's scope is its own owner string."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backbone.bus import Command


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateSubscription(Command[Any]):
    program_id: int
    owner: str
    url: str
    event_types: tuple[str, ...]
    description: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateSubscription(Command[Any]):
    program_id: int
    scope: str | None
    subscription_id: int
    url: str | None = None
    event_types: tuple[str, ...] | None = None
    description: str | None = None
    active: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RotateSecret(Command[Any]):
    program_id: int
    scope: str | None
    subscription_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteSubscription(Command[Any]):
    program_id: int
    scope: str | None
    subscription_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Redeliver(Command[Any]):
    program_id: int
    scope: str | None
    delivery_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SendTest(Command[Any]):
    program_id: int
    scope: str | None
    subscription_id: int
