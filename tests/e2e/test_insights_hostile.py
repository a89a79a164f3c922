"""An outside auditor's probes of segments, RFM scores and predictions, kept as regression tests:
hostile rule inputs, consent for every caller role, other programs' tokens, the cost of a page of
members, concurrent jobs, and the model on degenerate histories."""

from __future__ import annotations

import asyncio
import math
from datetime import timedelta
from typing import Any

import pytest
from tortoise import connections

from api.auth import Role
from backbone.bus import MessageBus
from domain import bgnbd
from domain.clock import FixedClock
from domain.predictions import History, predict
from loyalty.insights.commands import RecomputeRfm
from loyalty.insights.predicting import RecomputePredictions
from tests.conftest import token
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.insights_helpers import (
    ADMIN,
    ARCHIVE,
    CREATE,
    condition,
    create_segment,
    members_of,
    order_at,
    run_rfm_job,
    seed_members,
    set_profiling,
)
from tests.e2e.partner_helpers import partner
from tests.e2e.points_helpers import STORE, member_token
from tests.e2e.prediction_helpers import consent, day, orders_on_days, run_job, statements, stored
from tests.e2e.privacy_helpers import exported

pytestmark = pytest.mark.e2e

INSIGHTS = """rfm { recencyScore } segments { name }
  prediction { churnProbability } reorders(first: 5) { sku }
  recommendedProducts(first: 5) { sku }"""
BY_NODE = f"query($id: ID!) {{ node(id: $id) {{ ... on Member {{ {INSIGHTS} }} }} }}"
BY_EXTERNAL_ID = (
    f"query($id: String!) {{ memberByExternalId(externalId: $id) {{ id {INSIGHTS} }} }}"
)
SEGMENT_MEMBERS = """query($id: ID!) { segment(id: $id) { size members(first: 100) { edges {
  node { externalId rfm { recencyScore } segments { name } } } } } }"""


async def _count(sql: str, *params: Any) -> int:
    [row] = await connections.get("default").execute_query_dict(sql, list(params))
    return int(row["n"])


async def test_hostile_rule_values_are_typed_errors_and_write_nothing(gql: GraphQLClient) -> None:
    await seed_members(gql, "ann", consenting=())
    # Not decimals, or beyond what the scalar reads: refused as bad arguments before any rule.
    for special in (
        "NaN",
        "Infinity",
        "-Infinity",
        "sNaN",
        "1e",
        "0x10",
        "1E+1000000",
        "0E-1000000",
    ):
        body = await gql.post(
            CREATE,
            {
                "input": {
                    "name": "Special",
                    "rules": {"all": [condition("CHURN_PROBABILITY", "GTE", number=special)]},
                }
            },
            bearer=ADMIN,
        )
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", (special, body)
    hostile = [
        condition("POINTS_AVAILABLE", "GT", number=str(2**31)),
        condition("DAYS_SINCE_LAST_ORDER", "GTE", number="-1"),
        condition("RECENCY_SCORE", "EQ", number="0"),
        condition("RECENCY_SCORE", "EQ", number="4.5"),
        condition("POINTS_EXPIRING", "GT", number="0", withinDays=-5),
        condition("COMMUNITY_POSTS", "GT", number="0", withinDays=2**31 - 1),
        condition("TIER", "IN", texts=[f"t{i}" for i in range(21)]),
        condition("TIER", "EQ", texts=["gold", "silver"]),
        condition("LOCALE", "IN", texts=["пт-BR"]),
        condition("LOCALE", "EQ", texts=["x" * 20_000]),
        condition("TIER", "IN", texts=[]),
        condition("ORDER_COUNT", "GT"),
    ]
    refused = await create_segment(gql, "Hostile", all=hostile)
    assert refused["segment"] is None
    # Every condition is named, each with its own typed error.
    assert {int(e["field"][3]) for e in refused["userErrors"]} == set(range(len(hostile)))
    assert {e["code"] for e in refused["userErrors"]} == {"INVALID_SEGMENT_RULES"}
    too_many = await create_segment(
        gql,
        "Split",
        all=[condition("ORDER_COUNT", "GT", number="1")] * 11,
        any=[condition("ORDER_COUNT", "GT", number="1")] * 10,
    )
    assert [e["code"] for e in too_many["userErrors"]] == ["INVALID_SEGMENT_RULES"]
    long_name = await create_segment(gql, "n" * 81)
    assert [e["code"] for e in long_name["userErrors"]] == ["INVALID_NAME"]
    assert await _count("SELECT count(*) AS n FROM segment") == 0
    # Twenty conditions of every kind at their bounds compile and run.
    bounds = await create_segment(
        gql,
        "Bounds ✓ ünïcode",
        all=[
            condition("POINTS_AVAILABLE", "LTE", number=str(2**31 - 1)),
            condition("DAYS_TO_EXPECTED_ORDER", "GTE", number="-36500"),
            condition("COMMUNITY_POSTS", "GTE", number="0", withinDays=365),
            condition("TIER", "IN", texts=[f"t{i}" for i in range(20)]),
        ],
        any=[condition("CHURN_PROBABILITY", "LTE", number="0.9999")]
        + [condition("LOCALE", "NE", texts=["zh-hant-tw"])] * 15,
    )
    assert bounds["userErrors"] == []
    assert await members_of(gql, bounds["segment"]["id"]) == []


