"""GraphQL types of the events area."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from api.auth import Role
from api.context import Context
from api.members.types import Member
from backbone import outbox
from backbone.outbox import LoggedEvent

READERS = "Seen by the program's admins only."


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


async def visible_event(info: strawberry.Info[Context, Any], key: int) -> Event | None:
    """An event by key for an admin of its own program; for anyone else there is none (node(id:)
    admits every role, so the role is checked here)."""
    if info.context.require_principal().role is not Role.ADMIN:
        return None
    program = await info.context.program()
    found = await outbox.find(program.id, key) if program else None
    return Event.from_logged(found) if found else None


@strawberry.type(description=f"A page of the event log, newest first. {READERS}")
class EventConnection(relay.Connection[Event]):
    """Keyset-paginated on the event id: cursors stay valid while events are recorded."""
