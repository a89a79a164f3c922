"""Queries of the community area: the feed, the moderation queue, review figures, settings."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from tortoise import connections

from api.auth import Role
from api.community.inputs import CommunitySettings
from api.community.types import (
    CURSOR,
    CommunityPostConnection,
    ReviewSummary,
    connection_of,
    reviews_of,
)
from api.context import Context
from api.errors import ClientError, TopLevelCode
from api.permissions import IsAdmin, roles
from api.relay import AFTER, FIRST, decode_cursor, decode_global_id, page_size
from domain.community import PostKind, Settings
from domain.earning import REFERENCE_MAX
from domain.validation import is_reference
from loyalty.community import reads, store

IsCommunityReader = roles(Role.MEMBER, Role.STOREFRONT, Role.ADMIN)


@strawberry.type
class CommunityQueries:
    @strawberry.field(
        description="The program's approved community posts, newest first, optionally of one "
        "kind or about one SKU; authors by display name only.",
        permission_classes=[IsCommunityReader],
    )
    async def community_feed(
        self,
        info: strawberry.Info[Context, Any],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
        kind: Annotated[
            PostKind | None, strawberry.argument(description="Only posts of this kind.")
        ] = None,
        sku: Annotated[
            str | None, strawberry.argument(description="Only reviews of this product SKU.")
        ] = None,
    ) -> CommunityPostConnection:
        limit = page_size(first, "communityFeed")
        before = decode_cursor(after, CURSOR)
        if sku is not None and not is_reference(sku, max_length=REFERENCE_MAX):
            raise ClientError(
                f"`sku` must be 1-{REFERENCE_MAX} printable characters.",
                TopLevelCode.BAD_USER_INPUT,
            )
        program = await info.context.program()
        rows: list[dict[str, Any]] = []
        if program is not None:
            rows = await reads.feed(
                program.id,
                kind=kind.value if kind is not None else None,
                sku=sku,
                before_id=before,
                limit=limit + 1,
            )
        return await connection_of(info, rows, limit, after)

    @strawberry.field(
        description="Posts waiting for a moderator and approved posts with open reports, "
        "oldest first. Decide with moderatePost.",
        permission_classes=[IsAdmin],
    )
    async def moderation_queue(
        self,
        info: strawberry.Info[Context, Any],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> CommunityPostConnection:
        limit = page_size(first, "moderationQueue")
        after_id = decode_cursor(after, CURSOR)
        program = await info.context.program()
        rows = (
            await reads.queue(program.id, after_id=after_id, limit=limit + 1)
            if program is not None
            else []
        )
        return await connection_of(info, rows, limit, after)

    @strawberry.field(
        description="How many approved reviews a product SKU or a catalog reward has, and "
        "their average rating; name exactly one.",
        permission_classes=[IsCommunityReader],
    )
    async def review_summary(
        self,
        info: strawberry.Info[Context, Any],
        sku: Annotated[str | None, strawberry.argument(description="A product's SKU.")] = None,
        reward_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="A reward's global id.")
        ] = None,
    ) -> ReviewSummary:
        if (sku is None) == (reward_id is None):
            raise ClientError("Name exactly one of sku or rewardId.", TopLevelCode.BAD_USER_INPUT)
        if sku is not None and not is_reference(sku, max_length=REFERENCE_MAX):
            raise ClientError(
                f"`sku` must be 1-{REFERENCE_MAX} printable characters.",
                TopLevelCode.BAD_USER_INPUT,
            )
        key = decode_global_id(reward_id, "Reward") if reward_id is not None else None
        if reward_id is not None and key is None:
            raise ClientError("`rewardId` is not a Reward id.", TopLevelCode.BAD_USER_INPUT)
        return await reviews_of(info, sku=sku, reward_id=key)

    @strawberry.field(
        description="The program's community settings (the defaults until configureCommunity).",
        permission_classes=[IsAdmin],
    )
    async def community_settings(self, info: strawberry.Info[Context, Any]) -> CommunitySettings:
        program = await info.context.program()
        if program is None:
            return CommunitySettings.of(Settings())
        return CommunitySettings.of(
            await store.load_settings(connections.get("default"), program.id)
        )
