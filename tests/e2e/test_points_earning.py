"""Earning through the API: rules configured by an admin, orders and events awarded by the
storefront, and the member reading the same explanation on its own ledger."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.clock import FixedClock
from tests.e2e.conftest import GraphQLClient
from tests.e2e.points_helpers import (
    LEDGER,
    award_event,
    award_manual,
    award_order,
    bal,
    balance,
    configure,
    errors,
    key,
    ledger,
    lines,
    member_token,
    reverse,
)

pytestmark = pytest.mark.e2e

RULES: dict[str, Any] = {
    "earnRate": "2",
    "bonuses": [
        {"multiplier": "2", "category": "shoes"},
        {"multiplier": "3", "sku": "HAT-1"},
        {"multiplier": "1.5", "category": "hats"},
    ],
    "events": [{"name": "review_posted", "points": 50}],
}
SHOE = {"sku": "SHOE-1", "quantity": 1, "unitPrice": "50.00", "category": "shoes"}
HATS = {"sku": "HAT-1", "quantity": 2, "unitPrice": "25.00", "category": "hats"}


async def test_order_points_are_explained_and_the_member_sees_the_same(
    gql: GraphQLClient, ann: str
) -> None:
    await configure(gql, **RULES)
    # Lines worth 100.00 were paid 80.00 after a discount: bonuses scale to what was paid.
    payload = await award_order(gql, ann, "o-1", "80.00", lines=[SHOE, HATS])
    assert (payload["userErrors"], payload["replayed"]) == ([], False)
    entry = payload["entry"]
    assert (entry["kind"], entry["points"], entry["reasonCode"]) == ("EARN", 400, "ORDER")
    assert (entry["reason"], entry["sourceReference"]) == ("Order o-1", "order:o-1")
    assert entry["explanation"] == [
        {"code": "BASE", "label": "2 per EUR 1 on EUR 80.00", "points": 160},
        {"code": "BONUS", "label": "x2 on category shoes (1 x SHOE-1)", "points": 80},
        {"code": "BONUS", "label": "x3 on SKU HAT-1 (2 x HAT-1)", "points": 160},
    ]
    assert sum(points for _, points in lines(entry)) == entry["points"]
    assert payload["balance"] == entry["balanceAfter"] == bal(400, lifetime=400)
    assert await ledger(gql, ann) == [entry]
    assert await balance(gql, ann) == bal(400, lifetime=400)


@pytest.mark.parametrize(
    ("rounding", "total", "order_lines", "points", "explained"),
    [
        ("DOWN", "33.33", True, 79, [("BASE", 49), ("BONUS", 30)]),
        ("HALF_UP", "33.33", True, 80, [("BASE", 50), ("BONUS", 30)]),
        ("UP", "10.01", False, 16, [("BASE", 16)]),
        ("DOWN", "10.01", False, 15, [("BASE", 15)]),
    ],
)
async def test_rounding_is_shown_as_its_own_line(
    gql: GraphQLClient,
    ann: str,
    rounding: str,
    total: str,
    order_lines: bool,
    points: int,
    explained: list[tuple[str, int]],
) -> None:
    await configure(
        gql, earnRate="1.5", rounding=rounding, bonuses=[{"multiplier": "2", "category": "shoes"}]
    )
    shoe = {"sku": "SHOE-1", "quantity": 1, "unitPrice": "20.00", "category": "shoes"}
    sock = {"sku": "SOCK-1", "quantity": 1, "unitPrice": "13.33"}
    payload = await award_order(gql, ann, "o-1", total, lines=[shoe, sock] if order_lines else [])
    entry = payload["entry"]
    assert (entry["points"], lines(entry)) == (points, explained)
    assert sum(p for _, p in explained) == points
    [seen] = await ledger(gql, ann)
    assert seen["explanation"] == entry["explanation"]


@pytest.mark.parametrize(("rounding", "kept"), [("DOWN", 2), ("HALF_UP", 2), ("UP", 3)])
async def test_a_bonus_on_a_third_of_an_order_is_exact_and_returns_follow_the_rule(
    gql: GraphQLClient, ann: str, rounding: str, kept: int
) -> None:
    await configure(gql, rounding=rounding, bonuses=[{"multiplier": "4", "sku": "A"}])
    a = {"sku": "A", "quantity": 1, "unitPrice": "2.00"}
    b = {"sku": "B", "quantity": 1, "unitPrice": "1.00"}
    # Paid 2.00 of 3.00: A's share is 4/3, its bonus 3 x 4/3 = 4 exactly, so 6 under every rule.
    entry = (await award_order(gql, ann, "o-1", "2.00", lines=[a, b]))["entry"]
    assert (entry["points"], lines(entry)) == (6, [("BASE", 2), ("BONUS", 4)])
    # 1.17 returned: the member keeps 6 x 0.83 / 2 = 2.49 points, rounded by the same rule.
    taken = (await reverse(gql, "o-1", "r-1", "1.17"))["entry"]
    assert (taken["points"], lines(taken)) == (kept - 6, [("RETURN", kept - 6)])


async def test_cap_limits_orders_and_events_and_resets_next_day(
    gql: GraphQLClient, ann: str, clock: FixedClock
) -> None:
    await configure(
        gql,
        cap={"period": "DAY", "maxPoints": 300},
        events=[{"name": "review_posted", "points": 50}],
    )
    assert (await award_order(gql, ann, "o-1", "200.00"))["entry"]["points"] == 200
    assert (await award_event(gql, ann, "review_posted", "rv-1"))["entry"]["points"] == 50
    cut = (await award_order(gql, ann, "o-2", "120.00"))["entry"]
    assert (cut["points"], lines(cut)) == (50, [("BASE", 120), ("CAP", -70)])
    assert cut["explanation"][1]["label"] == "Cap of 300 points per day reached"
    nothing = (await award_order(gql, ann, "o-3", "10.00"))["entry"]
    assert (nothing["points"], lines(nothing)) == (0, [("BASE", 10), ("CAP", -10)])
    # Explicit grants are not rule-computed: never capped and not counted.
    assert (await award_manual(gql, ann, 500))["entry"]["points"] == 500
    assert await balance(gql, ann) == bal(800, lifetime=800)

    clock.advance(timedelta(hours=11, minutes=59))  # 23:59 UTC, the program's zone
    late = (await award_event(gql, ann, "review_posted", "rv-2"))["entry"]
    assert (late["points"], lines(late)) == (0, [("EVENT", 50), ("CAP", -50)])
    clock.advance(timedelta(minutes=1))  # midnight: a new day
    fresh = (await award_order(gql, ann, "o-4", "120.00"))["entry"]
    assert (fresh["points"], lines(fresh)) == (120, [("BASE", 120)])
    again = (await award_order(gql, ann, "o-5", "200.00"))["entry"]
    assert (again["points"], lines(again)) == (180, [("BASE", 200), ("CAP", -20)])
    assert await balance(gql, ann) == bal(1100, lifetime=1100)
    kinds = [(e["reasonCode"], e["points"]) for e in await ledger(gql, ann)]
    assert kinds == [
        ("ORDER", 180),
        ("ORDER", 120),
        ("EVENT", 0),
        ("MANUAL", 500),
        ("ORDER", 0),
        ("ORDER", 50),
        ("EVENT", 50),
        ("ORDER", 200),
    ]


async def test_other_currency_is_refused_and_nothing_is_written(
    gql: GraphQLClient, ann: str
) -> None:
    idem = key()
    refused = await award_order(gql, ann, "o-1", "10.00", currency="USD", idem=idem)
    assert errors(refused) == ["CURRENCY_MISMATCH"]
    assert (refused["entry"], refused["balance"], refused["replayed"]) == (None, None, False)
    assert await ledger(gql, ann) == []
    assert await balance(gql, ann) == bal(0)
    # The refused request claimed nothing: the corrected input may reuse its key.
    fixed = await award_order(gql, ann, "o-1", "10.00", idem=idem)
    assert (fixed["userErrors"], fixed["entry"]["points"]) == ([], 10)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        pytest.param("currency", ["input", "source", "order", "currency"]),
        pytest.param("total", ["input", "source", "order", "total"]),
        pytest.param("event", ["input", "source", "event", "name"]),
        pytest.param("return", ["input", "amount"]),
    ],
)
async def test_user_errors_point_at_real_input_fields(
    gql: GraphQLClient, ann: str, case: str, expected: list[str]
) -> None:
    await configure(gql, events=[{"name": "review_posted", "points": 50}])
    await award_order(gql, ann, "o-1", "10.00")
    if case == "currency":
        refused = await award_order(gql, ann, "o-2", "10.00", currency="USD")
    elif case == "total":
        refused = await award_order(gql, ann, "o-2", "10.005")
    elif case == "event":
        refused = await award_event(gql, ann, "birthday_party", "x")
    else:
        refused = await reverse(gql, "o-1", "r-1", "-1.00")
    assert len(refused["userErrors"]) == 1
    assert refused["userErrors"][0]["field"] == expected


async def test_events_earn_once_per_reference(gql: GraphQLClient, ann: str) -> None:
    await configure(gql, **RULES)
    first = await award_event(gql, ann, "review_posted", "rv-1")
    entry = first["entry"]
    assert (entry["points"], entry["reasonCode"], entry["reason"]) == (50, "EVENT", "Review posted")
    assert entry["sourceReference"] == "event:review_posted:rv-1"
    assert entry["explanation"] == [
        {"code": "EVENT", "label": "Fixed points for review_posted", "points": 50}
    ]
    twice = await award_event(gql, ann, "review_posted", "rv-1")
    assert errors(twice) == ["ALREADY_AWARDED"]
    assert twice["userErrors"][0]["field"] == ["input", "source", "event"]
    assert (await award_event(gql, ann, "review_posted", "rv-2"))["entry"]["points"] == 50
    unknown = await award_event(gql, ann, "birthday_party", "rv-1")
    assert errors(unknown) == ["UNKNOWN_EVENT"]
    assert unknown["entry"] is None
    assert await balance(gql, ann) == bal(100, lifetime=100)
    assert [e["sourceReference"] for e in await ledger(gql, ann)] == [
        "event:review_posted:rv-2",
        "event:review_posted:rv-1",
    ]


async def test_ledger_is_newest_first_with_cursor_pagination(gql: GraphQLClient, ann: str) -> None:
    for points in range(1, 26):
        await award_manual(gql, ann, points)
    bearer = member_token(ann)
    seen: list[int] = []
    after = None
    pages = []
    while True:
        data = await gql.ok(LEDGER, {"first": 10, "after": after}, bearer=bearer)
        connection = data["me"]["ledger"]
        pages.append(len(connection["edges"]))
        seen.extend(edge["node"]["points"] for edge in connection["edges"])
        assert connection["pageInfo"]["hasPreviousPage"] is (after is not None)
        assert connection["pageInfo"]["endCursor"] == connection["edges"][-1]["cursor"]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert pages == [10, 10, 5]
    assert seen == list(range(25, 0, -1))
    default = (await gql.ok(LEDGER, {}, bearer=bearer))["me"]["ledger"]
    assert [e["node"]["points"] for e in default["edges"]] == list(range(25, 5, -1))
    assert default["pageInfo"]["hasNextPage"] is True
    running = [e["node"]["balanceAfter"]["available"] for e in default["edges"]]
    assert running[0] == 325
    assert running == sorted(running, reverse=True)

    for bad in ({"first": 0}, {"first": 101}, {"first": 5, "after": "bm90LWEtY3Vyc29y"}):
        body = await gql.post(LEDGER, bad, bearer=bearer)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
