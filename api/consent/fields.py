"""The consent fields of `Member` (consents, consentHistory, preferences, dataUsage) and the
logging of staff reads of members' profiles.

Visible to the member itself and to the program's storefront and admin tokens; never to a
partner, never to another member (FORBIDDEN). Consents and preferences are batched: a page of
members costs one statement for each, not one per member.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry
from strawberry import relay
from tortoise import connections

from api.auth import Role
from api.consent.types import (
    Consent,
    ConsentHistoryConnection,
    ConsentHistoryEdge,
    ConsentHistoryEntry,
    DataUse,
    DataUseConnection,
    DataUseEdge,
    MemberPreferences,
)
from api.context import Context
from api.errors import ClientError, TopLevelCode
from api.relay import decode_cursor, encode_cursor, page_size
from consent import reads
from consent.preferences import preferences_of
from consent.published import may_use_many, record_reads
from domain.consent import ACCOUNT, DataCategory, is_purpose_key
from domain.preferences import Channel
from domain.validation import actor

HISTORY_CURSOR = "consent"
USAGE_CURSOR = "use"
PROFILE_CATEGORIES = (DataCategory.CONTACT, DataCategory.PROFILE)


async def guard(info: strawberry.Info[Context, Any], member_id: int) -> None:
    """The member itself, or the program's storefront or admin; FORBIDDEN otherwise."""
    principal = info.context.require_principal()
    if principal.role in (Role.STOREFRONT, Role.ADMIN):
        return
    if principal.role is Role.MEMBER:
        me = await info.context.me()
        if me is not None and me.id == member_id:
            return
    raise ClientError(
        "Forbidden: a member's consents, preferences and data usage are for the member itself "
        "and the program's staff.",
        TopLevelCode.FORBIDDEN,
    )


async def consents(info: strawberry.Info[Context, Any], member_id: int) -> list[Consent]:
    await guard(info, member_id)
    context = info.context

    async def load(ids: list[int]) -> list[list[Consent]]:
        program = await context.program()
        if program is None:
            return [[] for _ in ids]
        found = await reads.consents_of(program.id, ids)
        return [[Consent.from_state(s) for s in found.get(i, [])] for i in ids]

    result: list[Consent] = await context.loader("consent.consents", load).load(member_id)
    return result


async def preferences(info: strawberry.Info[Context, Any], member_id: int) -> MemberPreferences:
    await guard(info, member_id)
    context = info.context

    async def load(ids: list[int]) -> list[MemberPreferences]:
        program = await context.program()
        assert program is not None  # a member was found in it
        connection = connections.get("default")
        found = await preferences_of(connection, ids, program.timezone)
        consented = {
            channel: await may_use_many(connection, program.id, ids, channel.purpose)
            for channel in Channel
        }
        return [
            MemberPreferences.build(
                found[i], {channel for channel, who in consented.items() if i in who}
            )
            for i in ids
        ]

    result: MemberPreferences = await context.loader("consent.preferences", load).load(member_id)
    return result


async def consent_history(
    info: strawberry.Info[Context, Any], member_id: int, first: int | None, after: str | None
) -> ConsentHistoryConnection:
    await guard(info, member_id)
    limit = page_size(first, "consentHistory")
    rows = await reads.history_page(
        member_id, before_id=decode_cursor(after, HISTORY_CURSOR), limit=limit + 1
    )
    edges = [
        ConsentHistoryEdge(
            cursor=encode_cursor(HISTORY_CURSOR, row.id), node=ConsentHistoryEntry.from_model(row)
        )
        for row in rows[:limit]
    ]
    return ConsentHistoryConnection(edges=edges, page_info=_page_info(edges, rows, limit, after))


async def data_usage(
    info: strawberry.Info[Context, Any],
    member_id: int,
    first: int | None,
    after: str | None,
    purpose: str | None,
) -> DataUseConnection:
    await guard(info, member_id)
    limit = page_size(first, "dataUsage")
    if purpose is not None and not is_purpose_key(purpose):
        raise ClientError("`purpose` is not a purpose key.", TopLevelCode.BAD_USER_INPUT)
    rows = await reads.usage_page(
        member_id, before_id=decode_cursor(after, USAGE_CURSOR), limit=limit + 1, purpose=purpose
    )
    edges = [
        DataUseEdge(cursor=encode_cursor(USAGE_CURSOR, row.id), node=DataUse.from_model(row))
        for row in rows[:limit]
    ]
    return DataUseConnection(edges=edges, page_info=_page_info(edges, rows, limit, after))


def _page_info(edges: Sequence[Any], rows: Sequence[Any], limit: int, after: str | None) -> Any:
    return relay.PageInfo(
        has_next_page=len(rows) > limit,
        has_previous_page=after is not None,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )


async def log_profile_reads(info: strawberry.Info[Context, Any], member_ids: Sequence[int]) -> None:
    """A storefront's or admin's read of members' profiles, in the data-usage log: who looked,
    when, why. One INSERT per batch (a page of members, or every lookup of one tick)."""
    context = info.context
    principal = context.require_principal()
    if principal.role not in (Role.STOREFRONT, Role.ADMIN) or not member_ids:
        return

    async def load(ids: list[int]) -> list[None]:
        program = await context.program()
        if program is not None:
            await record_reads(
                connections.get("default"),
                program_id=program.id,
                member_ids=list(dict.fromkeys(ids)),
                purpose=ACCOUNT,
                categories=PROFILE_CATEGORIES,
                actor=actor(principal.role.value, principal.subject),
                reason=f"profile read by {principal.role.value}",
                at=context.clock.now(),
            )
        return [None] * len(ids)

    await context.loader("consent.profile_reads", load).load_many(list(member_ids))
