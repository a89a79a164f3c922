"""configureGift: an admin sets (replaces) the program's gift of one kind."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import strawberry

from api.context import Context
from api.errors import INPUT, UserError, user_errors
from api.gifts.types import GiftSetting
from api.permissions import IsAdmin
from domain import gifts as rules
from domain.validation import InvalidInput
from loyalty.gifts import reads
from loyalty.gifts.commands import ConfigureGift


@strawberry.input(description="One kind of gift; it replaces the program's gift of that kind.")
class ConfigureGiftInput:
    kind: rules.GiftKind = strawberry.field(description="Which gift.")
    points: int = strawberry.field(description=f"Points per gift, 1-{rules.MAX_POINTS}.")
    budget_points: int = strawberry.field(
        description=f"The budget per period, 0-{rules.MAX_BUDGET} points: when a gift would "
        "take more than is left, it is skipped (BUDGET_SPENT)."
    )
    budget_period: rules.Period = strawberry.field(
        default=rules.Period.MONTH, description="The budget's and member cap's period."
    )
    member_cap: int | None = strawberry.field(
        default=None,
        description=f"Most gifts of this kind per member per period, 1-{rules.MAX_CAP}; null: "
        "no cap.",
    )
    active: bool = strawberry.field(default=True, description="False switches it off.")
    personalized: bool = strawberry.field(
        default=False,
        description="Whether the gift is personalised (needs the personalization purpose; a "
        "DRAW always is).",
    )
    surprise_rule: rules.SurpriseRule | None = strawberry.field(
        default=None, description="Required for SURPRISE, refused for other kinds."
    )
    every_nth_order: int | None = strawberry.field(
        default=None, description=f"EVERY_NTH_ORDER's N, 1-{rules.MAX_NTH}."
    )
    draw_probability: Decimal | None = strawberry.field(
        default=None, description="DRAW's chance per order, 0.0001-1 (at most 4 decimals)."
    )
    draw_seed: str | None = strawberry.field(
        default=None,
        description="DRAW's seed, 16-128 of A-Z a-z 0-9 _ -, to reproduce draws (e.g. in "
        "tests); null keeps the current one, or makes a random one. Never shown.",
    )
    trigger_event_type: str | None = strawberry.field(
        default=None,
        description=f"THANK_YOU's event type (default {rules.DEFAULT_TRIGGER}); refused for "
        "other kinds, and points.* or gift.* types (they never trigger a thank-you).",
    )
    trigger_post_kind: str | None = strawberry.field(
        default=None,
        description="THANK_YOU only for events whose `kind` is this, e.g. REVIEW (the default "
        "with the default triggerEventType); null with a triggerEventType: any.",
    )


@strawberry.type(description="Result of configureGift.")
class ConfigureGiftPayload:
    gift: GiftSetting | None = strawberry.field(description="The gift now; null if refused.")
    user_errors: list[UserError] = strawberry.field(description="Why; nothing changed.")


@strawberry.type
class GiftMutations:
    @strawberry.mutation(
        description="Set the program's gift of one kind (points, budget per period, member cap, "
        "the surprise rule or the thank-you's trigger).",
        permission_classes=[IsAdmin],
    )
    async def configure_gift(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[ConfigureGiftInput, strawberry.argument(description=INPUT)],
    ) -> ConfigureGiftPayload:
        try:
            program = await info.context.require_program()
            settings = rules.GiftSettings(
                kind=input.kind, points=input.points, budget_points=input.budget_points,
                budget_period=input.budget_period, member_cap=input.member_cap,
                active=input.active, personalized=input.personalized,
                surprise_rule=input.surprise_rule, every_nth_order=input.every_nth_order,
                draw_probability=input.draw_probability, draw_seed=input.draw_seed,
                trigger_event_type=input.trigger_event_type,
                trigger_post_kind=input.trigger_post_kind,
            )  # fmt: skip
            await info.context.bus.handle(ConfigureGift(program=program, settings=settings))
        except InvalidInput as refused:
            return ConfigureGiftPayload(gift=None, user_errors=user_errors(refused))
        found = await reads.settings_now(program.id, program.timezone, info.context.clock.now())
        [now] = [setting for setting in found if setting.settings.kind is input.kind]
        return ConfigureGiftPayload(gift=GiftSetting.of(now), user_errors=[])
