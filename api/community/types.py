"""GraphQL types of the community area, and its fields of `Member` and `Reward`.

Authors appear by display name only (never contact data), and not at all once erased. Who sees
what: approved posts are for every member, storefront and admin of the program; a post in any
other state only for its author and admins; rejection reasons for the same; open reports for
admins only.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry import relay

from api.auth import Role
from api.consent import fields as consent_fields
from api.context import Context
from api.enums import described_enum
from api.referrals.types import global_id
from api.relay import decode_cursor, encode_cursor, page_size
from domain.community import Decision, PostKind, PostStatus, ReactionKind, average_rating
from domain.members import MemberStatus
from loyalty.community import reads
from loyalty.community.store import review_subject

CURSOR = "community"

described_enum(
    PostKind,
    name="CommunityPostKind",
    description="What a community post is.",
    values={
        "REVIEW": "A review of a product (by SKU) or a catalog reward, rated 1-5.",
        "TIP": "A tip for other members.",
        "QUESTION": "A question other members may answer.",
        "ANSWER": "An answer to an approved question.",
    },
)
described_enum(
    PostStatus,
    name="CommunityPostStatus",
    description="Where a post stands in moderation.",
    values={
        "PENDING": "Waiting for a moderator; only its author and admins see it.",
        "APPROVED": "Visible to the program's members.",
        "REJECTED": "Refused by a moderator, with a reason; only its author and admins see it.",
        "REMOVED": "Taken down by a moderator; its points were reversed.",
    },
)
described_enum(
    Decision,
    name="ModerationDecision",
    description="A moderator's decision on a post.",
    values={
        "APPROVE": "Show it (for an approved, reported post: keep it and dismiss its reports).",
        "REJECT": "Refuse a pending post, with a reason.",
        "REMOVE": "Take it down for good; what it earned is reversed.",
    },
)
described_enum(
    ReactionKind,
    name="CommunityReactionKind",
    description="How a member reacts to a post (each kind once per member and post).",
    values={
        "HELPFUL": "The post helped; enough of these earn its author a thank-you bonus.",
        "LIKE": "The member likes the post.",
    },
)


@strawberry.type(description="Who wrote a post, as other members may see it.")
class CommunityAuthor:
    display_name: str | None = strawberry.field(
        description="The author's display name; null once the author was erased."
    )


@strawberry.type(description="A member's review, tip, question or answer.")
class CommunityPost(relay.Node):
    post_id: relay.NodeID[int]
    kind: PostKind = strawberry.field(description="What the post is.")
    status: PostStatus = strawberry.field(description="Where it stands in moderation.")
    title: str | None = strawberry.field(description="Its title (tips and questions have one).")
    body: str = strawberry.field(description="Its text, up to 5,000 characters.")
    rating: int | None = strawberry.field(description="A review's rating, 1-5; null otherwise.")
    sku: str | None = strawberry.field(description="The reviewed product's SKU, or null.")
    reward_id: strawberry.ID | None = strawberry.field(
        description="The reviewed catalog reward's global id, or null."
    )
    question_id: strawberry.ID | None = strawberry.field(
        description="An answer's question (a CommunityPost global id), or null."
    )
    author: CommunityAuthor = strawberry.field(description="Who wrote it (display name only).")
    helpful_count: int = strawberry.field(description="Members who found it helpful.")
    like_count: int = strawberry.field(description="Members who like it.")
    created_at: datetime = strawberry.field(description="When it was posted.")
    reject_reason: str | None = strawberry.field(
        description="Why a moderator rejected it: for its author and admins; null otherwise."
    )
    open_reports: int | None = strawberry.field(
        description="Reports of abuse not yet moderated: for admins; null for others."
    )
    points_earned: int | None = strawberry.field(
        description="Points it earned its author (contribution and helpfulness bonus; taken "
        "back if removed): for its author and admins; null for others."
    )


@strawberry.type(description="A page of community posts.")
class CommunityPostConnection(relay.Connection[CommunityPost]):
    """Keyset pages by post."""


@strawberry.type(description="The approved reviews of a product or reward.")
class ReviewSummary:
    count: int = strawberry.field(description="How many approved reviews it has.")
    average_rating: Decimal | None = strawberry.field(
        description="Their mean rating, 1-5 to two decimals (half up); null without reviews."
    )


def post_of(row: dict[str, Any], *, admin: bool, own: bool) -> CommunityPost:
    erased = row["author_status"] == MemberStatus.ERASED
    privileged = admin or own
    return CommunityPost(
        post_id=row["id"],
        kind=PostKind(row["kind"]),
        status=PostStatus(row["status"]),
        title=row["title"],
        body=row["body"],
        rating=row["rating"],
        sku=row["sku"],
        reward_id=global_id("Reward", row["reward_id"]),
        question_id=global_id("CommunityPost", row["question_id"]),
        author=CommunityAuthor(display_name=None if erased else row["author_name"]),
        helpful_count=row["helpful_count"],
        like_count=row["like_count"],
        created_at=row["created_at"],
        reject_reason=row["reject_reason"] if privileged else None,
        open_reports=row["open_reports"] if admin else None,
        points_earned=row["points"] + row["bonus_points"] if privileged else None,
    )


async def viewer(info: strawberry.Info[Context, Any]) -> tuple[bool, int | None]:
    """(is an admin, the member key of a member token)."""
    principal = info.context.require_principal()
    if principal.role is Role.MEMBER:
        me = await info.context.me()
        return False, me.id if me is not None else None
    return principal.role is Role.ADMIN, None


async def connection_of(
    info: strawberry.Info[Context, Any], rows: list[dict[str, Any]], limit: int, after: str | None
) -> CommunityPostConnection:
    admin, me = await viewer(info)
    page = rows[:limit]
    edges = [
        relay.Edge(
            cursor=encode_cursor(CURSOR, row["id"]),
            node=post_of(row, admin=admin, own=row["member_id"] == me),
        )
        for row in page
    ]
    return CommunityPostConnection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=len(rows) > limit,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


async def visible_post(info: strawberry.Info[Context, Any], key: int) -> CommunityPost | None:
    """A post by key for `node(id:)`: approved ones for the program's members and staff, others
    for their author and admins; partners see none."""
    principal = info.context.require_principal()
    program = await info.context.program()
    if program is None or principal.role is Role.PARTNER:
        return None
    row = await reads.one(program.id, key)
    if row is None:
        return None
    admin, me = await viewer(info)
    own = me is not None and row["member_id"] == me
    if principal.role is Role.MEMBER and me is None:
        return None
    if row["status"] != PostStatus.APPROVED and not (admin or own):
        return None
    return post_of(row, admin=admin, own=own)


async def member_posts(
    info: strawberry.Info[Context, Any], member_id: int, first: int | None, after: str | None
) -> CommunityPostConnection:
    await consent_fields.guard(info, member_id)
    program = await info.context.require_program()
    limit = page_size(first, "communityPosts")
    rows = await reads.of_member(
        program.id, member_id, before_id=decode_cursor(after, CURSOR), limit=limit + 1
    )
    return await connection_of(info, rows, limit, after)


def summary(figures: tuple[int, int] | None) -> ReviewSummary:
    count, total = figures or (0, 0)
    return ReviewSummary(count=count, average_rating=average_rating(total, count))


async def reviews_of(
    info: strawberry.Info[Context, Any], *, sku: str | None, reward_id: int | None
) -> ReviewSummary:
    """One subject's figures, batched per request (a page of rewards costs one query)."""
    context = info.context

    async def load(subjects: list[str]) -> list[ReviewSummary]:
        program = await context.program()
        found = await reads.review_figures(program.id, subjects) if program else {}
        return [summary(found.get(subject)) for subject in subjects]

    loaded: ReviewSummary = await context.loader("community.reviews", load).load(
        review_subject(sku, reward_id)
    )
    return loaded
