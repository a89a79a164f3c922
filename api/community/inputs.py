"""Inputs and payloads of the community's mutations, and the settings type they answer."""

from __future__ import annotations

import strawberry

from api.community.types import CommunityPost
from api.errors import UserError
from domain.community import Decision, PostKind, ReactionKind, Settings

_DEFAULTS = Settings()
RETRY_AFTER = "Seconds to wait before trying again when refused with RATE_LIMITED; else null."


@strawberry.type(description="The program's community settings.")
class CommunitySettings:
    requires_approval: bool = strawberry.field(
        description="Whether new posts wait for a moderator (else they are approved at once)."
    )
    posts_per_day: int = strawberry.field(description="Most posts per member in any 24 hours.")
    reactions_per_hour: int = strawberry.field(description="Most reactions per member in any hour.")
    reports_per_day: int = strawberry.field(description="Most reports per member in any 24 hours.")
    helpful_threshold: int = strawberry.field(
        description="HELPFUL reactions that earn a post's author the thank-you bonus (once)."
    )
    daily_points_cap: int | None = strawberry.field(
        description="Most contribution points per member per day (program time zone); null: none."
    )
    weekly_points_cap: int | None = strawberry.field(
        description="Most contribution points per member per calendar week; null: none."
    )

    @classmethod
    def of(cls, s: Settings) -> CommunitySettings:
        return cls(
            requires_approval=s.requires_approval, posts_per_day=s.posts_per_day,
            reactions_per_hour=s.reactions_per_hour, reports_per_day=s.reports_per_day,
            helpful_threshold=s.helpful_threshold, daily_points_cap=s.daily_points_cap,
            weekly_points_cap=s.weekly_points_cap,
        )  # fmt: skip


@strawberry.input(description="The program's community settings; they replace the current ones.")
class ConfigureCommunityInput:
    requires_approval: bool = strawberry.field(
        default=_DEFAULTS.requires_approval,
        description="Whether new posts wait for a moderator.",
    )
    posts_per_day: int = strawberry.field(
        default=_DEFAULTS.posts_per_day, description="Most posts per member per 24 hours, 1-10000."
    )
    reactions_per_hour: int = strawberry.field(
        default=_DEFAULTS.reactions_per_hour,
        description="Most reactions per member per hour, 1-10000.",
    )
    reports_per_day: int = strawberry.field(
        default=_DEFAULTS.reports_per_day,
        description="Most reports per member per 24 hours, 1-10000.",
    )
    helpful_threshold: int = strawberry.field(
        default=_DEFAULTS.helpful_threshold,
        description="HELPFUL reactions that earn the author a thank-you bonus, 1-10000.",
    )
    daily_points_cap: int | None = strawberry.field(
        default=None, description="Most contribution points per member per day; null: none."
    )
    weekly_points_cap: int | None = strawberry.field(
        default=None, description="Most contribution points per member per week; null: none."
    )


@strawberry.type(description="Result of configureCommunity.")
class ConfigureCommunityPayload:
    settings: CommunitySettings | None = strawberry.field(
        description="The settings now in force; null if refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why; nothing changed.")


@strawberry.input(description="A member's new community post.")
class CreateCommunityPostInput:
    kind: PostKind = strawberry.field(description="What the post is.")
    body: str = strawberry.field(description="Its text: 1-5,000 characters, line breaks allowed.")
    title: str | None = strawberry.field(
        default=None, description="1-150 characters on one line; required for tips and questions."
    )
    rating: int | None = strawberry.field(
        default=None, description="A review's rating, 1-5 (reviews only)."
    )
    sku: str | None = strawberry.field(
        default=None, description="The reviewed product's SKU (a review names a SKU or a reward)."
    )
    reward_id: strawberry.ID | None = strawberry.field(
        default=None, description="The reviewed catalog reward's global id."
    )
    question_id: strawberry.ID | None = strawberry.field(
        default=None, description="An answer's question: an approved QUESTION's global id."
    )
    idempotency_key: str = strawberry.field(description="Retries with it post once.")


@strawberry.type(description="Result of createCommunityPost.")
class CreateCommunityPostPayload:
    post: CommunityPost | None = strawberry.field(description="The post; null if refused.")
    retry_after_seconds: int | None = strawberry.field(description=RETRY_AFTER)
    user_errors: list[UserError] = strawberry.field(description="Why; nothing changed.")


@strawberry.input(description="An admin's decision on a post.")
class ModeratePostInput:
    post_id: strawberry.ID = strawberry.field(description="The post's global id.")
    decision: Decision = strawberry.field(description="What to do with it.")
    reason: str | None = strawberry.field(
        default=None, description="Why, 1-500 characters; required to REJECT (the author sees it)."
    )


@strawberry.type(description="Result of moderatePost.")
class ModeratePostPayload:
    post: CommunityPost | None = strawberry.field(description="The post now; null if refused.")
    user_errors: list[UserError] = strawberry.field(description="Why; nothing changed.")


@strawberry.input(description="A member's reaction to another member's approved post.")
class ReactToPostInput:
    post_id: strawberry.ID = strawberry.field(description="The post's global id.")
    reaction: ReactionKind = strawberry.field(description="How the member reacts.")


@strawberry.type(description="Result of reactToPost.")
class ReactToPostPayload:
    post: CommunityPost | None = strawberry.field(description="The post now; null if refused.")
    added: bool = strawberry.field(
        description="False when the member had already reacted so (nothing changed)."
    )
    retry_after_seconds: int | None = strawberry.field(description=RETRY_AFTER)
    user_errors: list[UserError] = strawberry.field(description="Why; nothing changed.")


@strawberry.input(description="A member's report of another member's post as abusive.")
class ReportPostInput:
    post_id: strawberry.ID = strawberry.field(description="The post's global id.")
    reason: str | None = strawberry.field(
        default=None, description="What is wrong with it, 1-500 characters on one line."
    )


@strawberry.type(description="Result of reportPost.")
class ReportPostPayload:
    reported: bool = strawberry.field(
        description="True when reported now; false when this member had reported it already."
    )
    retry_after_seconds: int | None = strawberry.field(description=RETRY_AFTER)
    user_errors: list[UserError] = strawberry.field(description="Why; nothing changed.")
