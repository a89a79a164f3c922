"""GraphQL types of a campaign's experiment results: per arm, the holdout included, and each
arm against the holdout with a confidence interval. Admins only (through `Campaign.results`)."""

from __future__ import annotations

import strawberry

from api.enums import described_enum
from api.rewards.catalog_types import Money
from domain import experiment_stats as stats
from domain.experiments import HOLDOUT
from loyalty.campaigns import results as counted

described_enum(
    stats.Significance,
    name="ExperimentSignificance",
    description="Whether an arm's difference from the holdout is established. Admins only.",
    values={
        "SIGNIFICANT": "The 95% confidence interval of the difference excludes 0, with at "
        f"least {stats.MIN_MEMBERS} members in the arm and in the holdout.",
        "NOT_YET_SIGNIFICANT": "The interval contains 0, or the arm or the holdout has fewer "
        f"than {stats.MIN_MEMBERS} members: keep the experiment running.",
        "NO_HOLDOUT": "Nobody was held out (holdoutPercent 0, or no member yet): nothing to "
        "compare with.",
    },
)


@strawberry.type(description="A confidence interval of a difference of rates. Admins only.")
class ConfidenceInterval:
    low: float = strawberry.field(description="Its lower bound, -1 to 1.")
    high: float = strawberry.field(description="Its upper bound, -1 to 1.")


@strawberry.type(description="An arm against the holdout. Admins only.")
class ArmComparison:
    difference: float | None = strawberry.field(
        description="The arm's conversion rate minus the holdout's; null without members."
    )
    interval: ConfidenceInterval | None = strawberry.field(
        description="The 95% interval of the difference (Newcombe's hybrid score interval); "
        "null without members on either side."
    )
    significance: stats.Significance = strawberry.field(description="What it establishes.")


@strawberry.type(description="One arm's (or the holdout's) results. Admins only.")
class CampaignArmResult:
    arm: str = strawberry.field(description="The arm's key; `holdout` for the holdout.")
    holdout: bool = strawberry.field(description="True for the holdout group.")
    members_exposed: int = strawberry.field(
        description="Members reached (SENT or OFFERED) or held out (HELD_OUT), each once."
    )
    conversions: int = strawberry.field(
        description="Of them, members with an order within conversionWindowDays after their "
        "exposure."
    )
    conversion_rate: float | None = strawberry.field(
        description="conversions / membersExposed; null when nobody is in the arm yet."
    )
    points_issued: int = strawberry.field(
        description="Points of their EARN ledger entries in their windows (orders, events, "
        "grants and gifts, this campaign's included), as earned."
    )
    revenue: Money = strawberry.field(
        description="Their orders' totals in their windows, less what was returned of them."
    )
    vs_holdout: ArmComparison | None = strawberry.field(
        description="The arm against the holdout; null for the holdout itself."
    )


@strawberry.type(description="A campaign's results per arm, as of now. Admins only.")
class CampaignResults:
    conversion_window_days: int = strawberry.field(
        description="Days after a member's exposure in which its orders count."
    )
    confidence: float = strawberry.field(description="The intervals' confidence level, 0.95.")
    minimum_members: int = strawberry.field(
        description="Members an arm and the holdout each need before a difference is SIGNIFICANT."
    )
    arms: list[CampaignArmResult] = strawberry.field(
        description="Every arm of the campaign (`default` when it has none), then the holdout."
    )


def results_of(found: counted.Results) -> CampaignResults:
    return CampaignResults(
        conversion_window_days=found.conversion_window_days,
        confidence=stats.CONFIDENCE,
        minimum_members=stats.MIN_MEMBERS,
        arms=[_arm(arm) for arm in found.arms],
    )


def _arm(arm: counted.ArmResult) -> CampaignArmResult:
    comparison = None
    if arm.comparison is not None:
        interval = arm.comparison.interval
        comparison = ArmComparison(
            difference=arm.comparison.difference,
            interval=None
            if interval is None
            else ConfidenceInterval(low=interval.low, high=interval.high),
            significance=arm.comparison.significance,
        )
    return CampaignArmResult(
        arm=arm.arm,
        holdout=arm.arm == HOLDOUT,
        members_exposed=arm.members,
        conversions=arm.conversions,
        conversion_rate=arm.conversion_rate,
        points_issued=arm.points_issued,
        revenue=Money(amount=arm.revenue, currency=arm.currency),
        vs_holdout=comparison,
    )
