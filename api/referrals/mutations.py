"""Mutations of the referrals area: configureReferrals and reviewReferral (admin),
attributeReferral (partner and admin), regenerateReferralCode (a member for itself, or staff
naming the member), and the attribution of enrollMember's referralCode."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import strawberry
from tortoise import connections

from api.auth import Role
from api.context import Context
from api.errors import INPUT, UserError, user_errors
from api.permissions import IsAdmin, roles
from api.referrals.types import Referral, ReferralSettings, referral_of
from api.relay import decode_global_id
from domain import referrals as rules
from domain.partners import Scope
from domain.validation import ErrorCode, InvalidInput, Problem, actor
from loyalty.referrals import store
from loyalty.referrals.commands import (
    AttributeReferral,
    ConfigureReferrals,
    RegenerateReferralCode,
    ReviewReferral,
)
from loyalty.referrals.reads import of_program

_DEFAULTS = rules.Settings()


@strawberry.input(description="The program's referral settings; they replace the current ones.")
class ConfigureReferralsInput:
    window_days: int = strawberry.field(
        default=_DEFAULTS.window_days, description="Attribution window, 1-3650 days."
    )
    min_order_total: Decimal = strawberry.field(
        default=Decimal(0), description="Smallest qualifying order total (program currency)."
    )
    referrer_points: int = strawberry.field(default=0, description="Referrer's reward, points.")
    referee_points: int = strawberry.field(default=0, description="Referee's reward, points.")
    velocity_cap: int | None = strawberry.field(
        default=None, description="Most conversions per referrer in velocityDays; null: none."
    )
    velocity_days: int = strawberry.field(
        default=_DEFAULTS.velocity_days, description="The velocity period, 1-3650 days."
    )
    velocity_action: rules.VelocityAction = strawberry.field(
        default=rules.VelocityAction.HOLD, description="HOLD for review, or REJECT."
    )
    lifetime_cap: int | None = strawberry.field(
        default=None, description="Most conversions per referrer ever; null: none."
    )
    grace_days: int = strawberry.field(
        default=_DEFAULTS.grace_days, description="Days an old code attributes after regenerating."
    )
    link_template: str = strawberry.field(
        default=_DEFAULTS.link_template, description="An https URL holding {code} once."
    )
    referrer_reward_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A catalog reward of the program (global id) the referrer also receives at "
        "conversion, at no points cost and under the reward's own rules; null: points only.",
    )
    referee_reward_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A catalog reward of the program (global id) the referee also receives at "
        "conversion, at no points cost and under the reward's own rules; null: points only.",
    )


@strawberry.type(description="Result of configureReferrals.")
class ConfigureReferralsPayload:
    settings: ReferralSettings | None = strawberry.field(
        description="The settings now in force; null if refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why; nothing changed.")


@strawberry.input(description="A referee brought by a partner (or an admin) under a code.")
class AttributeReferralInput:
    code: str = strawberry.field(description="The referrer's code, any case.")
    referee_external_id: str = strawberry.field(description="The referee's externalId.")
    idempotency_key: str = strawberry.field(description="Retries with it attribute once.")


@strawberry.type(description="Result of attributeReferral and reviewReferral.")
class ReferralPayload:
    referral: Referral | None = strawberry.field(description="The referral; null if refused.")
    user_errors: list[UserError] = strawberry.field(description="Why; nothing changed.")


@strawberry.input(description="Whose code to regenerate.")
class RegenerateReferralCodeInput:
    member_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The member's global id: required for staff, omitted by a member token.",
    )


@strawberry.type(description="Result of regenerateReferralCode.")
class RegenerateReferralCodePayload:
    code: str | None = strawberry.field(description="The new code; null if refused.")
    user_errors: list[UserError] = strawberry.field(description="Why; nothing changed.")


@strawberry.input(description="An admin's decision on a held referral.")
class ReviewReferralInput:
    id: strawberry.ID = strawberry.field(description="The referral's global id.")
    approve: bool = strawberry.field(description="True grants both rewards; false rejects.")


async def _referral(info: strawberry.Info[Context, Any], key: int) -> Referral:
    program = await info.context.require_program()
    rows = await of_program(program.id, brought_by=None, status=None, after_id=key - 1, limit=1)
    return referral_of(rows[0], shown=None)


def _reward_keys(input: ConfigureReferralsInput) -> tuple[int | None, int | None, list[Problem]]:
    """The settings' catalog rewards as keys, and INVALID_ID for a text that is no Reward id."""
    keys: list[int | None] = []
    problems = []
    for field, value in (
        ("referrerRewardId", input.referrer_reward_id),
        ("refereeRewardId", input.referee_reward_id),
    ):
        key = decode_global_id(value, "Reward") if value is not None else None
        if value is not None and key is None:
            problems.append(Problem((field,), "Not a Reward id.", ErrorCode.INVALID_ID))
        keys.append(key)
    return keys[0], keys[1], problems


def _refused_with(settings: rules.Settings, problems: list[Problem]) -> InvalidInput:
    """Bad ids with the settings' other problems, so a client fixes them all at once."""
    try:
        rules.validate_settings(settings)
    except InvalidInput as refused:
        return InvalidInput(*problems, *refused.problems)
    return InvalidInput(*problems)


