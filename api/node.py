"""`node(id:)`: any object by its opaque global id, if the caller may see it.

Ids are decoded here, not by a GraphQL scalar, so a malformed, unknown or foreign id is simply
not found (null) rather than an error that would reveal how ids are built.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry
from strawberry import relay

from api.campaigns.types import visible_campaign
from api.challenges.types import visible_badge, visible_challenge
from api.community.types import visible_post
from api.context import Context
from api.events.types import visible_event
from api.feedback.nodes import visible_response, visible_survey, visible_text_answer
from api.gifts.types import visible_gift
from api.insights.types import visible_segment
from api.members.types import visible_member
from api.partners.types import visible_client
from api.permissions import IsAnyRole
from api.points.types import visible_entry
from api.programs.types import own_program
from api.referrals.types import visible_referral
from api.relay import parse_key
from api.rewards.catalog_types import visible_reward
from api.rewards.types import visible_redemption
from api.tiers.queries import visible_tier_change
from api.transfers.types import visible_transfer

Resolver = Callable[[strawberry.Info[Context, Any], int], Awaitable[Any]]
NODE_RESOLVERS: dict[str, Resolver] = {
    "Event": visible_event,
    "LedgerEntry": visible_entry,
    "Member": visible_member,
    "PartnerClient": visible_client,
    "Program": own_program,
    "Redemption": visible_redemption,
    "Referral": visible_referral,
    "Reward": visible_reward,
    "TierChange": visible_tier_change,
    "Gift": visible_gift,
    "Segment": visible_segment,
    "CommunityPost": visible_post,
    "Challenge": visible_challenge,
    "Badge": visible_badge,
    "Campaign": visible_campaign,
    "PointsTransfer": visible_transfer,
    "Survey": visible_survey,
    "SurveyResponse": visible_response,
    "SurveyTextAnswer": visible_text_answer,
}


@strawberry.type
class NodeQueries:
    @strawberry.field(
        description="Any object by its global id; null if it does not exist or is not yours.",
        permission_classes=[IsAnyRole],
    )
    async def node(
        self,
        info: strawberry.Info[Context, Any],
        id: Annotated[strawberry.ID, strawberry.argument(description="An object's `id`.")],
    ) -> relay.Node | None:
        try:
            decoded = relay.GlobalID.from_id(id)
        except ValueError:
            return None
        if str(decoded) != id:  # see decode_global_id: one spelling per object
            return None
        resolver = NODE_RESOLVERS.get(decoded.type_name)
        key = parse_key(decoded.node_id)
        if resolver is None or key is None:
            return None
        node: relay.Node | None = await resolver(info, key)
        return node