async def test_archiving_again_changes_nothing(gql: GraphQLClient, clock: FixedClock) -> None:
    await seed_members(gql, "ann", consenting=())
    segment = (await create_segment(gql, "Everyone"))["segment"]
    first = await gql.ok(ARCHIVE, {"input": {"id": segment["id"]}}, bearer=ADMIN)
    archived = first["archiveSegment"]["segment"]["archivedAt"]
    events = await _count("SELECT count(*) AS n FROM event_outbox WHERE type = 'segment.changed'")
    clock.advance(timedelta(days=1))
    again = await gql.ok(
        ARCHIVE.replace("archivedAt", "archivedAt updatedAt"),
        {"input": {"id": segment["id"]}},
        bearer=ADMIN,
    )
    assert again["archiveSegment"]["userErrors"] == []
    assert again["archiveSegment"]["segment"]["archivedAt"] == archived
    assert again["archiveSegment"]["segment"]["updatedAt"] == archived
    assert (
        await _count("SELECT count(*) AS n FROM event_outbox WHERE type = 'segment.changed'")
        == events
    )


async def _program_with_everything(gql: GraphQLClient, bus: MessageBus, clock: FixedClock) -> None:
    """Eleven repeat buyers with profiling (enough to fit), and `eve` who orders like them but
    never granted profiling; `ann` has scores, a prediction, reorders and recommendations."""
    await provision(gql)
    names = ["ann", *(f"m{n}" for n in range(10)), "eve"]
    for name in names:
        await enroll(gql, name)
        if name != "eve":
            await consent(gql, name, "profiling", True)
    plan = {
        name: [(float(n), ["BEANS", "MUG"]), (float(n + 7 * (1 + n % 3)), ["BEANS", "FILTER"])]
        for n, name in enumerate(names)
    }
    plan["ann"] = [(0.0, ["BEANS", "MUG"]), (9.0, ["BEANS"])]
    await orders_on_days(gql, clock, plan)
    clock.set(day(40))
    await run_rfm_job(bus)
    assert await run_job(bus)
    for name in ("Behavioural", "Everyone"):
        rules = [condition("ORDER_COUNT", "GTE", number="1")] if name == "Behavioural" else []
        created = await create_segment(gql, name, all=rules, memberVisible=True)
        assert created["userErrors"] == []


# Stands for the member's own token in `_insights`: a token minted twice differs once the clock
# has moved on a second, so tokens are not compared.
ITSELF = "itself"


