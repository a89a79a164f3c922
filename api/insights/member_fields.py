"""A member's `rfm` and `segments` fields: the member itself and the program's staff, behind the
member's profiling consent, checked and logged (once a day) when read.

Without consent: no scores for anyone, and no segments for the member and the storefront; an
admin still sees the non-behavioural segments the member is in (behavioural ones never hold it).
A page of members (segment.members, members) is batched: one consent check, one log, one read
of scores and one of segments for the whole page, whatever its size."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import strawberry

from api.auth import Role
from api.context import Context
from api.errors import ClientError, TopLevelCode
from api.insights.types import RfmScore, Segment
from loyalty.insights import reads


async def _program(info: strawberry.Info[Context, Any], member_id: int, what: str) -> int:
    """The program id; FORBIDDEN for another member or a partner."""
    context = info.context
    principal = context.require_principal()
    permitted = principal.role in (Role.STOREFRONT, Role.ADMIN)
    if principal.role is Role.MEMBER:
        me = await context.me()
        permitted = me is not None and me.id == member_id
    if not permitted:
        raise ClientError(
            f"Forbidden: a member's {what} are for the member itself and the program's staff.",
            TopLevelCode.FORBIDDEN,
        )
    program = await context.require_program()
    return program.id


async def _consenting(info: strawberry.Info[Context, Any], program_id: int, what: str) -> Any:
    """The request's batch of consent checks for reads of `what` (one per page of members)."""
    context = info.context
    reason = f"{what} read by {context.require_principal().role.value}"

    async def load(ids: list[int]) -> list[bool]:
        allowed = await reads.profiling_allowed(
            program_id, ids, reason=reason, at=context.clock.now()
        )
        return [member_id in allowed for member_id in ids]

    return context.loader(("insights.profiling", what), load)


async def member_rfm(info: strawberry.Info[Context, Any], member_id: int) -> RfmScore | None:
    program_id = await _program(info, member_id, "RFM scores")
    consenting = await _consenting(info, program_id, "RFM scores")

    async def load(ids: list[int]) -> list[reads.Rfm | None]:
        allowed = [i for i, ok in zip(ids, await consenting.load_many(ids), strict=True) if ok]
        found = await reads.members_rfm(program_id, allowed)
        return [found.get(i) for i in ids]

    scores: reads.Rfm | None = await info.context.loader("insights.rfm", load).load(member_id)
    return RfmScore(**asdict(scores)) if scores is not None else None


async def member_segments(info: strawberry.Info[Context, Any], member_id: int) -> list[Segment]:
    program_id = await _program(info, member_id, "segments")
    consenting = await _consenting(info, program_id, "segments")
    context = info.context
    every = context.require_principal().role is Role.ADMIN

    async def load(ids: list[int]) -> list[list[reads.SegmentRow]]:
        consented = await consenting.load_many(ids)
        shown = [i for i, ok in zip(ids, consented, strict=True) if ok or every]
        found = await reads.members_segments(
            program_id, shown, now=context.clock.now(), every=every
        )
        return [found.get(i, []) for i in ids]

    rows: list[reads.SegmentRow] = await context.loader("insights.segments", load).load(member_id)
    return [Segment.of(row) for row in rows]
