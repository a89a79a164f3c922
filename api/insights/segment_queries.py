"""Queries of segments: the program's live segments and one segment by id. Admin."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from api.context import Context
from api.insights.types import CURSOR, Segment, SegmentConnection, connection_of
from api.permissions import IsAdmin
from api.relay import AFTER, FIRST, decode_cursor, decode_global_id, page_size
from loyalty.insights import reads


@strawberry.type
class SegmentQueries:
    @strawberry.field(
        description="The program's live segments in creation order.",
        permission_classes=[IsAdmin],
    )
    async def segments(
        self,
        info: strawberry.Info[Context, Any],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> SegmentConnection:
        limit = page_size(first, "segments")
        after_id = decode_cursor(after, CURSOR) or 0
        program = await info.context.program()
        if program is None:
            return connection_of([], limit, after)
        found = await reads.segments_page(program.id, after_id=after_id, limit=limit + 1)
        return connection_of(found, limit, after)

    @strawberry.field(
        description="One segment of the program by id, archived or not; null if none.",
        permission_classes=[IsAdmin],
    )
    async def segment(
        self,
        info: strawberry.Info[Context, Any],
        id: Annotated[strawberry.ID, strawberry.argument(description="The segment's id.")],
    ) -> Segment | None:
        key = decode_global_id(id, "Segment")
        program = await info.context.program()
        if key is None or program is None:
            return None
        found = await reads.segment(program.id, key)
        return Segment.of(found) if found is not None else None
