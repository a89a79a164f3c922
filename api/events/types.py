"""GraphQL types of the events area."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from tortoise import connections

from api.auth import Role
from api.context import Context
from api.members.types import Member
from backbone import outbox
from backbone.outbox import LoggedEvent
from consent.published import may_use_many
from domain.consent import PARTNER_SHARING
from domain.events import MemberErased
from domain.partners import Scope

READERS = (
    "Seen by the program's admins, and by partner tokens with events:read (a member's id "
    "only with the member's partner_sharing consent, and always in member.erased)."
)


@strawberry.type(
    description="Something that happened in the program, as its event log keeps it: recorded in "
    f"the same transaction as the write, so it exists exactly when that write committed. {READERS}"
)
class Event(relay.Node):
    event_id: relay.NodeID[int]
    type: str = strawberry.field(
        description="What happened: a dotted, stable name such as `points.earned`; the README "
        "lists every type with its payload."
    )
    occurred_at: datetime = strawberry.field(description="When the write that recorded it ran.")
    member_id: strawberry.ID | None = strawberry.field(
        description="The global id of the member it concerns (as `Member.id`); null for events "
        "of the program itself."
    )
    payload: JSON = strawberry.field(
        description="What the event says beyond whom it concerns, with camelCase keys; its "
        "fields depend on `type`. Never a member's profile (email, name, birthday, locale)."
    )

    @classmethod
    def from_logged(cls, event: LoggedEvent) -> Event:
        # The member as clients know it: its opaque global id, never the table's key.
        member = (
            relay.GlobalID(Member.__name__, str(event.member_id))
            if event.member_id is not None
            else None
        )
        return cls(
            event_id=event.id,
            type=event.type,
            occurred_at=event.occurred_at,
            member_id=strawberry.ID(str(member)) if member is not None else None,
            payload=JSON(event.payload),
        )


def may_read_events(info: strawberry.Info[Context, Any]) -> bool:
    principal = info.context.require_principal()
    return principal.role is Role.ADMIN or (
        principal.role is Role.PARTNER and Scope.EVENTS_READ.value in principal.scopes
    )


async def shown(info: strawberry.Info[Context, Any], events: list[LoggedEvent]) -> list[Event]:
    """The events as the caller may see them: a partner sees a member's id only with the
    member's partner_sharing consent (one statement for the page), and always in
    `member.erased`, so partners can forget the member (as webhooks do)."""
    if info.context.require_principal().role is not Role.PARTNER:
        return [Event.from_logged(event) for event in events]
    program = await info.context.program()
    members = sorted({e.member_id for e in events if e.member_id is not None})
    sharing = (
        await may_use_many(connections.get("default"), program.id, members, PARTNER_SHARING)
        if program is not None
        else set()
    )
    return [
        Event.from_logged(
            event
            if event.member_id in sharing or event.type == MemberErased.type
            else dataclasses.replace(event, member_id=None)
        )
        for event in events
    ]


async def visible_event(info: strawberry.Info[Context, Any], key: int) -> Event | None:
    """An event by key for an admin of its own program or a partner with events:read; for anyone
    else there is none (node(id:) admits every role, so the role is checked here)."""
    if not may_read_events(info):
        return None
    program = await info.context.program()
    found = await outbox.find(program.id, key) if program else None
    return (await shown(info, [found]))[0] if found else None


@strawberry.type(description=f"A page of the event log, newest first. {READERS}")
class EventConnection(relay.Connection[Event]):
    """Keyset-paginated on the event id: cursors stay valid while events are recorded."""