async def _insights(gql: GraphQLClient, who: str, bearer: str) -> dict[str, Any]:
    """The member's insights as `bearer` reads them (`me` with its own token for ITSELF)."""
    if bearer == ITSELF:
        data = await gql.ok(f"{{ me {{ id {INSIGHTS} }} }}", bearer=member_token(who))
    else:
        data = {
            "me": (await gql.ok(BY_EXTERNAL_ID, {"id": who}, bearer=bearer))["memberByExternalId"]
        }
    found: dict[str, Any] = data["me"]
    return found


def _empty(found: dict[str, Any], *, segments: list[str]) -> bool:
    return (
        found["rfm"] is None
        and found["prediction"] is None
        and found["reorders"] == []
        and found["recommendedProducts"] == []
        and [s["name"] for s in found["segments"]] == segments
    )


async def test_no_profiling_nothing_for_any_role_and_any_route(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    await _program_with_everything(gql, bus, clock)
    ann = await _insights(gql, "ann", ADMIN)
    assert ann["rfm"] is not None
    assert ann["prediction"] is not None
    assert ann["reorders"]
    assert ann["recommendedProducts"]
    assert [s["name"] for s in ann["segments"]] == ["Behavioural", "Everyone"]
    eve = await _insights(gql, "eve", ADMIN)
    assert _empty(eve, segments=["Everyone"])  # admins see non-behavioural segments
    assert _empty(await _insights(gql, "eve", STORE), segments=[])
    by_node = await gql.ok(BY_NODE, {"id": eve["id"]}, bearer=member_token("eve"))
    assert _empty(by_node["node"], segments=[])
    probe = await gql.post(BY_NODE, {"id": ann["id"]}, bearer=await partner(gql, "shop"))
    assert (probe.get("data") or {}).get("node") is None
    assert await stored("member_rfm", "eve") == 0
    assert await stored("member_prediction", "eve") == 0
    assert await stored("member_reorder", "eve") == 0
    data = await gql.ok("{ segments(first: 5) { edges { node { name size } } } }", bearer=ADMIN)
    sizes = {e["node"]["name"]: e["node"]["size"] for e in data["segments"]["edges"]}
    assert sizes == {"Behavioural": 11, "Everyone": 12}
    document = await exported(gql, member_token("eve"))
    assert document["rfm"] is None
    assert document["prediction"] is None
    assert [s["name"] for s in document["segments"]] == ["Everyone"]
    # Objecting to personalization ends recommendations for every reader, nothing else.
    await consent(gql, "ann", "personalization", False)
    for bearer in (ADMIN, STORE, ITSELF):
        found = await _insights(gql, "ann", bearer)
        assert found["recommendedProducts"] == []
        assert found["prediction"] is not None


async def test_withdrawal_forgets_scores_predictions_and_reorders_at_once(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    await _program_with_everything(gql, bus, clock)
    assert await stored("member_rfm", "ann") == 1
    await set_profiling(gql, "ann", False)
    for bearer in (ADMIN, STORE, ITSELF):
        assert _empty(
            await _insights(gql, "ann", bearer), segments=["Everyone"] * (bearer == ADMIN)
        )
    # Nothing derived from her behaviour is kept, not even until the next run.
    for table in ("member_rfm", "member_prediction", "member_reorder"):
        assert await stored(table, "ann") == 0, table
    document = await exported(gql, member_token("ann"))
    assert document["rfm"] is None
    assert document["reorders"] == []


async def test_other_programs_tokens_see_nothing(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    await _program_with_everything(gql, bus, clock)
    await provision(gql, "other")
    await enroll(gql, "ann", "other")
    ann = await _insights(gql, "ann", ADMIN)
    listed = await gql.ok("{ segments(first: 5) { edges { node { id } } } }", bearer=ADMIN)
    segment_id = listed["segments"]["edges"][0]["node"]["id"]
    for role in (Role.ADMIN, Role.STOREFRONT):
        other = token(role, "other")
        body = await gql.post(BY_NODE, {"id": ann["id"]}, bearer=other)
        assert (body.get("data") or {}).get("node") is None
        body = await gql.post(
            "query($id: ID!) { node(id: $id) { id } }", {"id": segment_id}, bearer=other
        )
        assert (body.get("data") or {}).get("node") is None
        products = await gql.ok(
            '{ complementaryProducts(sku: "BEANS", first: 5) { sku } }', bearer=other
        )
        assert products["complementaryProducts"] == []
    other_admin = token(Role.ADMIN, "other")
    assert (await gql.ok("{ predictionModel { status } }", bearer=other_admin)) == {
        "predictionModel": None
    }
    other_ann = await gql.ok(BY_EXTERNAL_ID, {"id": "ann"}, bearer=other_admin)
    assert _empty(other_ann["memberByExternalId"], segments=[])
    # The other program's own member "ann" reads nothing of acme's ann.
    mine = await gql.ok(f"{{ me {{ {INSIGHTS} }} }}", bearer=member_token("ann", "other"))
    assert _empty(mine["me"], segments=[])
    forged = await gql.post("{ segments(first: 1) { edges { node { id } } } }", bearer="x.y.z")
    assert forged["errors"][0]["extensions"]["code"] in {"UNAUTHENTICATED", "FORBIDDEN"}
    for bearer in (STORE, await partner(gql, "shop"), member_token("ann")):
        body = await gql.post("{ predictionModel { status } }", bearer=bearer)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_page_of_segment_members_with_scores_costs_the_same_for_few_or_many(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    await seed_members(gql, "m00", consenting=("m00",))
    await order_at(gql, clock, "m00", "o-m00", "10.00", 0)
    await create_segment(gql, "Buyers", all=[condition("ORDER_COUNT", "GTE", number="1")])
    segment = (await create_segment(gql, "Everyone"))["segment"]
    await bus.handle(RecomputeRfm(program_id=await _program_id()))
    query = SEGMENT_MEMBERS.replace("($id: ID!)", "").replace("$id", f'"{segment["id"]}"')
    one = await statements(gql, query, ADMIN)
    for n in range(1, 12):
        await enroll(gql, f"m{n:02}")
        await set_profiling(gql, f"m{n:02}", True)
        await order_at(gql, clock, f"m{n:02}", f"o-m{n:02}", "10.00", n)
    await bus.handle(RecomputeRfm(program_id=await _program_id()))
    data = await gql.ok(query, bearer=ADMIN)
    edges = data["segment"]["members"]["edges"]
    assert len(edges) == 12
    assert all(e["node"]["rfm"] is not None for e in edges)
    assert all([s["name"] for s in e["node"]["segments"]] == ["Buyers", "Everyone"] for e in edges)
    assert await statements(gql, query, ADMIN) == one


async def _program_id() -> int:
    [row] = await connections.get("default").execute_query_dict(
        "SELECT id FROM program WHERE key = 'acme'"
    )
    return int(row["id"])


async def test_concurrent_runs_of_both_jobs_agree_with_one_run(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    await _program_with_everything(gql, bus, clock)
    program_id = await _program_id()
    before = await _count("SELECT count(*) AS n FROM member_rfm")
    rfm = await asyncio.gather(*(bus.handle(RecomputeRfm(program_id=program_id)) for _ in range(4)))
    assert {report.scored for report in rfm} == {before}
    predicted = await asyncio.gather(
        *(bus.handle(RecomputePredictions(program_id)) for _ in range(3))
    )
    assert {outcome.predictions for outcome in predicted} == {11}
    assert await _count("SELECT count(*) AS n FROM member_rfm") == before == 11
    assert await _count("SELECT count(*) AS n FROM member_prediction") == 11


async def _fit_with(gql: GraphQLClient, bus: MessageBus, clock: FixedClock, plan: Any) -> Any:
    await provision(gql)
    for name in plan:
        await enroll(gql, name)
        await consent(gql, name, "profiling", True)
    await orders_on_days(gql, clock, plan)
    return await run_job(bus)


PREDICTIONS = """{ members(first: 100) { edges { node { externalId prediction {
  churnProbability expectedOrdersNext90Days expectedNextOrderAt why { value reference effect } }
  } } } }"""


async def _sane_predictions(gql: GraphQLClient) -> list[dict[str, Any]]:
    edges = (await gql.ok(PREDICTIONS, bearer=ADMIN))["members"]["edges"]
    found = [e["node"]["prediction"] for e in edges if e["node"]["prediction"] is not None]
    for prediction in found:
        assert 0.0 <= prediction["churnProbability"] <= 1.0
        assert math.isfinite(prediction["expectedOrdersNext90Days"])
        assert prediction["expectedOrdersNext90Days"] >= 0
        for factor in prediction["why"]:
            assert all(
                value is None or math.isfinite(value)
                for value in (factor["value"], factor["reference"], factor["effect"])
            )
    return found


async def test_degenerate_histories_never_crash_the_job_nor_answer_nan(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    # Ten identical histories, ordered the same instant twice, and two with a ten-year gap.
    plan: dict[str, list[tuple[float, list[str]]]] = {
        f"same-{n}": [(0.0, ["A"]), (0.0, ["A"]), (30.0, ["A"])] for n in range(10)
    }
    plan["old-0"] = [(0.0, ["B"]), (3650.0, ["B"])]
    plan["old-1"] = [(1.0, ["B"])]
    outcome = await _fit_with(gql, bus, clock, plan)
    clock.set(day(3651))
    outcome = await run_job(bus)
    [result] = outcome.values()
    assert result.status == "FITTED"
    assert len(await _sane_predictions(gql)) == 12


async def test_all_single_orders_or_one_member_is_too_little_data(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    outcome = await _fit_with(gql, bus, clock, {f"one-{n}": [(float(n), ["A"])] for n in range(12)})
    [result] = outcome.values()
    assert result.status == "INSUFFICIENT_DATA"
    assert result.predictions == 0
    model = await gql.ok("{ predictionModel { status members } }", bearer=ADMIN)
    assert model["predictionModel"] == {"status": "INSUFFICIENT_DATA", "members": 12}
    assert await _sane_predictions(gql) == []


def test_a_tiny_r_gives_no_date_rather_than_an_overflow() -> None:
    # r at the optimiser's lower bound (e^-9): 2 ** (1 / r) is beyond any float.
    parameters = bgnbd.Parameters(r=1.234e-4, alpha=1.0, a=1.0, b=1.0)
    assert bgnbd.median_wait_days(parameters, 0.0, 10.0) == math.inf
    [prediction] = predict(parameters, [History(1, 1, 10.0, 10.0)], day(10))
    assert prediction.expected_next_order_at is None
    assert bgnbd.median_wait_days(bgnbd.Parameters(1.0, 2.0, 1.0, 1.0), 1.0, 10.0) == (
        pytest.approx(12 * (2**0.5 - 1))
    )


def test_an_even_count_of_members_gives_finite_factors_for_a_small_b() -> None:
    # The median of 1 and 2 orders is 1.5; b < 1/2 made the "orders" effect NaN, which jsonb
    # refuses: the whole job failed.
    parameters = bgnbd.Parameters(r=0.06, alpha=1.2e-4, a=0.14, b=0.15)
    histories = [History(1, 1, 1.0, 1.0), History(2, 2, 30.0, 3.0)]
    for prediction in predict(parameters, histories, day(30)):
        assert 0.0 <= prediction.churn_probability <= 1.0
        assert all(math.isfinite(f.effect) and math.isfinite(f.value) for f in prediction.why)
