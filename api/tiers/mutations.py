"""Admin mutations of the tiers area: configureTiers, reevaluateTiers, assignTier."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import strawberry

from api.context import Context
from api.errors import INPUT, UserError, user_errors
from api.members.types import Member
from api.permissions import IsAdmin
from api.tiers.types import TierConfiguration, configuration
from domain import tiers as rules
from domain.validation import InvalidInput, actor
from loyalty import members
from loyalty.tiers import commands


@strawberry.input(description="One tier, in ascending order of thresholds.")
class TierInput:
    key: str = strawberry.field(description="Stable key: lowercase letters, digits and _.")
    name: str = strawberry.field(description="Name to show, 1-100 characters.")
    description: str = strawberry.field(default="", description="Up to 500 characters.")
    threshold: Decimal = strawberry.field(
        description="Qualifying amount reaching the tier; 0 for the first tier. Points: whole, 32-bit; money: the currency's precision."
    )
    multiplier: Decimal = strawberry.field(
        default=Decimal(1), description="Order points multiplier, 1 to 10, in hundredths."
    )


@strawberry.input(description="How members qualify for tiers and lose them.")
class TierPolicyInput:
    metric: rules.Metric = strawberry.field(
        default=rules.Metric.POINTS, description="What qualifies."
    )
    window: rules.WindowKind = strawberry.field(
        default=rules.WindowKind.ROLLING_MONTHS, description="Which months count."
    )
    window_months: int = strawberry.field(default=12, description="1 to 36, for a rolling window.")
    evaluation: rules.EvaluationMoment = strawberry.field(
        default=rules.EvaluationMoment.FIXED_DATE, description="When tiers are judged."
    )
    evaluation_month: int = strawberry.field(default=1, description="1-12, for FIXED_DATE.")
    evaluation_day: int = strawberry.field(default=1, description="A day of that month.")
    grace_days: int = strawberry.field(default=30, description="0 to 365 days.")
    downgrade: rules.DowngradePolicy = strawberry.field(
        default=rules.DowngradePolicy.ONE_STEP, description="Where downgrades go."
    )

    def to_policy(self) -> rules.Policy:
        return rules.Policy(
            self.metric, self.window, self.window_months, self.evaluation,
            self.evaluation_month, self.evaluation_day, self.grace_days, self.downgrade,
        )  # fmt: skip


@strawberry.input(description="The program's whole tier setup; it replaces the current one.")
class ConfigureTiersInput:
    tiers: list[TierInput] = strawberry.field(description="1-20 tiers, the first at threshold 0.")
    policy: TierPolicyInput = strawberry.field(description="The policy.")
    reevaluate: bool = strawberry.field(
        default=False,
        description="Apply the new thresholds to every member now (the evaluation job), instead of at their next evaluation.",
    )


@strawberry.type(description="Result of configureTiers.")
class ConfigureTiersPayload:
    configuration: TierConfiguration | None = strawberry.field(
        description="The configuration now in force; null if refused."
    )
    takes_effect: commands.TakesEffect | None = strawberry.field(
        description="When members move to the new thresholds; null if refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why; nothing changed.")


@strawberry.input(description="A re-evaluation of every member against the current tiers.")
class ReevaluateTiersInput:
    reason: str = strawberry.field(description="Kept as the note of every change it makes.")


@strawberry.type(description="Result of reevaluateTiers.")
class ReevaluateTiersPayload:
    takes_effect: commands.TakesEffect | None = strawberry.field(
        description="REEVALUATION_QUEUED; null if refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="An admin's assignment of a tier to a member.")
class AssignTierInput:
    external_id: str = strawberry.field(description="The member's externalId.")
    tier_key: str = strawberry.field(description="The tier to assign.")
    reason: str = strawberry.field(description="Why, 1-500 characters; kept in the history.")
    until: date | None = strawberry.field(
        default=None,
        description="The day the assignment ends (the member returns to its earned tier); none: until changed.",
    )


@strawberry.type(description="Result of assignTier.")
class AssignTierPayload:
    member: Member | None = strawberry.field(description="The member; null if refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type
class TierMutations:
    @strawberry.mutation(
        description="Replace the program's tiers and policy. Members are not moved at once: at their next evaluation, or now with reevaluate.",
        permission_classes=[IsAdmin],
    )
    async def configure_tiers(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[ConfigureTiersInput, strawberry.argument(description=INPUT)],
    ) -> ConfigureTiersPayload:
        tiers = tuple(
            rules.TierDef(t.key, t.name, t.description, t.threshold, t.multiplier)
            for t in input.tiers
        )
        try:
            program = await info.context.require_program()
            done = await info.context.bus.handle(
                commands.ConfigureTiers(
                    program=program,
                    tiers=tiers,
                    policy=input.policy.to_policy(),
                    reevaluate=input.reevaluate,
                )
            )
        except InvalidInput as refused:
            return ConfigureTiersPayload(
                configuration=None, takes_effect=None, user_errors=user_errors(refused)
            )
        return ConfigureTiersPayload(
            configuration=configuration(done.tiers, done.policy),
            takes_effect=done.takes_effect,
            user_errors=[],
        )

    @strawberry.mutation(
        description="Apply the current tiers to every member now (queued on the evaluation job): upgrades at once, downgrades after grace.",
        permission_classes=[IsAdmin],
    )
    async def reevaluate_tiers(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[ReevaluateTiersInput, strawberry.argument(description=INPUT)],
    ) -> ReevaluateTiersPayload:
        try:
            program = await info.context.require_program()
            effect = await info.context.bus.handle(
                commands.ReevaluateTiers(program=program, reason=input.reason)
            )
        except InvalidInput as refused:
            return ReevaluateTiersPayload(takes_effect=None, user_errors=user_errors(refused))
        return ReevaluateTiersPayload(takes_effect=effect, user_errors=[])

    @strawberry.mutation(
        description="Put a member in a tier by hand, with a reason and an optional end date.",
        permission_classes=[IsAdmin],
    )
    async def assign_tier(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[AssignTierInput, strawberry.argument(description=INPUT)],
    ) -> AssignTierPayload:
        principal = info.context.require_principal()
        try:
            program = await info.context.require_program()
            member_id = await info.context.bus.handle(
                commands.AssignTier(
                    program=program,
                    actor=actor(principal.role.value, principal.subject),
                    external_id=input.external_id,
                    tier_key=input.tier_key,
                    reason=input.reason,
                    until=input.until,
                )
            )
        except InvalidInput as refused:
            return AssignTierPayload(member=None, user_errors=user_errors(refused))
        found = await members.members_by_ids(program.id, [member_id])
        return AssignTierPayload(member=Member.from_model(found[member_id]), user_errors=[])
