"""Challenge rules: goals are checked, events count for the right member, progress is measured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.challenges import (
    ORDER_EVENT,
    ChallengeSpec,
    Enrolment,
    Goal,
    GoalKind,
    Match,
    beneficiary,
    bucket,
    check_challenge,
    counts,
    is_complete,
    progress,
)
from domain.validation import ErrorCode, InvalidInput

pytestmark = pytest.mark.unit

START = datetime(2026, 6, 1, tzinfo=UTC)
REVIEWS = Goal(
    kind=GoalKind.COUNT,
    target=Decimal(3),
    event_type="community.post_approved",
    matches=(Match("kind", "REVIEW"),),
)
REFERRALS = Goal(
    kind=GoalKind.COUNT,
    target=Decimal(2),
    event_type="referral.converted",
    counts_for="referrerId",
)


def _spec(goal: Goal, **changes: object) -> ChallengeSpec:
    fields: dict[str, object] = {
        "name": " Critic ",
        "description": "Write reviews",
        "goal": goal,
        "starts_at": START,
        "ends_at": START + timedelta(days=30),
        "enrolment": Enrolment.AUTO,
        "reward_points": 10,
        "has_badge": False,
        **changes,
    }
    return ChallengeSpec(**fields)  # type: ignore[arg-type]


def _refusals(spec: ChallengeSpec) -> list[tuple[tuple[str, ...], ErrorCode]]:
    with pytest.raises(InvalidInput) as refused:
        check_challenge(spec)
    return [(p.field, p.code) for p in refused.value.problems]


def test_a_goal_over_an_event_no_area_records_yet_is_accepted() -> None:
    checked = check_challenge(_spec(REVIEWS))
    assert checked.name == "Critic"
    assert checked.goal == REVIEWS


def test_a_payload_filter_compares_json_text_whatever_the_kind() -> None:
    assert beneficiary(REVIEWS, "community.post_approved", 7, {"kind": "REVIEW"}) == 7
    assert beneficiary(REVIEWS, "community.post_approved", 7, {"kind": "TIP"}) is None
    assert beneficiary(REVIEWS, "community.post_approved", 7, {}) is None
    assert beneficiary(REVIEWS, "reward.redeemed", 7, {"kind": "REVIEW"}) is None
    five_stars = Goal(
        kind=GoalKind.COUNT, target=Decimal(1), event_type="x.y", matches=(Match("rating", "5"),)
    )
    assert beneficiary(five_stars, "x.y", 1, {"rating": 5}) == 1
    assert beneficiary(five_stars, "x.y", 1, {"rating": "5"}) == 1
    assert beneficiary(five_stars, "x.y", 1, {"rating": 4}) is None


def test_an_event_counts_for_the_member_a_payload_field_names() -> None:
    payload = {"referralId": 3, "referrerId": 11, "referrerPoints": 500}
    assert beneficiary(REFERRALS, "referral.converted", 22, payload) == 11
    assert beneficiary(REFERRALS, "referral.converted", 22, {"referrerId": "11"}) is None
    assert beneficiary(REFERRALS, "referral.converted", 22, {"referrerId": True}) is None
    assert beneficiary(REFERRALS, "referral.converted", 22, {}) is None


def test_order_goals_count_orders_only_by_local_month() -> None:
    months = Goal(kind=GoalKind.DISTINCT_MONTHS, target=Decimal(3))
    assert beneficiary(months, ORDER_EVENT, 5, {"sourceRef": "order:1"}) == 5
    assert beneficiary(months, ORDER_EVENT, 5, {"sourceRef": "challenge:1"}) is None
    assert beneficiary(months, ORDER_EVENT, 5, {"sourceRef": None}) is None
    late = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)  # already July in Paris
    assert bucket(months, late, "Europe/Paris") == "2026-07"
    assert bucket(months, late, "UTC") == "2026-06"
    assert bucket(REVIEWS, late, "UTC") == ""


def test_progress_per_kind() -> None:
    buckets = [("2026-06", 2, Decimal("150")), ("2026-07", 1, Decimal("60.5"))]
    assert progress(REVIEWS, [("", 2, Decimal(2))]) == 2
    assert progress(Goal(kind=GoalKind.DISTINCT_MONTHS, target=Decimal(3)), buckets) == 2
    spend = Goal(kind=GoalKind.MONTHLY_SPEND, target=Decimal(200))
    assert progress(spend, buckets) == Decimal("150")
    assert progress(spend, []) == 0
    assert not is_complete(spend, Decimal("199.99"))
    assert is_complete(spend, Decimal(200))


def test_opt_in_counts_from_joining_and_never_before_the_start() -> None:
    joined = START + timedelta(days=2)
    assert counts(Enrolment.AUTO, None, START, START)
    assert not counts(Enrolment.OPT_IN, None, START, joined)
    assert not counts(Enrolment.OPT_IN, joined, START, joined - timedelta(seconds=1))
    assert counts(Enrolment.OPT_IN, joined, START, joined)
    early = START - timedelta(days=5)
    assert not counts(Enrolment.OPT_IN, early, START, START - timedelta(days=1))


def test_bad_goals_windows_and_rewards_are_refused_at_their_fields() -> None:
    bad_goal = Goal(
        kind=GoalKind.COUNT,
        target=Decimal("1.5"),
        event_type="Not A Type",
        matches=(Match("Kind", "x\x00"),),
        counts_for="referrer id",
    )
    found = _refusals(
        _spec(bad_goal, ends_at=START, reward_points=0, name="\x00", description="x" * 501)
    )
    assert found == [
        (("name",), ErrorCode.INVALID_NAME),
        (("description",), ErrorCode.INVALID_DESCRIPTION),
        (("goal", "eventType"), ErrorCode.INVALID_CHALLENGE),
        (("goal", "where", "0", "field"), ErrorCode.INVALID_CHALLENGE),
        (("goal", "where", "0", "equals"), ErrorCode.INVALID_CHALLENGE),
        (("goal", "countsFor"), ErrorCode.INVALID_CHALLENGE),
        (("goal", "target"), ErrorCode.INVALID_CHALLENGE),
        (("endsAt",), ErrorCode.INVALID_CHALLENGE),
        (("rewardPoints",), ErrorCode.INVALID_CHALLENGE),
    ]
    orders = Goal(kind=GoalKind.MONTHLY_SPEND, target=Decimal("200.12345"), counts_for="x")
    assert _refusals(_spec(orders)) == [
        (("goal", "eventType"), ErrorCode.INVALID_CHALLENGE),
        (("goal", "target"), ErrorCode.INVALID_CHALLENGE),
    ]
    assert check_challenge(_spec(Goal(kind=GoalKind.MONTHLY_SPEND, target=Decimal("200.5"))))
