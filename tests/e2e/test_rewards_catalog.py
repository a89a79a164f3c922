"""The rewards catalog over GraphQL: admins keep it, members and storefronts read what is offered,
every field is checked, listing filters and pages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.clock import FixedClock
from tests.conftest import START
from tests.e2e.conftest import GraphQLClient, enroll
from tests.e2e.points_helpers import ADMIN, STORE, award_manual, errors, member_token
from tests.e2e.rewards_helpers import (
    CREATE,
    IMPORT,
    UPDATE,
    create_reward,
    listing,
    names,
    payload,
)

pytestmark = pytest.mark.e2e


async def test_an_admin_creates_and_updates_a_discount_reward(gql: GraphQLClient, ann: str) -> None:
    reward = await create_reward(
        gql,
        name="  Ten off  ",
        kind="DISCOUNT_CODE",
        discount={"type": "FIXED_AMOUNT", "value": "10.00"},
        pointsCost=500,
        tierPrices=[{"tier": "gold", "points": 400}],
        tierGate=["silver", "gold"],
        stock=10,
        memberLimit={"count": 1, "period": "MONTH"},
        imageUrl="https://cdn.example/ten.png",
    )
    assert reward["name"] == "Ten off"
    assert reward["codeSource"] == "GENERATED"
    assert reward["discount"] == {
        "type": "FIXED_AMOUNT",
        "amount": {"amount": "10.00", "currency": "EUR"},
        "percentage": None,
    }
    assert reward["stock"] == {"total": 10, "left": 10}
    assert reward["tierPrices"] == [{"tier": "gold", "points": 400}]
    updated = await payload(
        gql, UPDATE, {"id": reward["id"], "stock": 25, "memberLimit": None, "active": False}
    )
    assert updated["userErrors"] == []
    assert updated["reward"]["stock"] == {"total": 25, "left": 25}
    assert updated["reward"]["memberLimit"] is None
    assert updated["reward"]["active"] is False
    assert updated["reward"]["pointsCost"] == 500  # untouched


async def test_every_problem_of_a_reward_is_reported_at_once(gql: GraphQLClient, ann: str) -> None:
    refused = await payload(
        gql,
        CREATE,
        {
            "name": "",
            "kind": "PHYSICAL_ITEM",
            "pointsCost": 0,
            "discount": {"type": "PERCENTAGE", "value": "10"},
            "imageUrl": "javascript:alert(1)",
            "stock": -1,
            "tierGate": ["Gold!"],
            "memberLimit": {"count": 0, "period": "DAY"},
            "availableFrom": "2026-07-01T00:00:00+00:00",
            "availableUntil": "2026-06-01T00:00:00+00:00",
        },
    )
    assert refused["reward"] is None
    fields = {tuple(e["field"]): e["code"] for e in refused["userErrors"]}
    assert fields == {
        ("input", "name"): "INVALID_NAME",
        ("input", "pointsCost"): "INVALID_AMOUNT",
        ("input", "discount"): "INVALID_REWARD",
        ("input", "imageUrl"): "INVALID_REWARD",
        ("input", "stock"): "INVALID_REWARD",
        ("input", "tierGate", "0"): "INVALID_REWARD",
        ("input", "memberLimit", "count"): "INVALID_REWARD",
        ("input", "availableUntil"): "INVALID_REWARD",
    }
    too_precise = await payload(
        gql,
        CREATE,
        {
            "name": "Odd",
            "kind": "DISCOUNT_CODE",
            "pointsCost": 10,
            "discount": {"type": "FIXED_AMOUNT", "value": "1.001"},
        },
    )
    assert errors(too_precise) == ["INVALID_AMOUNT"]


async def test_only_admins_write_the_catalog(gql: GraphQLClient, ann: str) -> None:
    body = await gql.post(
        CREATE, {"input": {"name": "x", "kind": "DONATION", "pointsCost": 1}}, bearer=STORE
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_pool_codes_are_imported_once(gql: GraphQLClient, ann: str) -> None:
    reward = await create_reward(
        gql,
        kind="DISCOUNT_CODE",
        discount={"type": "FREE_SHIPPING"},
        codeSource="POOL",
    )
    first = await payload(gql, IMPORT, {"rewardId": reward["id"], "codes": ["SHIP-1", "SHIP-2"]})
    again = await payload(gql, IMPORT, {"rewardId": reward["id"], "codes": ["SHIP-2", "SHIP-3"]})
    assert (first["imported"], again["imported"]) == (2, 1)
    bad = await payload(
        gql, IMPORT, {"rewardId": reward["id"], "codes": ["ok-code", "no", "ok-code"]}
    )
    assert [(e["field"], e["code"]) for e in bad["userErrors"]] == [
        (["input", "codes", "1"], "INVALID_CODE"),
        (["input", "codes", "2"], "INVALID_CODE"),
    ]
    other = await create_reward(gql)
    refused = await payload(gql, IMPORT, {"rewardId": other["id"], "codes": ["SHIP-9"]})
    assert errors(refused) == ["INVALID_CODE"]


async def test_listing_filters_by_kind_and_affordability_and_pages(
    gql: GraphQLClient, ann: str, clock: FixedClock
) -> None:
    for n, cost in enumerate((50, 150, 300, 80, 120)):
        await create_reward(gql, name=f"r{n}", pointsCost=cost)
    await create_reward(gql, name="donate", kind="DONATION", pointsCost=10)
    await create_reward(gql, name="hidden", pointsCost=10, active=False)
    await create_reward(
        gql, name="later", pointsCost=10, availableFrom=(START + timedelta(days=1)).isoformat()
    )
    await award_manual(gql, ann, 120)
    me = member_token(ann)

    assert names(await listing(gql, me, first=100)) == ["r0", "r1", "r2", "r3", "r4", "donate"]
    assert len(names(await listing(gql, ADMIN, first=100))) == 8
    assert names(await listing(gql, me, kind="DONATION")) == ["donate"]
    assert names(await listing(gql, me, affordable=True)) == ["r0", "r3", "r4", "donate"]
    assert names(await listing(gql, STORE, affordable=True, ext=ann)) == [
        "r0",
        "r3",
        "r4",
        "donate",
    ]
    page = await listing(gql, me, first=4)
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await listing(gql, me, first=4, after=page["pageInfo"]["endCursor"])
    assert names(page) + names(rest) == ["r0", "r1", "r2", "r3", "r4", "donate"]
    assert rest["pageInfo"]["hasNextPage"] is False
    clock.advance(timedelta(days=2))
    assert "later" in names(await listing(gql, me, first=100))

    too_many = await gql.post("{ rewards(first: 101) { edges { cursor } } }", bearer=me)
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    unjudged = await gql.post("{ rewards(affordable: true) { edges { cursor } } }", bearer=STORE)
    assert unjudged["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_rewards_stay_in_their_program(gql: GraphQLClient, ann: str) -> None:
    from api.auth import Role
    from tests.conftest import token
    from tests.e2e.conftest import provision

    reward = await create_reward(gql)
    await provision(gql, "other")
    await enroll(gql, "zed", program="other")
    lookup = "query($id: ID!) { reward(id: $id) { name } node(id: $id) { id } }"
    mine = await gql.ok(lookup, {"id": reward["id"]}, bearer=member_token(ann))
    assert mine == {"reward": {"name": "Mug"}, "node": {"id": reward["id"]}}
    theirs = await gql.ok(lookup, {"id": reward["id"]}, bearer=token(Role.ADMIN, "other"))
    assert theirs == {"reward": None, "node": None}
