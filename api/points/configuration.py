"""The program's points configuration in GraphQL: read it on `program`, replace it with
`configurePoints`."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import strawberry

from api.context import Context
from api.enums import described_enum
from api.errors import INPUT, UserError, user_errors
from api.permissions import IsAdmin
from domain import points_config as rules
from domain.validation import InvalidInput
from loyalty.commands import ConfigurePoints
from loyalty.points import config as store

described_enum(
    rules.Rounding,
    name="RoundingMode",
    description=(
        "How fractional points round: once per award, on the exact value, and on what a member "
        "keeps of an order after a return."
    ),
    values={
        "DOWN": "Toward zero: never awards or leaves a point not fully earned.",
        "HALF_UP": "To the nearest point, halves away from zero.",
        "UP": "Away from zero: up to the next whole point.",
    },
)
described_enum(
    rules.CapPeriod,
    name="CapPeriod",
    description="The calendar period of an earning cap, in the program's time zone.",
    values={
        "DAY": "A calendar day.",
        "WEEK": "A week starting on Monday.",
        "MONTH": "A calendar month.",
        "YEAR": "A calendar year.",
    },
)
described_enum(
    rules.ExpiryMode,
    name="ExpiryMode",
    description="When earned points expire.",
    values={
        "NEVER": "Points never expire.",
        "AFTER_DAYS": "After `amount` days.",
        "AFTER_MONTHS": "After `amount` months.",
    },
)
described_enum(
    rules.ClawbackPolicy,
    name="ClawbackPolicy",
    description="What a return does to points the member already spent.",
    values={
        "CLAMP_AND_RECORD_DEBT": "Balance to zero; the rest is owed and repaid from future points.",
        "ALLOW_NEGATIVE": "The balance goes below zero.",
        "DENY": "The return is refused with CLAWBACK_DENIED.",
    },
)


@strawberry.type(description="Extra points on matching order lines.")
class PointsBonus:
    multiplier: Decimal = strawberry.field(description="2 earns double on matching lines.")
    sku: str | None = strawberry.field(description="The SKU it applies to, if by SKU.")
    category: str | None = strawberry.field(
        description="The category it applies to, if by category."
    )


@strawberry.type(description="Fixed points for a named event.")
class EventPoints:
    name: str = strawberry.field(description="The event, e.g. review_posted.")
    points: int = strawberry.field(description="Points it earns.")


@strawberry.type(description="At most so many rule-computed points per member per period.")
class PointsCap:
    period: rules.CapPeriod = strawberry.field(description="The period.")
    max_points: int = strawberry.field(
        description="The most points a member earns from orders and events in one period."
    )


@strawberry.type(description="When points expire.")
class PointsExpiry:
    mode: rules.ExpiryMode = strawberry.field(description="Never, or after days or months.")
    amount: int = strawberry.field(description="How many days or months.")
    round_to_month_end: bool = strawberry.field(
        description="Expire at the end of that month instead."
    )


@strawberry.type(
    description="How the program's points are earned, held, expire and are taken back."
)
class PointsConfiguration:
    earn_rate: Decimal = strawberry.field(
        description="Points per 1 unit of the program's currency."
    )
    rounding: rules.Rounding = strawberry.field(description="How fractional points round.")
    bonuses: list[PointsBonus] = strawberry.field(description="Multipliers by SKU or category.")
    events: list[EventPoints] = strawberry.field(description="Fixed points for named events.")
    cap: PointsCap | None = strawberry.field(description="The earning cap, if any.")
    pending_days: int = strawberry.field(
        description="Days order points stay pending (the return window)."
    )
    expiry: PointsExpiry = strawberry.field(description="When points expire.")
    clawback_policy: rules.ClawbackPolicy = strawberry.field(
        description="What returns do to spent points."
    )

    @classmethod
    def from_config(cls, config: rules.PointsConfig) -> PointsConfiguration:
        return cls(
            earn_rate=config.earn_rate,
            rounding=config.rounding,
            bonuses=[
                PointsBonus(multiplier=b.multiplier, sku=b.sku, category=b.category)
                for b in config.bonuses
            ],
            events=[EventPoints(name=n, points=p) for n, p in sorted(config.events.items())],
            cap=PointsCap(period=config.cap.period, max_points=config.cap.max_points)
            if config.cap
            else None,
            pending_days=config.pending_days,
            expiry=PointsExpiry(
                mode=config.expiry.mode,
                amount=config.expiry.amount,
                round_to_month_end=config.expiry.round_to_month_end,
            ),
            clawback_policy=config.clawback,
        )


@strawberry.input(description="A bonus multiplier: name exactly one of sku or category.")
class PointsBonusInput:
    multiplier: Decimal = strawberry.field(description="1 to 100.")
    sku: str | None = strawberry.field(default=None, description="A SKU.")
    category: str | None = strawberry.field(default=None, description="A category.")


@strawberry.input(description="Fixed points for a named event.")
class EventPointsInput:
    name: str = strawberry.field(description="snake_case event name.")
    points: int = strawberry.field(description="Positive points.")


@strawberry.input(description="An earning cap.")
class PointsCapInput:
    period: rules.CapPeriod = strawberry.field(description="The period.")
    max_points: int = strawberry.field(description="Positive points.")


@strawberry.input(description="When points expire.")
class PointsExpiryInput:
    mode: rules.ExpiryMode = strawberry.field(description="Never, or after days or months.")
    amount: int = strawberry.field(default=0, description="Days or months; positive unless NEVER.")
    round_to_month_end: bool = strawberry.field(
        default=False, description="Expire at the end of that month."
    )


@strawberry.input(description="The whole points configuration; it replaces the current one.")
class ConfigurePointsInput:
    earn_rate: Decimal = strawberry.field(
        default=Decimal(1), description="Points per 1 unit of currency, 0 to 10000."
    )
    rounding: rules.Rounding = strawberry.field(
        default=rules.Rounding.DOWN, description="How fractional points round."
    )
    bonuses: list[PointsBonusInput] = strawberry.field(
        default_factory=list, description="Bonus multipliers."
    )
    events: list[EventPointsInput] = strawberry.field(
        default_factory=list, description="Points for named events."
    )
    cap: PointsCapInput | None = strawberry.field(
        default=None, description="An earning cap, or none."
    )
    pending_days: int = strawberry.field(default=0, description="Return window in days, 0 to 365.")
    expiry: PointsExpiryInput | None = strawberry.field(
        default=None, description="Expiry; never when omitted."
    )
    clawback_policy: rules.ClawbackPolicy = strawberry.field(
        default=rules.ClawbackPolicy.CLAMP_AND_RECORD_DEBT,
        description="What returns do to spent points.",
    )

    def to_config(self) -> rules.PointsConfig:
        expiry = self.expiry
        return rules.PointsConfig(
            earn_rate=self.earn_rate,
            rounding=self.rounding,
            bonuses=tuple(
                rules.Bonus(b.multiplier, sku=b.sku, category=b.category) for b in self.bonuses
            ),
            events={e.name: e.points for e in self.events},
            cap=rules.Cap(self.cap.period, self.cap.max_points) if self.cap else None,
            pending_days=self.pending_days,
            expiry=rules.Expiry(expiry.mode, expiry.amount, expiry.round_to_month_end)
            if expiry
            else rules.Expiry(),
            clawback=self.clawback_policy,
        )


@strawberry.type(description="Result of configurePoints.")
class ConfigurePointsPayload:
    configuration: PointsConfiguration | None = strawberry.field(
        description="The configuration now in force; null if refused."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; nothing changed."
    )


@strawberry.type
class PointsConfigurationMutations:
    @strawberry.mutation(
        description="Replace the program's points configuration. Entries already written keep their explanations.",
        permission_classes=[IsAdmin],
    )
    async def configure_points(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[ConfigurePointsInput, strawberry.argument(description=INPUT)],
    ) -> ConfigurePointsPayload:
        try:
            program = await info.context.require_program()
            saved = await info.context.bus.handle(
                ConfigurePoints(
                    program_id=program.id,
                    config=input.to_config(),
                    listed_events=[(e.name, e.points) for e in input.events],
                )
            )
        except InvalidInput as refused:
            return ConfigurePointsPayload(configuration=None, user_errors=user_errors(refused))
        info.context.forget_program()
        return ConfigurePointsPayload(
            configuration=PointsConfiguration.from_config(store.from_json(saved.points_config)),
            user_errors=[],
        )
