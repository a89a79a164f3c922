"""Who reaches which subscriptions: an admin every one of its program, a partner its own."""

from __future__ import annotations

from typing import Any

import strawberry

from api.auth import Role
from api.context import Context
from api.permissions import roles
from domain.partners import Scope

IsAdminOrPartner = roles(Role.ADMIN, Role.PARTNER, scope=Scope.WEBHOOKS_MANAGE)
# Choosing which events an endpoint receives reads the event log: events:read as well.
SubscribesToEvents = roles(
    Role.ADMIN, Role.PARTNER, scope=(Scope.WEBHOOKS_MANAGE, Scope.EVENTS_READ)
)


def owner(info: strawberry.Info[Context, Any]) -> str:
    principal = info.context.require_principal()
    return f"{principal.role.value}:{principal.subject}"


def scope(info: strawberry.Info[Context, Any]) -> str | None:
    """None for an admin (all of the program's subscriptions), else the caller's own only."""
    principal = info.context.require_principal()
    return None if principal.role is Role.ADMIN else owner(info)
