"""A member's `rfm` and `segments` fields: the member itself and the program's staff, behind the
member's profiling consent, checked and logged (once a day) when read.

Without consent: no scores for anyone, and no segments for the member and the storefront; an
admin still sees the non-behavioural segments the member is in (behavioural ones never hold it)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import strawberry

from api.auth import Role
from api.context import Context
from api.errors import ClientError, TopLevelCode
from api.insights.types import RfmScore, Segment
from loyalty.insights import reads


async def _consented(
    info: strawberry.Info[Context, Any], member_id: int, what: str
) -> tuple[int, bool]:
    """The program id and whether the member consents to profiling now; FORBIDDEN for another
    member or a partner."""
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
    consented = await reads.profiling_allowed(
        program.id,
        member_id,
        reason=f"{what} read by {principal.role.value}",
        at=context.clock.now(),
    )
    return program.id, consented


async def member_rfm(info: strawberry.Info[Context, Any], member_id: int) -> RfmScore | None:
    program_id, consented = await _consented(info, member_id, "RFM scores")
    found = await reads.member_rfm(program_id, member_id) if consented else None
    return RfmScore(**asdict(found)) if found is not None else None


async def member_segments(info: strawberry.Info[Context, Any], member_id: int) -> list[Segment]:
    program_id, consented = await _consented(info, member_id, "segments")
    every = info.context.require_principal().role is Role.ADMIN
    if not (consented or every):
        return []
    found = await reads.member_segments(
        program_id, member_id, now=info.context.clock.now(), every=every
    )
    return [Segment.of(row) for row in found]
