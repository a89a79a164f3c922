"""Predictions through GraphQL: orders with lines at moved clock times, the daily job, then churn
predictions with their why, reorder dates from each member's own cycle, complementary products,
and nothing at all for members without `profiling` consent."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from backbone.bus import MessageBus
from domain.clock import FixedClock
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.points_helpers import ADMIN, REVERSE, STORE, key, write
from tests.e2e.prediction_helpers import (
    consent,
    day,
    mine,
    orders_on_days,
    run_job,
    statements,
    stored,
)

pytestmark = pytest.mark.e2e

MODEL = """{ predictionModel { status modelVersion r alpha a b members repeatMembers
  minimumMembers fittedAt } }"""
BY_EXTERNAL_ID = """query($externalId: String!) {
  memberByExternalId(externalId: $externalId) { reorders(first: 5) { sku dueAt } } }"""
MEMBERS = """{ members(first: 100) { edges { node { externalId
  prediction { churnProbability why { code } } reorders(first: 5) { sku dueAt }
  recommendedProducts(first: 5) { sku } } } } }"""
COMPLEMENTARY = """query($sku: String!) {
  complementaryProducts(sku: $sku, first: 5) { sku support confidence lift } }"""


def _weekly(first: float, last: float) -> list[tuple[float, list[str]]]:
    return [(float(d), ["COFFEE"]) for d in range(int(first), int(last) + 1, 7)]


async def _program_of_regulars_and_lapsed(gql: GraphQLClient, clock: FixedClock) -> None:
    """Six weekly regulars (to day 63), three who ordered weekly to day 21 then stopped, three
    single orders, all with profiling consent; `nosy` orders weekly without it."""
    await provision(gql)
    plan: dict[str, list[tuple[float, list[str]]]] = {}
    for n in range(6):
        plan[f"regular-{n}"] = _weekly(n, 63)
    for n in range(3):
        plan[f"lapsed-{n}"] = _weekly(n, 21)
    for n in range(3):
        plan[f"single-{n}"] = [(30.0 + n, ["COFFEE"])]
    plan["nosy"] = _weekly(0, 63)
    for external_id in plan:
        await enroll(gql, external_id)
        if external_id != "nosy":
            await consent(gql, external_id, "profiling", True)
    await orders_on_days(gql, clock, plan)
    clock.set(day(70))


def _factor(prediction: dict[str, Any], code: str) -> dict[str, Any]:
    [found] = [f for f in prediction["why"] if f["code"] == code]
    factor: dict[str, Any] = found
    return factor


async def test_churn_predictions_with_why_and_model_version_for_consenting_members_only(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    await _program_of_regulars_and_lapsed(gql, clock)
    outcome = await run_job(bus)
    [program_outcome] = outcome.values()
    assert program_outcome.status == "FITTED"
    assert program_outcome.predictions == 12
    assert program_outcome.reorders == 9  # COFFEE, for each repeat buyer with consent

    model = (await gql.ok(MODEL, bearer=ADMIN))["predictionModel"]
    assert model["status"] == "FITTED"
    assert model["members"] == 12
    assert model["repeatMembers"] == 9
    assert model["modelVersion"].startswith(f"bgnbd-1/{day(70).date().isoformat()}/")

    regular = (await mine(gql, "regular-0"))["prediction"]
    lapsed = (await mine(gql, "lapsed-0"))["prediction"]
    assert lapsed["churnProbability"] > regular["churnProbability"]
    assert regular["expectedOrdersNext90Days"] > lapsed["expectedOrdersNext90Days"]
    assert regular["modelVersion"] == model["modelVersion"]
    recency = _factor(lapsed, "DAYS_SINCE_LAST_ORDER")
    assert recency["value"] == 49.0
    assert recency["reference"] == 7.0
    assert recency["direction"] == "RAISES_RISK"
    assert recency["effect"] > 0
    assert {f["code"] for f in regular["why"]} == {"DAYS_SINCE_LAST_ORDER", "ORDERS", "TENURE"}
    assert regular["expectedNextOrderAt"] > day(70).isoformat()

    # No consent: never scored, nothing stored, null on read.
    assert (await mine(gql, "nosy"))["prediction"] is None
    assert await stored("member_prediction", "nosy") == 0

    # Withdrawal removes the rows at once, and the next run does not bring them back.
    await consent(gql, "regular-0", "profiling", False)
    assert await stored("member_prediction", "regular-0") == 0
    assert await stored("member_reorder", "regular-0") == 0
    assert (await mine(gql, "regular-0"))["prediction"] is None
    clock.advance(timedelta(days=1))
    await run_job(bus)
    assert await stored("member_prediction", "regular-0") == 0
    assert await stored("member_prediction", "regular-1") == 1


async def test_too_little_data_says_so_and_predicts_nothing(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    await consent(gql, "ann", "profiling", True)
    await orders_on_days(gql, clock, {"ann": [(0, ["TEA"]), (10, ["TEA"])]})
    await run_job(bus)
    model = (await gql.ok(MODEL, bearer=ADMIN))["predictionModel"]
    assert model["status"] == "INSUFFICIENT_DATA"
    assert model["modelVersion"] is None
    assert model["members"] == 1
    assert model["minimumMembers"] > 1
    assert (await mine(gql, "ann"))["prediction"] is None


async def test_reorder_due_at_the_members_own_median_cycle_without_returned_orders(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    await provision(gql)
    for external_id in ("ann", "bob"):
        await enroll(gql, external_id)
    await consent(gql, "ann", "profiling", True)
    # Gaps of 10 and 20 days: the median cycle is 15. The order of day 35 is returned in full.
    beans: list[tuple[float, list[str]]] = [
        (0, ["BEANS", "MUG"]), (10, ["BEANS"]), (30, ["BEANS", "FILTER"]), (35, ["BEANS"])
    ]  # fmt: skip
    await orders_on_days(gql, clock, {"ann": beans, "bob": beans})
    returned = await write(
        gql,
        REVERSE,
        {"idempotencyKey": key(), "orderId": "ann-3", "returnId": "r-1", "amount": "5.00",
         "currency": "EUR"},
    )  # fmt: skip
    assert returned["userErrors"] == []
    clock.set(day(40))
    # Two runs at once (two workers, or an admin's run beside the schedule) write it once.
    await asyncio.gather(run_job(bus), run_job(bus))

    [reorder] = (await mine(gql, "ann"))["reorders"]
    assert reorder["sku"] == "BEANS"
    assert reorder["orders"] == 3
    assert reorder["cycleDays"] == 15.0
    assert reorder["lastOrderedAt"] == day(30).isoformat()
    assert reorder["dueAt"] == day(45).isoformat()
    assert reorder["modelVersion"] == f"cycle-median-1/{day(40).date().isoformat()}"
    cycle = next(f for f in reorder["why"] if f["code"] == "CYCLE_DAYS")
    assert cycle["value"] == 15.0
    assert (await mine(gql, "bob"))["reorders"] == []
    assert await stored("member_reorder", "bob") == 0
    # The storefront reads the same for its "time to reorder?" reminder.
    staff = await gql.ok(BY_EXTERNAL_ID, {"externalId": "ann"}, bearer=STORE)
    assert staff["memberByExternalId"]["reorders"][0]["dueAt"] == day(45).isoformat()


async def test_complementary_products_from_co_purchases_and_the_members_recommendations(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    await provision(gql)
    for external_id in ("ann", "bob", "cat", "dan"):
        await enroll(gql, external_id)
    for external_id in ("ann", "cat", "dan"):
        await consent(gql, external_id, "profiling", True)
    await consent(gql, "dan", "personalization", False)
    await orders_on_days(
        gql,
        clock,
        {
            "ann": [(0, ["A", "B"]), (5, ["C"])],
            "bob": [(1, ["A", "B"]), (2, ["A", "C"]), (3, ["B"])],
            "cat": [(4, ["A"])],
            "dan": [(4, ["A"])],
        },
    )
    await run_job(bus)
    # Orders: {A,B} {A,B} {A,C} {B} {C} {A} {A}: A in 5 of 7, B in 3; A and B together in 2.
    found = (await gql.ok(COMPLEMENTARY, {"sku": "A"}, bearer=STORE))["complementaryProducts"]
    assert found == [
        {"sku": "B", "support": 2, "confidence": pytest.approx(2 / 5), "lift": pytest.approx(
            (2 / 5) / (3 / 7))},
    ]  # fmt: skip
    rules_of_b = (await gql.ok(COMPLEMENTARY, {"sku": "B"}, bearer=ADMIN))["complementaryProducts"]
    assert [(r["sku"], r["confidence"]) for r in rules_of_b] == [("A", pytest.approx(2 / 3))]

    assert (await mine(gql, "cat"))["recommendedProducts"] == [
        {"sku": "B", "confidence": pytest.approx(2 / 5), "lift": pytest.approx(14 / 15),
         "becauseOf": ["A"]},
    ]  # fmt: skip
    assert (await mine(gql, "ann"))["recommendedProducts"] == []  # bought both already
    assert (await mine(gql, "dan"))["recommendedProducts"] == []  # objected to personalization
    assert (await mine(gql, "bob"))["recommendedProducts"] == []  # no profiling consent

    bad = await gql.post(COMPLEMENTARY, {"sku": "x\ny"}, bearer=STORE)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_page_of_members_with_predictions_costs_the_same_for_one_or_many(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    await provision(gql)
    await enroll(gql, "m-0")
    await consent(gql, "m-0", "profiling", True)
    await orders_on_days(gql, clock, {"m-0": [(0, ["A", "B"]), (9, ["A", "B"])]})
    await run_job(bus)
    one = await statements(gql, MEMBERS, ADMIN)
    for n in range(1, 4):
        await enroll(gql, f"m-{n}")
        await consent(gql, f"m-{n}", "profiling", True)
    await orders_on_days(
        gql, clock, {f"m-{n}": [(10 + n, ["A"]), (20 + n, ["A", "C"])] for n in range(1, 4)}
    )
    await run_job(bus)
    page = (await gql.ok(MEMBERS, bearer=ADMIN))["members"]["edges"]
    assert [len(e["node"]["reorders"]) for e in page] == [2, 1, 1, 1]
    assert await statements(gql, MEMBERS, ADMIN) == one
