"""The GraphQL schema: the areas' queries and mutations, hardened and cached.

Parser and validation caches are bounded by the size of the documents they hold (unbounded ones
grow with every distinct query a client sends; bounded by count, with every large one). Token, depth, alias and expanded-field limits stop abusive documents before validation.
Every top-level error carries a code; unexpected ones are masked (api/error_policy.py).
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxTokensLimiter
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from api.access_log import AccessNote
from api.campaigns.mutations import CampaignMutations
from api.campaigns.queries import CampaignQueries
from api.challenges.mutations import ChallengeMutations
from api.challenges.queries import ChallengeQueries
from api.community.mutations import CommunityMutations
from api.community.queries import CommunityQueries
from api.consent.mutations import ConsentMutations
from api.consent.queries import ConsentQueries
from api.document_cache import DocumentParser
from api.error_policy import ErrorPolicy
from api.events.queries import EventQueries
from api.feedback.mutations import FeedbackMutations
from api.feedback.queries import FeedbackQueries
from api.gifts.mutations import GiftMutations
from api.gifts.queries import GiftQueries
from api.insights.predictions import PredictionQueries
from api.insights.segment_mutations import SegmentMutations
from api.insights.segment_queries import SegmentQueries
from api.limits import DocumentLimits, Limits
from api.members.mutations import MemberMutations
from api.members.queries import MemberQueries
from api.members.subscriptions import MemberSubscriptions
from api.node import NodeQueries
from api.partners.mutations import PartnerMutations
from api.partners.queries import PartnerQueries
from api.permissions import partner_scopes
from api.points.configuration import PointsConfigurationMutations
from api.points.mutations import PointsMutations
from api.privacy.mutations import PrivacyMutations
from api.programs.mutations import ProgramMutations
from api.programs.queries import ProgramQueries
from api.referrals.mutations import ReferralMutations
from api.referrals.queries import ReferralQueries
from api.rewards.mutations import RewardMutations
from api.rewards.queries import RewardQueries
from api.scalars import SCALAR_OVERRIDES
from api.throttle import CostThrottle
from api.tiers.mutations import TierMutations
from api.tiers.queries import TierQueries
from api.transfers.mutations import TransferMutations
from api.transfers.queries import TransferQueries
from api.webhooks.mutations import WebhookMutations
from api.webhooks.queries import WebhookQueries
from domain.throttling import MIN_BUCKET, MUTATION_COST

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 5000
# Fragments may not make a document select more fields than one written out in full could.
MAX_FIELDS = MAX_TOKENS
# Nor connections make it return more nodes: thirty `ledger(first: 100)` of three fields each
# (15,031) took 1.3 s to answer. Ten pages of 100 ledger entries with their audit fields fit.
MAX_COST = MAX_FIELDS
# Any document these limits accept fits a full throttling bucket, or it could never run.
assert MAX_COST + MUTATION_COST <= MIN_BUCKET
# Each `__schema` answers the whole schema (40 ms); GraphiQL asks for one, and `__type` is small.
MAX_SCHEMAS = 1
MAX_TYPES = 10


Query: Any = merge_types(
    "Query",
    (
        NodeQueries,
        ProgramQueries,
        MemberQueries,
        EventQueries,
        TierQueries,
        RewardQueries,
        ConsentQueries,
        ReferralQueries,
        WebhookQueries,
        PartnerQueries,
        GiftQueries,
        CommunityQueries,
        ChallengeQueries,
        CampaignQueries,
        TransferQueries,
        PredictionQueries,
        SegmentQueries,
        FeedbackQueries,
    ),
)
Query.__strawberry_definition__.description = "Entry points for reading."
Mutation: Any = merge_types(
    "Mutation",
    (
        ProgramMutations,
        PointsConfigurationMutations,
        MemberMutations,
        PointsMutations,
        TierMutations,
        RewardMutations,
        ConsentMutations,
        PrivacyMutations,
        ReferralMutations,
        WebhookMutations,
        PartnerMutations,
        GiftMutations,
        CommunityMutations,
        ChallengeMutations,
        CampaignMutations,
        TransferMutations,
        FeedbackMutations,
        SegmentMutations,
    ),
)
Mutation.__strawberry_definition__.description = "Entry points for writing; each takes one input."


def _describe_roles(*roots: Any) -> None:
    """End each root field's description with the roles its permission class admits, read from
    the declaration itself so that the documentation cannot drift from what is enforced."""
    for root in roots:
        for field in root.__strawberry_definition__.fields:
            allowed = sorted(
                role.value
                for permission in field.permission_classes
                for role in getattr(permission, "allowed", ())
            )
            if not allowed:
                raise TypeError(f"root field {field.python_name} declares no roles")
            scopes = sorted(
                scope.value
                for permission in field.permission_classes
                for scope in partner_scopes(permission)
            )
            needs = f" Partner scope: {', '.join(scopes)}." if scopes else ""
            field.description = f"{field.description} Roles: {', '.join(allowed)}.{needs}"


Subscription: Any = merge_types("Subscription", (MemberSubscriptions,))
Subscription.__strawberry_definition__.description = (
    "Live updates, over WebSocket with the graphql-transport-ws protocol only."
)
_describe_roles(Query, Mutation, Subscription)


class LoyaltySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Client errors (bad tokens, syntax, arguments) are not server faults; bugs are logged
        with their traceback by ErrorPolicy before masking, so nothing is logged here."""


def build_schema() -> strawberry.Schema:
    return LoyaltySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(relay_max_results=100),
        scalar_overrides=SCALAR_OVERRIDES,  # exact decimals, one date spelling (api/scalars.py)
        extensions=[
            AccessNote,  # names the operation in the access log (api/access_log.py)
            DocumentParser,
            lambda: DocumentLimits(
                Limits(
                    MAX_DEPTH, MAX_ALIASES, MAX_FIELDS, MAX_TOKENS, MAX_COST, MAX_SCHEMAS, MAX_TYPES
                )
            ),
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            ErrorPolicy,
            CostThrottle,  # inside ErrorPolicy: its refusal is a client's, shown as it is
        ],
    )


schema = build_schema()
