"""Redeeming rewards over GraphQL: points, stock and codes in one write, typed refusals that
change nothing, idempotent retries, windows and per-member limits."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.clock import FixedClock
from tests.conftest import START
from tests.e2e.conftest import GraphQLClient, enroll
from tests.e2e.points_helpers import (
    award_manual,
    bal,
    balance,
    configure,
    errors,
    key,
    ledger,
    member_token,
)
from tests.e2e.rewards_helpers import (
    IMPORT,
    UPDATE,
    assert_audits_clean,
    create_reward,
    payload,
    redeem_reward,
)

pytestmark = pytest.mark.e2e


async def test_a_redemption_spends_points_takes_stock_and_gives_a_code(
    gql: GraphQLClient, ann: str, clock: FixedClock
) -> None:
    await configure(gql, expiry={"mode": "AFTER_DAYS", "amount": 30})
    await award_manual(gql, ann, 100)  # expires first
    clock.advance(timedelta(days=5))
    await award_manual(gql, ann, 100)
    reward = await create_reward(
        gql,
        name="Ten off",
        kind="DISCOUNT_CODE",
        discount={"type": "PERCENTAGE", "value": "10"},
        pointsCost=150,
        stock=3,
    )
    done = await redeem_reward(gql, ann, reward["id"])
    assert done["userErrors"] == []
    redemption = done["redemption"]
    assert (redemption["status"], redemption["points"]) == ("CONFIRMED", 150)
    assert redemption["reward"]["name"] == "Ten off"
    assert redemption["member"]["externalId"] == ann
    code = redemption["code"]
    assert len(code) == 12
    assert code.isalnum()
    assert code.isupper()
    assert done["balance"]["available"] == 50
    [spend, *_] = await ledger(gql, ann)
    assert (spend["kind"], spend["points"], spend["reasonCode"]) == ("REDEEM", -150, "REDEMPTION")
    assert spend["sourceReference"] == "reward:1"  # tables start afresh: the first reward
    # Soonest-expiring first: the first lot is gone, 50 of the second are left; its expiry shows.
    clock.advance(timedelta(days=26))
    assert (await balance(gql, ann))["available"] == 50
    stock = await payload(gql, UPDATE, {"id": reward["id"]})
    assert stock["reward"]["stock"] == {"total": 3, "left": 2}
    await assert_audits_clean()


async def test_pool_codes_are_handed_out_once_then_out_of_stock(
    gql: GraphQLClient, ann: str
) -> None:
    reward = await create_reward(
        gql, kind="DISCOUNT_CODE", discount={"type": "FREE_SHIPPING"}, codeSource="POOL",
        pointsCost=10,
    )  # fmt: skip
    await payload(gql, IMPORT, {"rewardId": reward["id"], "codes": ["SHIP-A", "SHIP-B"]})
    await award_manual(gql, ann, 100)
    codes = [(await redeem_reward(gql, ann, reward["id"]))["redemption"]["code"] for _ in range(2)]
    assert codes == ["SHIP-A", "SHIP-B"]
    empty = await redeem_reward(gql, ann, reward["id"])
    assert errors(empty) == ["OUT_OF_STOCK"]
    assert (await balance(gql, ann))["available"] == 80
    await assert_audits_clean()


async def test_refusals_are_typed_and_change_nothing(
    gql: GraphQLClient, ann: str, clock: FixedClock
) -> None:
    await award_manual(gql, ann, 100)
    dear = await create_reward(gql, name="Dear", pointsCost=101)
    gone = await create_reward(gql, name="Gone", stock=0, pointsCost=1)
    off = await create_reward(gql, name="Off", active=False, pointsCost=1)
    soon = await create_reward(
        gql, name="Soon", pointsCost=1, availableFrom=(START + timedelta(hours=1)).isoformat()
    )
    assert errors(await redeem_reward(gql, ann, dear["id"])) == ["INSUFFICIENT_POINTS"]
    assert errors(await redeem_reward(gql, ann, gone["id"])) == ["OUT_OF_STOCK"]
    assert errors(await redeem_reward(gql, ann, off["id"])) == ["NOT_AVAILABLE"]
    assert errors(await redeem_reward(gql, ann, soon["id"])) == ["NOT_AVAILABLE"]
    assert errors(await redeem_reward(gql, "nobody", dear["id"])) == ["MEMBER_NOT_FOUND"]
    assert errors(await redeem_reward(gql, ann, "UmV3YXJkOjk5")) == ["REWARD_NOT_FOUND"]
    assert errors(await redeem_reward(gql, ann, "not-an-id")) == ["INVALID_ID"]
    assert await balance(gql, ann) == bal(100, lifetime=100)
    clock.advance(timedelta(hours=2))
    assert (await redeem_reward(gql, ann, soon["id"]))["userErrors"] == []


async def test_a_retry_replays_and_a_reused_key_is_refused(gql: GraphQLClient, ann: str) -> None:
    await award_manual(gql, ann, 100)
    reward = await create_reward(gql, pointsCost=30, stock=5)
    other = await create_reward(gql, name="Other", pointsCost=30)
    idem = key()
    first = await redeem_reward(gql, ann, reward["id"], idem=idem)
    again = await redeem_reward(gql, ann, reward["id"], idem=idem)
    assert (first["replayed"], again["replayed"]) == (False, True)
    assert again["redemption"]["id"] == first["redemption"]["id"]
    assert again["balance"] == first["balance"]
    reused = await redeem_reward(gql, ann, other["id"], idem=idem)
    assert errors(reused) == ["IDEMPOTENCY_KEY_REUSED"]
    assert (await balance(gql, ann))["available"] == 70
    await assert_audits_clean()


async def test_a_member_redeems_for_itself_only(gql: GraphQLClient, ann: str) -> None:
    await enroll(gql, "bob")
    await award_manual(gql, ann, 50)
    reward = await create_reward(gql, pointsCost=20)
    mine = await redeem_reward(gql, "", reward["id"], bearer=member_token(ann))
    assert mine["userErrors"] == []
    assert mine["redemption"]["member"]["externalId"] == ann
    for_bob = await redeem_reward(gql, "bob", reward["id"], bearer=member_token(ann))
    assert errors(for_bob) == ["INVALID_ID"]
    listed = await gql.ok(
        "{ redemptions(first: 10) { edges { node { points status } } } }",
        bearer=member_token("bob"),
    )
    assert listed["redemptions"]["edges"] == []


async def test_a_member_limit_counts_per_period_in_the_program_zone(
    gql: GraphQLClient, ann: str, clock: FixedClock
) -> None:
    await award_manual(gql, ann, 1000)
    reward = await create_reward(gql, pointsCost=10, memberLimit={"count": 2, "period": "DAY"})
    for _ in range(2):
        assert (await redeem_reward(gql, ann, reward["id"]))["userErrors"] == []
    assert errors(await redeem_reward(gql, ann, reward["id"])) == ["LIMIT_REACHED"]
    clock.advance(timedelta(days=1))
    assert (await redeem_reward(gql, ann, reward["id"]))["userErrors"] == []
    assert (await balance(gql, ann))["available"] == 970


async def test_the_audit_finds_stock_and_codes_that_went_astray(
    gql: GraphQLClient, ann: str
) -> None:
    from tortoise import connections

    from loyalty.models import Program
    from loyalty.rewards.audit import audit_rewards

    await award_manual(gql, ann, 100)
    reward = await create_reward(
        gql, kind="DISCOUNT_CODE", discount={"type": "FREE_SHIPPING"}, pointsCost=10, stock=5
    )
    await redeem_reward(gql, ann, reward["id"])
    await connections.get("default").execute_script(
        "UPDATE reward SET stock_left = stock_left + 1; DELETE FROM reward_code"
    )
    program = await Program.get(key="acme")
    found = {(f.subject, f.problem) for f in await audit_rewards(program.id)}
    assert found == {
        ("reward 1", "stock left differs from the total less live redemptions"),
        ("redemption 1", "a live redemption of a discount code has no code"),
    }
