"""Tiers through GraphQL on PostgreSQL with a moved clock: upgrades inside the award that crosses
a threshold, progress exact at thresholds, windows that age out, returns, the multiplier."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from tortoise import connections

from api.auth import Role
from domain.clock import FixedClock
from tests.conftest import token
from tests.e2e.conftest import GraphQLClient
from tests.e2e.points_helpers import (
    award_event,
    award_manual,
    award_order,
    configure,
    lines,
    member_token,
)
from tests.e2e.points_helpers import reverse as reverse_order
from tests.e2e.test_events import events
from tests.e2e.tier_helpers import configure_tiers, history, tier

pytestmark = pytest.mark.e2e


def progress(status: dict[str, Any]) -> tuple[str, str | None, str, str | None, int | None]:
    p, following = status["progress"], status["next"]
    key = following["key"] if following else None
    return status["current"]["key"], key, p["qualifying"], p["toNext"], p["percent"]


async def test_the_award_that_reaches_a_threshold_upgrades_in_its_transaction(
    gql: GraphQLClient, ann: str
) -> None:
    configured = await configure_tiers(gql)
    assert configured["userErrors"] == []
    assert configured["takesEffect"] == "NEXT_EVALUATION"
    await award_order(gql, ann, "o-1", "99.00")
    assert progress(await tier(gql, ann)) == ("base", "silver", "99", "1", 99)
    await award_order(gql, ann, "o-2", "1.00")
    status = await tier(gql, ann)
    assert progress(status) == ("silver", "gold", "100", "400", 20)
    assert history(status) == [("base", "silver", "QUALIFIED")]
    assert status["history"]["edges"][0]["node"]["actor"] == "system"
    changed = [e for e in await events(gql) if e["type"] == "tier.changed"]
    assert [e["payload"] for e in changed] == [
        {"fromTier": "base", "toTier": "silver", "reason": "QUALIFIED"}
    ]
    # One transaction: the award's entry event and the upgrade's share the writer's txid.
    rows = await connections.get("default").execute_query_dict(
        "SELECT DISTINCT txid FROM event_outbox WHERE type IN ('points.earned', 'tier.changed')"
        " AND id > (SELECT min(id) FROM event_outbox WHERE type = 'points.earned')"
    )
    assert len(rows) == 1


async def test_progress_is_exact_around_the_top_threshold(gql: GraphQLClient, ann: str) -> None:
    await configure_tiers(gql)
    await award_order(gql, ann, "o-1", "499.00")  # base x1: 499
    assert progress(await tier(gql, ann)) == ("silver", "gold", "499", "1", 99)
    await award_order(gql, ann, "o-2", "0.67")  # silver x1.5: 1 point (rounded down)
    assert progress(await tier(gql, ann)) == ("gold", None, "500", None, None)


async def test_the_tier_multiplier_is_its_own_explanation_line(
    gql: GraphQLClient, ann: str
) -> None:
    await configure_tiers(gql)
    await award_order(gql, ann, "o-1", "100.00")
    entry = (await award_order(gql, ann, "o-2", "10.00"))["entry"]
    assert entry["points"] == 15
    assert lines(entry) == [("BASE", 10), ("TIER", 5)]
    assert entry["explanation"][1]["label"] == "Tier multiplier x1.5"


async def test_manual_grants_and_spending_never_change_qualifying_points(
    gql: GraphQLClient, ann: str
) -> None:
    await configure(gql, events=[{"name": "review_posted", "points": 30}])
    await configure_tiers(gql)
    await award_manual(gql, ann, 1000)
    await award_event(gql, ann, "review_posted", "r-1")
    assert progress(await tier(gql, ann)) == ("base", "silver", "30", "70", 30)


async def test_a_return_takes_its_qualifying_points_back(gql: GraphQLClient, ann: str) -> None:
    await configure_tiers(gql)
    await award_order(gql, ann, "o-1", "200.00")
    assert (await tier(gql, ann))["current"]["key"] == "silver"
    await reverse_order(gql, "o-1", "r-1", "150.00")
    status = await tier(gql, ann)
    # Lower qualifying points, but no downgrade before an evaluation.
    assert progress(status) == ("silver", "gold", "50", "450", 10)


async def test_spend_qualifies_in_money_and_returns_lower_it(gql: GraphQLClient, ann: str) -> None:
    tiers = [
        {"key": "base", "name": "Base", "threshold": "0"},
        {"key": "silver", "name": "Silver", "threshold": "250.50"},
    ]
    assert (await configure_tiers(gql, tiers, metric="SPEND"))["userErrors"] == []
    await award_order(gql, ann, "o-1", "250.49")
    assert progress(await tier(gql, ann))[:4] == ("base", "silver", "250.49", "0.01")
    await award_order(gql, ann, "o-2", "0.01")
    assert (await tier(gql, ann))["current"]["key"] == "silver"
    await reverse_order(gql, "o-1", "r-1", "100.00")
    assert (await tier(gql, ann))["progress"]["qualifying"] == "150.5"


async def test_a_rolling_window_drops_earnings_as_they_age_out(
    gql: GraphQLClient, ann: str, clock: FixedClock
) -> None:
    await configure_tiers(gql)  # three months
    await award_order(gql, ann, "o-1", "120.00")  # June 2026
    status = await tier(gql, ann)
    assert status["progress"]["windowEndsOn"] == "2026-06-30"
    clock.set(datetime(2026, 8, 31, 23, 0, tzinfo=UTC))
    status = await tier(gql, ann)
    assert (status["progress"]["qualifying"], status["progress"]["windowEndsOn"]) == (
        "120",
        "2026-08-31",
    )
    clock.set(datetime(2026, 9, 1, 0, 0, tzinfo=UTC))
    status = await tier(gql, ann)
    # Aged out of the window, but still silver: only the evaluation downgrades.
    assert progress(status) == ("silver", "gold", "0", "500", 0)


async def test_a_tier_change_is_a_node_its_member_and_program_can_read(
    gql: GraphQLClient, ann: str
) -> None:
    await configure_tiers(gql)
    await award_order(gql, ann, "o-1", "100.00")
    query = "{ me { tier { history(first: 1) { edges { node { id toTier } } } } } }"
    data = await gql.ok(query, bearer=member_token(ann))
    [edge] = data["me"]["tier"]["history"]["edges"]
    node = "query($id: ID!) { node(id: $id) { ... on TierChange { toTier } } }"
    variables = {"id": edge["node"]["id"]}
    for bearer in (member_token(ann), token(Role.ADMIN)):
        assert (await gql.ok(node, variables, bearer=bearer))["node"] == {"toTier": "silver"}
    for bearer in (member_token("someone-else"), token(Role.ADMIN, "other")):
        assert (await gql.ok(node, variables, bearer=bearer))["node"] is None
