"""GraphQL types of segments and RFM scores.

Segments are the program's admins' (queries, mutations, node); a member sees the member-visible
segments it is in through `me { segments }`, only with profiling consent. Sizes and member lists
are computed when asked (loyalty/insights/segments.py), never stored.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from tortoise import connections

from api.auth import Role
from api.consent import fields as consent_fields
from api.context import Context
from api.enums import described_enum
from api.permissions import IsAdmin
from api.relay import AFTER, FIRST, decode_cursor, encode_cursor, page_size
from domain import segments as rules
from domain.segments import Rules
from loyalty.insights import reads
from loyalty.insights.segments import segment_member_page

if TYPE_CHECKING:
    from api.members.types import MemberConnection

CURSOR = "segment"
MEMBER_CURSOR = "segment-member"
_WHO = "Admin; a member sees the member-visible segments it is in."

described_enum(
    rules.SegmentField,
    name="SegmentField",
    description="What a segment condition reads of a member. Admin.",
    values={
        "LOCALE": "The member's locale tag (texts; EQ, NE, IN).",
        "ENROLLED_DAYS": "Whole days since enrolment.",
        "TIER": "The member's tier key (texts; EQ, NE, IN); without a tier row, the first.",
        "POINTS_AVAILABLE": "Available points now.",
        "POINTS_EXPIRING": "Points of active lots expiring within withinDays days.",
        "DAYS_SINCE_LAST_ORDER": "Whole days since the last order that was not fully returned; "
        "a member without one matches no condition on it. Behavioural.",
        "ORDER_COUNT": "Orders not fully returned. Behavioural.",
        "COMMUNITY_POSTS": "Approved community posts within withinDays days. Behavioural.",
        "RECENCY_SCORE": "RFM recency score 1-5 (5: most recent). Behavioural.",
        "FREQUENCY_SCORE": "RFM frequency score 1-5 (5: most orders). Behavioural.",
        "MONETARY_SCORE": "RFM monetary score 1-5 (5: most spent). Behavioural.",
        "CHURN_PROBABILITY": "Predicted churn probability 0-1. Behavioural.",
        "DAYS_TO_EXPECTED_ORDER": "Days (started) until the predicted next order; negative "
        "when overdue: LTE 7 means expected within 7 days. Behavioural.",
    },
)
described_enum(
    rules.SegmentOperator,
    name="SegmentOperator",
    description="How a segment condition compares. Admin.",
    values={
        "EQ": "Equal.",
        "NE": "Not equal (a member without the fact matches neither EQ nor NE).",
        "LT": "Less than.",
        "LTE": "At most.",
        "GT": "More than.",
        "GTE": "At least.",
        "IN": "One of `texts` (text fields only).",
    },
)


@strawberry.type(description=f"One condition of a segment's rules. {_WHO}")
class SegmentCondition:
    field: rules.SegmentField = strawberry.field(description="What it reads.")
    operator: rules.SegmentOperator = strawberry.field(description="How it compares.")
    number: Decimal | None = strawberry.field(description="A numeric field's value.")
    texts: list[str] | None = strawberry.field(description="A text field's values.")
    within_days: int | None = strawberry.field(
        description="The window of POINTS_EXPIRING and COMMUNITY_POSTS, in days."
    )

    @classmethod
    def of(cls, condition: rules.Condition) -> SegmentCondition:
        return cls(
            field=condition.field,
            operator=condition.operator,
            number=condition.number,
            texts=list(condition.texts) if condition.texts else None,
            within_days=condition.within_days,
        )


@strawberry.type(
    description=f"A segment's rules: every `all` condition, and one of `any` if any. {_WHO}"
)
class SegmentRules:
    all: list[SegmentCondition] = strawberry.field(description="Conditions that must all hold.")
    any: list[SegmentCondition] = strawberry.field(
        description="Conditions of which one must hold; empty: no such requirement."
    )


@strawberry.type(description=f"A group of members defined by rules, computed when read. {_WHO}")
class Segment(relay.Node):
    segment_id: relay.NodeID[int]
    name: str = strawberry.field(description="Unique in the program.")
    description: str | None = strawberry.field(description="What it is for.")
    rules: SegmentRules = strawberry.field(description="Who is in it.")
    behavioural: bool = strawberry.field(
        description="True when a rule reads activity, RFM or predictions: then it only ever "
        "holds members who consent to profiling."
    )
    member_visible: bool = strawberry.field(
        description="Whether its members see it in `me { segments }`."
    )
    archived_at: datetime | None = strawberry.field(
        description="When it was archived (it then holds nobody); null while live."
    )
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    rules_held: strawberry.Private[Rules]

    @strawberry.field(
        description="How many members it holds now (0 once archived). Admin.",
        permission_classes=[IsAdmin],
    )
    async def size(self, info: strawberry.Info[Context, Any]) -> int:
        if self.archived_at is not None:
            return 0
        context = info.context

        async def load(held: list[Rules]) -> list[int]:
            program = await context.require_program()
            return await reads.segment_sizes(program.id, held, now=context.clock.now())

        found: int = await context.loader("insights.segment_sizes", load).load(self.rules_held)
        return found

    @strawberry.field(
        description="Its members now, by member id (empty once archived). Admin.",
        permission_classes=[IsAdmin],
    )
    async def members(
        self,
        info: strawberry.Info[Context, Any],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> Annotated[MemberConnection, strawberry.lazy("api.members.types")]:
        # api.members.types shows a member's segments: imported here, not at the top.
        from api.members.types import Member, MemberConnection

        limit = page_size(first, "members")
        after_id = decode_cursor(after, MEMBER_CURSOR) or 0
        program = await info.context.require_program()
        ids = await segment_member_page(
            _db(), program.id, self.segment_id, now=info.context.clock.now(),
            after_member_id=after_id, limit=limit + 1,
        )  # fmt: skip
        page = ids[:limit]
        found = await info.context.member_loader.load_many(page)
        await consent_fields.log_profile_reads(info, page)
        edges = [
            relay.Edge(
                cursor=encode_cursor(MEMBER_CURSOR, member.id), node=Member.from_model(member)
            )
            for member in found
            if member is not None
        ]
        return MemberConnection(
            edges=edges,
            page_info=relay.PageInfo(
                has_next_page=len(ids) > limit,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )

    @classmethod
    def of(cls, row: reads.SegmentRow) -> Segment:
        return cls(
            segment_id=row.id,
            name=row.name,
            description=row.description,
            rules=SegmentRules(
                all=[SegmentCondition.of(c) for c in row.rules.all],
                any=[SegmentCondition.of(c) for c in row.rules.any],
            ),
            behavioural=row.behavioural,
            member_visible=row.member_visible,
            archived_at=row.archived_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            rules_held=row.rules,
        )


@strawberry.type(description="A page of segments, in creation order. Admin.")
class SegmentConnection(relay.Connection[Segment]):
    """Keyset-paginated by segment id."""


def connection_of(
    found: list[reads.SegmentRow], limit: int, after: str | None
) -> SegmentConnection:
    page = found[:limit]
    edges = [relay.Edge(cursor=encode_cursor(CURSOR, row.id), node=Segment.of(row)) for row in page]
    return SegmentConnection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=len(found) > limit,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


@strawberry.type(
    description="A member's RFM scores: its facts and their quintile scores 1-5 within the "
    "program (5 best; equal values score equally). The member itself and the program's staff, "
    "only with the member's profiling consent."
)
class RfmScore:
    recency_days: int = strawberry.field(description="Whole days since the last counted order.")
    frequency: int = strawberry.field(description="Orders not fully returned.")
    monetary: Decimal = strawberry.field(
        description="Net spend (totals less returns) in the program's currency."
    )
    recency_score: int = strawberry.field(description="1-5; 5: among the most recent.")
    frequency_score: int = strawberry.field(description="1-5; 5: among the most orders.")
    monetary_score: int = strawberry.field(description="1-5; 5: among the biggest spenders.")
    computed_at: datetime = strawberry.field(description="When the daily job computed them.")


def _db() -> Any:
    return connections.get("default")


async def visible_segment(info: strawberry.Info[Context, Any], key: int) -> Segment | None:
    """A segment for its program's admins; nobody else reads one by id."""
    principal = info.context.require_principal()
    program = await info.context.program()
    if program is None or principal.role is not Role.ADMIN:
        return None
    program_id = program.id

    async def load(keys: list[int]) -> list[reads.SegmentRow | None]:
        found = await reads.segments_by_id(program_id, keys)
        return [found.get(k) for k in keys]

    # One query for a page of campaigns naming segments, not one per campaign.
    row: reads.SegmentRow | None = await info.context.loader("insights.segment", load).load(key)
    return Segment.of(row) if row is not None else None
