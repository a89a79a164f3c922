"""Queries of the rewards area: the catalog and redemptions."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry import relay

from api.auth import Role
from api.context import Context
from api.errors import ClientError, TopLevelCode
from api.permissions import roles
from api.relay import AFTER, FIRST, decode_cursor, decode_global_id, keyset_connection, page_size
from api.rewards.catalog_types import Reward, RewardConnection, visible_reward
from api.rewards.types import Redemption, RedemptionConnection
from domain.members import is_external_id
from domain.rewards import RewardKind
from loyalty import members
from loyalty.rewards import reads
from loyalty.rewards.reach import member_tier

REWARD_CURSOR = "reward"
REDEMPTION_CURSOR = "redemption"
IsMemberStorefrontOrAdmin = roles(Role.MEMBER, Role.STOREFRONT, Role.ADMIN)
_EMPTY = relay.PageInfo(
    has_next_page=False, has_previous_page=False, start_cursor=None, end_cursor=None
)


@strawberry.type
class RewardQueries:
    @strawberry.field(
        description="The catalog in catalog order. Members and storefronts see the rewards "
        "offered now (active, inside their window); admins see every reward.",
        permission_classes=[IsMemberStorefrontOrAdmin],
    )
    async def rewards(
        self,
        info: strawberry.Info[Context, Any],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
        affordable: Annotated[
            bool | None,
            strawberry.argument(
                description="True: only rewards the member can redeem with its spendable points "
                "now, at its tier's price and open to its tier (the member token's own member, "
                "or `externalId` for storefront and admin tokens)."
            ),
        ] = None,
        kind: Annotated[
            RewardKind | None, strawberry.argument(description="Only rewards of this kind.")
        ] = None,
        external_id: Annotated[
            str | None,
            strawberry.argument(
                description="For storefront and admin tokens: whose points `affordable` judges by."
            ),
        ] = None,
    ) -> RewardConnection:
        limit = page_size(first, "rewards")
        after_id = decode_cursor(after, REWARD_CURSOR)
        context = info.context
        principal = context.require_principal()
        program = await context.program()
        if program is None:
            return RewardConnection(edges=[], page_info=_EMPTY)
        judged = None
        if affordable:
            member_id = await _member_for(info, external_id)
            balance = await context.balance_loader.load(member_id)
            available = balance.available if balance is not None else 0
            judged = (available, await member_tier(program.id, member_id))
        rows = await reads.catalog_page(
            program.id,
            after_id=after_id,
            limit=limit + 1,
            kind=kind,
            offered_only=principal.role is not Role.ADMIN,
            now=context.clock.now(),
            affordable=judged,
        )
        return keyset_connection(
            RewardConnection,
            rows,
            limit,
            REWARD_CURSOR,
            lambda row: Reward.from_model(row, program.currency),
            after=after,
        )

    @strawberry.field(
        description="A reward of the caller's program by global id; null if there is none "
        "(or, for members and storefronts, if it is not offered now).",
        permission_classes=[IsMemberStorefrontOrAdmin],
    )
    async def reward(
        self,
        info: strawberry.Info[Context, Any],
        id: Annotated[strawberry.ID, strawberry.argument(description="The reward's global id.")],
    ) -> Reward | None:
        key = decode_global_id(id, "Reward")
        return await visible_reward(info, key) if key is not None else None

    @strawberry.field(
        description="Redemptions, newest first: a member token's own; for storefront and admin "
        "tokens one member's (by externalId) or, without it, the whole program's.",
        permission_classes=[IsMemberStorefrontOrAdmin],
    )
    async def redemptions(
        self,
        info: strawberry.Info[Context, Any],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
        external_id: Annotated[
            str | None,
            strawberry.argument(description="For storefront and admin tokens: one member's."),
        ] = None,
    ) -> RedemptionConnection:
        limit = page_size(first, "redemptions")
        before_id = decode_cursor(after, REDEMPTION_CURSOR)
        program = await info.context.program()
        member_id = None
        if info.context.require_principal().role is Role.MEMBER or external_id is not None:
            member_id = await _member_for(info, external_id)
        rows = (
            await reads.redemptions_page(program.id, member_id, after_id=before_id, limit=limit + 1)
            if program is not None and member_id != 0
            else []
        )
        return keyset_connection(
            RedemptionConnection,
            rows,
            limit,
            REDEMPTION_CURSOR,
            Redemption.from_model,
            after=after,
        )


async def _member_for(info: strawberry.Info[Context, Any], external_id: str | None) -> int:
    """The member whose points or redemptions are asked for: a member token's own (it may name
    no other); for staff the one `externalId` names. 0 when there is no such member."""
    context = info.context
    if context.require_principal().role is Role.MEMBER:
        if external_id is not None:
            raise ClientError(
                "A member token reads its own rewards: leave `externalId` out.",
                TopLevelCode.BAD_USER_INPUT,
            )
        me = await context.me()
        return me.id if me is not None else 0
    if external_id is None:
        raise ClientError(
            "`affordable` needs `externalId`: whose points to judge by.",
            TopLevelCode.BAD_USER_INPUT,
        )
    program = await context.program()
    if program is None or not is_external_id(external_id):
        return 0
    found = await members.member_by_external_id(program.id, external_id)
    return found.id if found is not None else 0
