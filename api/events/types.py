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
from consent.published import may_use_many, record_reads
from domain.consent import PARTNER_SHARING, DataCategory
from domain.events import MemberErased
from domain.partners import Scope, members_named, partner_payload, shown_to_partners
from domain.validation import actor

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
    """The events as the caller may see them. A partner (domain/partners.py `partner_payload`)
    sees a member's id, and its activity fields, only with the member's partner_sharing consent
    (always the id in `member.erased`, so partners can forget the member), another member's key
    in the payload only with that member's; one consent statement for the page, and the members
    whose data was shown are logged in their data-usage log, once a day."""
    principal = info.context.require_principal()
    if principal.role is not Role.PARTNER:
        return [Event.from_logged(event) for event in events]
    program = await info.context.program()
    if program is None:
        return []
    named = {e.member_id for e in events if e.member_id is not None}
    for event in events:
        named |= members_named(event.payload)
    connection = connections.get("default")
    sharing = await may_use_many(connection, program.id, sorted(named), PARTNER_SHARING)
    await record_reads(
        connection,
        program_id=program.id,
        member_ids=sorted(sharing),
        purpose=PARTNER_SHARING,
        categories=(DataCategory.LOYALTY_ACTIVITY,),
        actor=actor(principal.role.value, principal.subject),
        reason="event log read by a partner",
        at=info.context.clock.now(),
        once_a_day=True,
    )
    return [
        Event.from_logged(
            dataclasses.replace(
                event,
                member_id=event.member_id
                if event.member_id in sharing or event.type == MemberErased.type
                else None,
                payload=partner_payload(
                    event.payload, member_shares=event.member_id in sharing, sharing=sharing
                ),
            )
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
    if found is None or (
        info.context.require_principal().role is Role.PARTNER and not shown_to_partners(found.type)
    ):
        return None
    return (await shown(info, [found]))[0]


@strawberry.type(description=f"A page of the event log, newest first. {READERS}")
class EventConnection(relay.Connection[Event]):
    """Keyset-paginated on the event id: cursors stay valid while events are recorded."""
