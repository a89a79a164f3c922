"""The predictions' personal data in the member's export, and gone with its erasure; every read
of a member's prediction logged as a use of its data."""

from __future__ import annotations

import pytest
from tortoise import connections

from backbone.bus import MessageBus
from domain.clock import FixedClock
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.points_helpers import member_token
from tests.e2e.prediction_helpers import consent, day, mine, orders_on_days, run_job
from tests.e2e.privacy_helpers import erase, exported

pytestmark = pytest.mark.e2e

USES = """{ me { dataUsage(first: 10, purpose: "profiling") { edges { node { purpose usedBy
  categories summary } } } } }"""


async def _ann_with_a_cycle(gql: GraphQLClient, bus: MessageBus, clock: FixedClock) -> str:
    await provision(gql)
    ann = await enroll(gql, "ann")
    await consent(gql, "ann", "profiling", True)
    await orders_on_days(gql, clock, {"ann": [(0, ["BEANS", "MUG"]), (12, ["BEANS"])]})
    clock.set(day(20))
    await run_job(bus)
    return ann


async def test_the_export_holds_the_members_reorders_and_order_lines(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    await _ann_with_a_cycle(gql, bus, clock)
    document = await exported(gql, member_token("ann"))
    assert document["prediction"] is None  # one member: too little data to fit
    [reorder] = document["reorders"]
    assert reorder["sku"] == "BEANS"
    assert reorder["cycleDays"] == 12.0
    assert next(f["code"] for f in reorder["why"]) == "ORDERS_OF_SKU"
    lines = document["orderLines"]
    assert [(line["orderId"], line["sku"]) for line in lines] == [
        ("ann-0", "BEANS"),
        ("ann-0", "MUG"),
        ("ann-1", "BEANS"),
    ]


async def test_reading_the_reorders_is_a_logged_profiling_use(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    await _ann_with_a_cycle(gql, bus, clock)
    assert len((await mine(gql, "ann"))["reorders"]) == 1
    await mine(gql, "ann")  # the same day: one use
    data = await gql.ok(USES, bearer=member_token("ann"))
    [use] = [edge["node"] for edge in data["me"]["dataUsage"]["edges"]]
    assert use["usedBy"] == "the program's predictions"
    assert use["summary"].endswith(
        "for profiling: churn, next-order and reorder predictions from your purchases."
    )
    assert use["categories"] == ["PURCHASE_HISTORY"]


async def test_erasure_removes_the_members_order_lines_and_reorders(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    ann = await _ann_with_a_cycle(gql, bus, clock)
    payload = await erase(gql, id=ann)
    assert payload["userErrors"] == []
    connection = connections.get("default")
    for table in ("points_order_line", "member_reorder", "member_prediction"):
        [row] = await connection.execute_query_dict(f"SELECT count(*) AS n FROM {table}")  # noqa: S608 - constant names
        assert row["n"] == 0, table
    [row] = await connection.execute_query_dict("SELECT count(*) AS n FROM points_order")
    assert row["n"] == 2  # the ledger's orders stay
