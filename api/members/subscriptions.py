"""Subscriptions of the members area: a member's own status, live."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry

from api.context import Context
from api.live import live_context, until_message
from api.members.types import Member
from api.permissions import IsMember
from loyalty.live_updates import member_channel


@strawberry.type
class MemberSubscriptions:
    @strawberry.subscription(
        description=(
            "The member the token speaks for, as `me` shows it: once when subscribed, then again"
            " after each committed change to the member (points, tier, rewards within reach...)."
            " Null, and the end of the subscription, when the member is not enrolled or was erased."
            " Ends with UNAUTHENTICATED when the connection's token expires."
        ),
        permission_classes=[IsMember],
    )
    async def member_updated(
        self, info: strawberry.Info[Context, Any]
    ) -> AsyncGenerator[Member | None]:
        context = live_context(info)
        member = await context.me()
        program = await context.program()
        if member is None or program is None or context.redis is None:
            yield None
            return
        pubsub = context.redis.pubsub()
        # Subscribed before the first read: no change committed in between is missed.
        await pubsub.subscribe(member_channel(program.id, member.id))
        try:
            context.forget_reads()
            yield await _current(context)
            async for _ in until_message(
                context,
                lambda timeout: pubsub.get_message(ignore_subscribe_messages=True, timeout=timeout),
            ):
                context.forget_reads()
                current = await _current(context)
                yield current
                if current is None:
                    return
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]


async def _current(context: Any) -> Member | None:
    member = await context.me()
    return Member.from_model(member) if member else None
