"""GraphQL types of the referrals area, and the referral fields of `Member`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry import relay
from tortoise import connections

from api.auth import Role
from api.consent import fields as consent_fields
from api.context import Context
from api.enums import described_enum
from api.relay import decode_cursor, encode_cursor, page_size
from consent.published import may_use_many
from domain import referrals as rules
from domain.consent import REFERRAL_DISPLAY
from domain.partners import Scope
from domain.validation import ErrorCode, actor
from loyalty.referrals import reads, store
from loyalty.referrals.commands import EnsureReferralCode

CURSOR = "referral"

described_enum(
    rules.Status,
    name="ReferralStatus",
    description="Where a referral stands.",
    values={
        "PENDING": "Attributed; waiting for the referee's first qualifying order.",
        "CONVERTED": "The referee's first qualifying order rewarded both sides.",
        "HELD": "A suspicious conversion (e.g. over the velocity cap), held for an admin's review.",
        "REJECTED": "Refused at conversion or by review: nobody was rewarded.",
        "REVERSED": "Converted, then the order was returned: both rewards were taken back.",
        "EXPIRED": "No qualifying order within the attribution window.",
    },
)
described_enum(
    rules.GiftOutcome,
    name="ReferralRewardOutcome",
    description="What became of one side's catalog reward of a referral.",
    values={
        "GRANTED": "Given at conversion, at no points cost (a redemption with giftSource).",
        "REFUSED": "Not given (see refusal); the points part of the reward was given all the same.",
        "TAKEN_BACK": "The referral was reversed before the reward was used: it was cancelled.",
        "KEPT_USED": "The referral was reversed after the reward's code was used: it was kept.",
    },
)
described_enum(
    rules.VelocityAction,
    name="ReferralVelocityAction",
    description="What a conversion over the referrer's velocity cap does.",
    values={
        "HOLD": "Suspicious: the conversion is held for an admin's review.",
        "REJECT": "Invalid: the conversion is refused.",
    },
)


@strawberry.type(description="The referred member, as its referrer may see it.")
class ReferralReferee:
    display_name: str | None = strawberry.field(
        description="The referee's display name, only with its consent (purpose "
        "referral_display); null without it, and for erased members."
    )


def global_id(type_name: str, key: int | None) -> strawberry.ID | None:
    return None if key is None else strawberry.ID(str(relay.GlobalID(type_name, str(key))))


@strawberry.type(description="One side's catalog reward of a converted referral.")
class ReferralCatalogReward:
    reward_id: strawberry.ID = strawberry.field(description="The reward's global id.")
    redemption_id: strawberry.ID | None = strawberry.field(
        description="The redemption that gave it (seen by the member and staff); null if refused."
    )
    outcome: rules.GiftOutcome = strawberry.field(description="What became of it.")
    refusal: ErrorCode | None = strawberry.field(
        description="Why it was not given (OUT_OF_STOCK, NOT_AVAILABLE, TIER_REQUIRED, "
        "LIMIT_REACHED, REWARD_NOT_FOUND); null otherwise."
    )

    @classmethod
    def of(cls, row: dict[str, Any], side: str) -> ReferralCatalogReward | None:
        reward_id = global_id("Reward", row[f"{side}_reward_id"])
        if reward_id is None:
            return None
        refusal = row[f"{side}_reward_refusal"]
        return cls(
            reward_id=reward_id,
            redemption_id=global_id("Redemption", row[f"{side}_redemption_id"]),
            outcome=rules.GiftOutcome(row[f"{side}_reward_outcome"]),
            refusal=ErrorCode(refusal) if refusal is not None else None,
        )


@strawberry.type(description="One referral: a referee attributed to a referrer's code.")
class Referral(relay.Node):
    referral_id: relay.NodeID[int]
    status: rules.Status = strawberry.field(description="Where the referral stands.")
    code: str = strawberry.field(description="The code it was attributed under.")
    attributed_at: datetime = strawberry.field(description="When the referee was attributed.")
    converted_at: datetime | None = strawberry.field(
        description="When the first qualifying order rewarded both sides; null before."
    )
    rewarded_points: int = strawberry.field(
        description="The referrer's reward, in points (0 unless converted or reversed)."
    )
    referee_rewarded_points: int = strawberry.field(
        description="The referee's reward, in points (0 unless converted or reversed)."
    )
    hold_rule: str | None = strawberry.field(
        description="The fraud rule that held or rejected the conversion (VELOCITY_CAP, "
        "LIFETIME_CAP, REFERRER_NOT_ACTIVE); null otherwise."
    )
    referrer_reward: ReferralCatalogReward | None = strawberry.field(
        description="The referrer's catalog reward, once converted with one in the settings."
    )
    referee_reward: ReferralCatalogReward | None = strawberry.field(
        description="The referee's catalog reward, once converted with one in the settings."
    )
    referee: ReferralReferee | None = strawberry.field(
        description="The referee, for its referrer and the program's staff; null for partners."
    )


@strawberry.type(description="A page of referrals.")
class ReferralConnection(relay.Connection[Referral]):
    """Keyset pages in attribution order."""


@strawberry.type(description="The program's referral settings.")
class ReferralSettings:
    window_days: int = strawberry.field(
        description="Days after attribution in which the first qualifying order converts; "
        "also how recently a referee must have enrolled to be attributed."
    )
    min_order_total: Decimal = strawberry.field(
        description="The smallest order total (program currency) that qualifies."
    )
    referrer_points: int = strawberry.field(description="Points the referrer receives.")
    referee_points: int = strawberry.field(description="Points the referee receives.")
    velocity_cap: int | None = strawberry.field(
        description="Most conversions per referrer in velocityDays; null for no cap."
    )
    velocity_days: int = strawberry.field(description="The velocity cap's period, in days.")
    velocity_action: rules.VelocityAction = strawberry.field(
        description="What a conversion over the velocity cap does."
    )
    lifetime_cap: int | None = strawberry.field(
        description="Most conversions per referrer ever (over it: rejected); null for none."
    )
    grace_days: int = strawberry.field(
        description="Days a regenerated member's old code keeps attributing."
    )
    referrer_reward_id: strawberry.ID | None = strawberry.field(
        description="A catalog reward (global id) the referrer also receives, at no points "
        "cost; null for none."
    )
    referee_reward_id: strawberry.ID | None = strawberry.field(
        description="A catalog reward (global id) the referee also receives, at no points "
        "cost; null for none."
    )
    link_template: str = strawberry.field(description="The referral link, {code} replaced.")

    @classmethod
    def of(cls, s: rules.Settings) -> ReferralSettings:
        return cls(
            window_days=s.window_days, min_order_total=s.min_order_total,
            referrer_points=s.referrer_points, referee_points=s.referee_points,
            velocity_cap=s.velocity_cap, velocity_days=s.velocity_days,
            velocity_action=s.velocity_action, lifetime_cap=s.lifetime_cap,
            grace_days=s.grace_days, link_template=s.link_template,
            referrer_reward_id=global_id("Reward", s.referrer_reward_id),
            referee_reward_id=global_id("Reward", s.referee_reward_id),
        )  # fmt: skip


def referral_of(row: dict[str, Any], *, shown: set[int] | None) -> Referral:
    """`shown`: referees whose name may be shown; None shows no referee at all (partners)."""
    referee = None
    if shown is not None:
        visible = row["referee_id"] in shown and row["referee_status"] != "ERASED"
        referee = ReferralReferee(display_name=row["referee_name"] if visible else None)
    rewarded = row["status"] in (rules.Status.CONVERTED, rules.Status.REVERSED)
    return Referral(
        referral_id=row["id"],
        status=rules.Status(row["status"]),
        code=row["code"],
        attributed_at=row["attributed_at"],
        converted_at=row["converted_at"],
        rewarded_points=row["referrer_points"] if rewarded else 0,
        referee_rewarded_points=row["referee_points"] if rewarded else 0,
        hold_rule=row["hold_rule"],
        referrer_reward=ReferralCatalogReward.of(row, "referrer"),
        referee_reward=ReferralCatalogReward.of(row, "referee"),
        referee=referee,
    )


async def connection_of(
    program_id: int, rows: list[dict[str, Any]], limit: int, after: str | None, *, names: bool
) -> ReferralConnection:
    page = rows[:limit]
    shown = None
    if names:
        shown = await may_use_many(
            connections.get("default"),
            program_id,
            [row["referee_id"] for row in page],
            REFERRAL_DISPLAY,
        )
    edges = [
        relay.Edge(cursor=encode_cursor(CURSOR, row["id"]), node=referral_of(row, shown=shown))
        for row in page
    ]
    return ReferralConnection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=len(rows) > limit,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


async def member_code(info: strawberry.Info[Context, Any], member_id: int) -> str:
    await consent_fields.guard(info, member_id)
    program = await info.context.require_program()
    code = await store.current_code(connections.get("default"), member_id)
    if code is None:  # enrolled before referral codes: made at its first read
        code = await info.context.bus.handle(
            EnsureReferralCode(program=program, member_id=member_id)
        )
    return code


async def member_link(info: strawberry.Info[Context, Any], member_id: int) -> str | None:
    code = await member_code(info, member_id)
    program = await info.context.require_program()
    settings = await store.load_settings(connections.get("default"), program.id)
    return settings.link(code) if settings is not None else None


async def member_referrals(
    info: strawberry.Info[Context, Any], member_id: int, first: int | None, after: str | None
) -> ReferralConnection:
    await consent_fields.guard(info, member_id)
    program = await info.context.require_program()
    limit = page_size(first, "referrals")
    rows = await reads.of_referrer(
        program.id, member_id, after_id=decode_cursor(after, CURSOR), limit=limit + 1
    )
    return await connection_of(program.id, rows, limit, after, names=True)


async def visible_referral(info: strawberry.Info[Context, Any], key: int) -> Referral | None:
    """A referral by key for `node(id:)`: admins see their program's, partners those they
    brought, a member those it referred; nobody another program's."""
    principal = info.context.require_principal()
    program = await info.context.program()
    if program is None:
        return None
    rows = await reads.of_program(
        program.id, brought_by=None, status=None, after_id=key - 1, limit=1
    )
    if not rows or rows[0]["id"] != key:
        return None
    row = rows[0]
    if principal.role is Role.PARTNER:
        if Scope.REFERRALS_READ.value not in principal.scopes or row["brought_by"] != actor(
            principal.role.value, principal.subject
        ):
            return None
        return referral_of(row, shown=None)
    if principal.role is Role.MEMBER:
        me = await info.context.me()
        if me is None or me.id != row["referrer_id"]:
            return None
    elif principal.role is not Role.ADMIN:
        return None
    shown = await may_use_many(
        connections.get("default"), program.id, [row["referee_id"]], REFERRAL_DISPLAY
    )
    return referral_of(row, shown=shown)