def _principal_actor(info: strawberry.Info[Context, Any]) -> str:
    principal = info.context.require_principal()
    return actor(principal.role.value, principal.subject)


async def attribute_at_enrolment(
    info: strawberry.Info[Context, Any], member_id: int, input: Any
) -> list[UserError]:
    """enrollMember's referralCode: attributed after the enrolment, which it never blocks."""
    if input.referral_code is None:
        return []
    try:
        await info.context.bus.handle(
            AttributeReferral(
                program=await info.context.require_program(),
                code=input.referral_code,
                actor=_principal_actor(info),
                referee_member_id=member_id,
            )
        )
    except InvalidInput as refused:
        return [
            UserError(field=["input", "referralCode"], message=p.message, code=p.code)
            for p in refused.problems
        ]
    return []


@strawberry.type
class ReferralMutations:
    @strawberry.mutation(
        description="Set the program's referral settings (window, minimum order, rewards, caps, link).",
        permission_classes=[IsAdmin],
    )
    async def configure_referrals(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[ConfigureReferralsInput, strawberry.argument(description=INPUT)],
    ) -> ConfigureReferralsPayload:
        try:
            referrer_reward, referee_reward, bad_ids = _reward_keys(input)
            settings = rules.Settings(
                window_days=input.window_days, min_order_total=input.min_order_total,
                referrer_points=input.referrer_points, referee_points=input.referee_points,
                velocity_cap=input.velocity_cap, velocity_days=input.velocity_days,
                velocity_action=input.velocity_action, lifetime_cap=input.lifetime_cap,
                grace_days=input.grace_days, link_template=input.link_template,
                referrer_reward_id=referrer_reward, referee_reward_id=referee_reward,
            )  # fmt: skip
            if bad_ids:
                raise _refused_with(settings, bad_ids)
            saved = await info.context.bus.handle(
                ConfigureReferrals(program=await info.context.require_program(), settings=settings)
            )
        except InvalidInput as refused:
            return ConfigureReferralsPayload(settings=None, user_errors=user_errors(refused))
        return ConfigureReferralsPayload(settings=ReferralSettings.of(saved), user_errors=[])

    @strawberry.mutation(
        description="Attribute a referee to a referrer's code, once per idempotency key; the "
        "partner's client id is recorded as who brought it. Partner and admin tokens.",
        permission_classes=[roles(Role.PARTNER, Role.ADMIN, scope=Scope.REFERRALS_WRITE)],
    )
    async def attribute_referral(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[AttributeReferralInput, strawberry.argument(description=INPUT)],
    ) -> ReferralPayload:
        try:
            key = await info.context.bus.handle(
                AttributeReferral(
                    program=await info.context.require_program(),
                    code=input.code,
                    actor=_principal_actor(info),
                    referee_external_id=input.referee_external_id,
                    idempotency_key=input.idempotency_key,
                )
            )
        except InvalidInput as refused:
            return ReferralPayload(referral=None, user_errors=user_errors(refused))
        return ReferralPayload(referral=await _referral(info, key), user_errors=[])

    @strawberry.mutation(
        description="Give a member a new referral code; the old one keeps attributing for the "
        "program's grace period. A member token for itself; storefront and admin name the member.",
        permission_classes=[roles(Role.MEMBER, Role.STOREFRONT, Role.ADMIN)],
    )
    async def regenerate_referral_code(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[RegenerateReferralCodeInput, strawberry.argument(description=INPUT)],
    ) -> RegenerateReferralCodePayload:
        principal = info.context.require_principal()
        try:
            if principal.role is Role.MEMBER:
                me = await info.context.me()
                key = me.id if me is not None else None
                if me is None or (
                    input.member_id is not None
                    and decode_global_id(input.member_id, "Member") != me.id
                ):
                    key = None
            else:
                key = (
                    decode_global_id(input.member_id, "Member")
                    if input.member_id is not None
                    else None
                )
            if key is None:
                raise InvalidInput(
                    Problem(
                        ("memberId",), "No such member in this program.", ErrorCode.MEMBER_NOT_FOUND
                    )
                )
            code = await info.context.bus.handle(
                RegenerateReferralCode(program=await info.context.require_program(), member_id=key)
            )
        except InvalidInput as refused:
            return RegenerateReferralCodePayload(code=None, user_errors=user_errors(refused))
        return RegenerateReferralCodePayload(code=code, user_errors=[])

    @strawberry.mutation(
        description="Approve (both rewards now) or reject a referral held for review. Admin.",
        permission_classes=[IsAdmin],
    )
    async def review_referral(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[ReviewReferralInput, strawberry.argument(description=INPUT)],
    ) -> ReferralPayload:
        try:
            key = decode_global_id(input.id, "Referral")
            if key is None:
                raise InvalidInput(Problem(("id",), "Not a Referral id.", ErrorCode.INVALID_ID))
            await info.context.bus.handle(
                ReviewReferral(
                    program=await info.context.require_program(),
                    referral_id=key,
                    approve=input.approve,
                    actor=_principal_actor(info),
                )
            )
        except InvalidInput as refused:
            return ReferralPayload(referral=None, user_errors=user_errors(refused))
        return ReferralPayload(referral=await _referral(info, key), user_errors=[])


async def settings_of(program_id: int) -> rules.Settings | None:
    return await store.load_settings(connections.get("default"), program_id)
