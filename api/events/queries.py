"""Queries of the events area: the program's event log, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

import strawberry

from api.auth import Role
from api.context import Context
from api.errors import ClientError, TopLevelCode
from api.events.types import EventConnection, shown
from api.permissions import roles
from api.relay import AFTER, FIRST, decode_cursor, keyset_connection, page_size
from backbone import outbox
from domain.events import EVENT_TYPES
from domain.partners import Scope, shown_to_partners

CURSOR_KIND = "event"
# A filter is a short list of what a client reacts to; room for every type there is.
MAX_TYPES = 100

TYPES = (
    f"Only events of these types (at most {MAX_TYPES}, each a known type such as "
    "`points.earned`); all types when omitted."
)
SINCE = "Only events that occurred at or after this instant (with its UTC offset)."
_FIRST = datetime.min.replace(tzinfo=UTC)
_LAST = datetime.max.replace(tzinfo=UTC)


def _types(types: Sequence[str] | None) -> list[str] | None:
    """The type filter, checked: a misspelt type would otherwise match nothing, silently."""
    if types is None:
        return None
    if len(types) > MAX_TYPES:
        raise ClientError(
            f"`types` on `events` takes at most {MAX_TYPES} types, got {len(types)}.",
            TopLevelCode.BAD_USER_INPUT,
        )
    for name in types:
        if name not in EVENT_TYPES:
            shown = repr(name) if len(name) <= 60 else f"{name[:57]!r}..."  # echo a bounded part
            raise ClientError(
                f"`types` on `events`: {shown} is not an event type.",
                TopLevelCode.BAD_USER_INPUT,
            )
    return sorted(set(types))


def _since(since: datetime | None) -> datetime | None:
    """`since` as a UTC instant. A time without an offset could mean any instant, and the
    database driver would read it in the server's own zone, so it is refused."""
    if since is None:
        return None
    if since.utcoffset() is None:
        raise ClientError(
            "`since` on `events` needs a UTC offset, e.g. 2026-06-15T12:00:00Z.",
            TopLevelCode.BAD_USER_INPUT,
        )
    try:
        return since.astimezone(UTC)
    except OverflowError:  # within a day of the calendar's ends: before or after every event
        return _FIRST if since.year == 1 else _LAST


@strawberry.type
class EventQueries:
    @strawberry.field(
        description="The program's event log, newest first: the events its committed writes "
        "recorded, kept for the retention period. `first` at most 100.",
        permission_classes=[roles(Role.ADMIN, Role.PARTNER, scope=Scope.EVENTS_READ)],
    )
    async def events(
        self,
        info: strawberry.Info[Context, Any],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
        types: Annotated[list[str] | None, strawberry.argument(description=TYPES)] = None,
        since: Annotated[datetime | None, strawberry.argument(description=SINCE)] = None,
    ) -> EventConnection:
        # Every argument is checked before anything is read.
        limit = page_size(first, "events")
        kinds = _types(types)
        if info.context.require_principal().role is Role.PARTNER:
            # Partners never see other partners' clients and endpoints: hidden types are left out.
            kinds = [t for t in (EVENT_TYPES if kinds is None else kinds) if shown_to_partners(t)]
        instant = _since(since)
        before_id = decode_cursor(after, CURSOR_KIND)
        program = await info.context.program()
        rows = (
            await outbox.page(
                program.id,
                before_id=outbox.NEWEST if before_id is None else before_id,
                types=kinds,
                since=instant,
                limit=limit + 1,
            )
            if program
            else []
        )
        page = rows[:limit]
        nodes = {row.id: node for row, node in zip(page, await shown(info, page), strict=True)}
        return keyset_connection(
            EventConnection, rows, limit, CURSOR_KIND, lambda row: nodes[row.id], after=after
        )
