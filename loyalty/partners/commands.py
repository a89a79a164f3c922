"""What admins ask of partner clients, one command each (handlers in handlers.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backbone.bus import Command


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterPartnerClient(Command[Any]):
    program_id: int
    name: str
    scopes: tuple[str, ...]
    actor: str
    rate_limit: tuple[int, int] | None = None  # (maximum, restore per second); None: the role's


@dataclass(frozen=True, slots=True, kw_only=True)
class RotatePartnerSecret(Command[Any]):
    program_id: int
    client_key: int
    overlap_hours: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RevokePartnerClient(Command[Any]):
    program_id: int
    client_key: int
