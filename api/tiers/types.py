"""GraphQL types of the tiers area: the program's tiers and policy, a member's tier status."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from api.context import Context
from api.enums import described_enum
from api.relay import AFTER, FIRST, decode_cursor, keyset_connection, page_size
from api.why import WHY, Why
from domain import tiers as rules
from domain import why as why_rules
from loyalty.tiers import reads
from loyalty.tiers.commands import TakesEffect
from loyalty.tiers.models import TierHistory
from loyalty.tiers.store import TierSetup

HISTORY_CURSOR = "tier_change"

described_enum(
    rules.Metric,
    name="TierMetric",
    description="What qualifies a member for a tier.",
    values={
        "POINTS": "Points earned by orders and events (not manual grants); returns take theirs back.",
        "SPEND": "Money spent on orders, in the program's currency; returns take theirs back.",
    },
)
described_enum(
    rules.WindowKind,
    name="TierWindow",
    description="Which earnings count, in calendar months of the program's time zone.",
    values={
        "ROLLING_MONTHS": "The current month and the windowMonths - 1 before it.",
        "CALENDAR_YEAR": "The current calendar year.",
    },
)
described_enum(
    rules.EvaluationMoment,
    name="TierEvaluationMoment",
    description="When the evaluation job judges whether members keep their tiers.",
    values={
        "FIXED_DATE": "Every year on evaluationMonth/evaluationDay.",
        "ANNIVERSARY": "Every year on the day the member enrolled.",
    },
)
described_enum(
    rules.DowngradePolicy,
    name="TierDowngradePolicy",
    description="Where a downgrade goes once the grace period ends.",
    values={
        "ONE_STEP": "One tier down.",
        "TO_EARNED": "Straight to the tier the member's qualifying amount earns.",
    },
)
described_enum(
    rules.ChangeReason,
    name="TierChangeReason",
    description="Why a member's tier changed.",
    values={
        "QUALIFIED": "An award's qualifying amount reached the tier's threshold.",
        "EVALUATION": "An evaluation applied thresholds that changed since.",
        "DOWNGRADE": "The grace period ended below the tier's threshold.",
        "ASSIGNED": "An admin assigned the tier (assignTier).",
        "ASSIGNMENT_ENDED": "An assignment's end date came; the member has the tier it earned.",
    },
)
described_enum(
    TakesEffect,
    name="TierChangesTakeEffect",
    description="When changed tiers or thresholds move members: never silently at once.",
    values={
        "NEXT_EVALUATION": "At each member's next evaluation moment.",
        "REEVALUATION_QUEUED": "The evaluation job applies them to every member now.",
    },
)


@strawberry.type(description="One tier of the program.")
class Tier:
    key: str = strawberry.field(description="Stable key, e.g. gold.")
    name: str = strawberry.field(description="Name to show.")
    description: str = strawberry.field(description="What the tier gives, for members.")
    threshold: Decimal = strawberry.field(
        description="Qualifying amount (points or money, per the metric) that reaches the tier; exactly it is enough."
    )
    multiplier: Decimal = strawberry.field(
        description="Order points are multiplied by it (a TIER explanation line)."
    )

    @classmethod
    def of(cls, tier: rules.TierDef) -> Tier:
        return cls(
            key=tier.key,
            name=tier.name,
            description=tier.description,
            threshold=rules.plain(tier.threshold),
            multiplier=rules.plain(tier.multiplier),
        )


@strawberry.type(description="How members qualify for tiers and lose them.")
class TierPolicy:
    metric: rules.Metric = strawberry.field(description="What qualifies.")
    window: rules.WindowKind = strawberry.field(description="Which months count.")
    window_months: int = strawberry.field(description="Months of a rolling window.")
    evaluation: rules.EvaluationMoment = strawberry.field(description="When tiers are judged.")
    evaluation_month: int = strawberry.field(description="Month of a FIXED_DATE evaluation.")
    evaluation_day: int = strawberry.field(description="Day of a FIXED_DATE evaluation.")
    grace_days: int = strawberry.field(
        description="Days between an evaluation below the threshold and the downgrade."
    )
    downgrade: rules.DowngradePolicy = strawberry.field(description="Where downgrades go.")

    @classmethod
    def of(cls, policy: rules.Policy) -> TierPolicy:
        return cls(
            metric=policy.metric,
            window=policy.window,
            window_months=policy.window_months,
            evaluation=policy.evaluation,
            evaluation_month=policy.evaluation_month,
            evaluation_day=policy.evaluation_day,
            grace_days=policy.grace_days,
            downgrade=policy.downgrade,
        )


@strawberry.type(description="The program's tiers, lowest first, and their policy.")
class TierConfiguration:
    tiers: list[Tier] = strawberry.field(description="Tiers in ascending thresholds.")
    policy: TierPolicy = strawberry.field(description="Qualification and downgrade policy.")


def configuration(tiers: tuple[rules.TierDef, ...], policy: rules.Policy) -> TierConfiguration:
    return TierConfiguration(tiers=[Tier.of(t) for t in tiers], policy=TierPolicy.of(policy))


@strawberry.type(description="Where the member stands toward the next tier.")
class TierProgress:
    qualifying: Decimal = strawberry.field(
        description="The member's qualifying amount in the current window."
    )
    to_next: Decimal | None = strawberry.field(
        description="What is still to qualify for the next tier; null at the top."
    )
    percent: int | None = strawberry.field(
        description="Qualifying as a whole percentage of the next tier's threshold, rounded down; null at the top."
    )
    window_ends_on: date = strawberry.field(
        description="The last day of the current window's last month: after it, the oldest earnings stop counting."
    )


@strawberry.type(description="An amount of a tier metric.")
class TierAmount:
    metric: rules.Metric = strawberry.field(description="Points or money.")
    amount: Decimal = strawberry.field(description="How much.")


@strawberry.type(description="One change of a member's tier.")
class TierChange(relay.Node):
    change_id: relay.NodeID[int]
    from_tier: str = strawberry.field(description="The tier key before.")
    to_tier: str = strawberry.field(description="The tier key after.")
    reason: rules.ChangeReason = strawberry.field(description="Why.")
    note: str | None = strawberry.field(description="The admin's reason, if an admin's doing.")
    actor: str = strawberry.field(description="Who: system, or the admin's role:subject.")
    changed_at: datetime = strawberry.field(description="When.")

    @strawberry.field(description=WHY)
    async def why(self, info: strawberry.Info[Context, Any]) -> Why:
        setup = await tier_setup(info.context)
        tier = next((t for t in setup.tiers if t.key == self.to_tier), None) if setup else None
        return Why.of(
            why_rules.for_tier_change(
                from_tier=self.from_tier or None,
                to_tier=self.to_tier,
                reason=self.reason.value,
                note=self.note,
                metric=setup.policy.metric.value if setup else None,
                threshold=str(rules.plain(tier.threshold)) if tier else None,
            )
        )

    @classmethod
    def from_model(cls, row: TierHistory) -> TierChange:
        return cls(
            change_id=row.id,
            from_tier=row.from_key or "",
            to_tier=row.to_key,
            reason=rules.ChangeReason(row.reason_code),
            note=row.note,
            actor=row.actor,
            changed_at=row.created_at,
        )


@strawberry.type(description="A page of tier changes, newest first.")
class TierChangeConnection(relay.Connection[TierChange]):
    """Keyset-paginated by change id."""


@strawberry.type(description="A member's tier, progress, pending downgrade and history.")
class MemberTier:
    current: Tier = strawberry.field(description="The member's tier now.")
    next: Tier | None = strawberry.field(description="The next tier up; null at the top.")
    progress: TierProgress = strawberry.field(description="Progress toward the next tier.")
    retain_by: TierAmount | None = strawberry.field(
        description="While a downgrade is pending: what is still to qualify to keep the tier."
    )
    downgrade_on: date | None = strawberry.field(
        description="The day a pending downgrade happens unless the member requalifies."
    )
    assigned_until: date | None = strawberry.field(
        description="The end of an admin's assignment, if one with an end date holds the tier."
    )
    assigned: bool = strawberry.field(description="Whether an admin's assignment holds the tier.")
    member_key: strawberry.Private[int]

    @strawberry.field(description="Every change of the member's tier, newest first.")
    async def history(
        self,
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> TierChangeConnection:
        limit = page_size(first, "history")
        before_id = decode_cursor(after, HISTORY_CURSOR)
        rows = await reads.history_page(self.member_key, before_id=before_id, limit=limit + 1)
        return keyset_connection(
            TierChangeConnection, rows, limit, HISTORY_CURSOR, TierChange.from_model, after=after
        )

    @classmethod
    def of(cls, status: reads.TierStatus, member_key: int) -> MemberTier:
        progress, tiers = status.progress, status.tiers
        return cls(
            current=Tier.of(tiers[status.current]),
            next=Tier.of(tiers[progress.next_index]) if progress.next_index is not None else None,
            progress=TierProgress(
                qualifying=rules.plain(progress.qualifying),
                to_next=rules.plain(progress.to_next) if progress.to_next is not None else None,
                percent=progress.percent,
                window_ends_on=status.window_ends_on,
            ),
            retain_by=TierAmount(metric=status.metric, amount=rules.plain(status.retain_by))
            if status.retain_by is not None
            else None,
            downgrade_on=status.downgrade_on,
            assigned_until=status.assigned_until,
            assigned=status.assigned,
            member_key=member_key,
        )


async def tier_setup(context: Context) -> TierSetup | None:
    """The program's tiers and policy, read once per request (for `why`)."""

    async def load(program_ids: list[int]) -> list[TierSetup | None]:
        return [await reads.setup(program_id) for program_id in program_ids]

    program = await context.program()
    if program is None:
        return None
    found: TierSetup | None = await context.loader("tiers.setup", load).load(program.id)
    return found


def tier_loader(context: Context) -> DataLoader[int, reads.TierStatus | None]:
    """Tier statuses by member id: one statement for a whole page of members."""

    async def load(member_ids: list[int]) -> list[reads.TierStatus | None]:
        program = await context.program()
        now = context.clock.now()
        found = await reads.statuses(program.id, member_ids, now) if program else {}
        return [found.get(member_id) for member_id in member_ids]

    loader: DataLoader[int, reads.TierStatus | None] = context.loader("tiers.status", load)
    return loader


async def member_tier(info: strawberry.Info[Context, Any], member_key: int) -> MemberTier | None:
    """The Member type's `tier` field."""
    status = await tier_loader(info.context).load(member_key)
    return MemberTier.of(status, member_key) if status is not None else None
