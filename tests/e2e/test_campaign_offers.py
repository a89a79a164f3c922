"""Campaign offers: the points multiplier on awards, the reward discount, and the gift."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from strawberry import relay
from tortoise import connections

from backbone.bus import MessageBus
from domain.clock import FixedClock
from loyalty.campaigns.offers import grant_on_delivery
from tests.conftest import START
from tests.e2e.campaign_helpers import CANCEL, act, deliver, running
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.offer_helpers import campaign, delivered
from tests.e2e.points_helpers import (
    assert_ledger_audits_clean,
    award_manual,
    award_order,
    balance,
    ledger,
    lines,
    member_token,
    reverse,
)
from tests.e2e.privacy_helpers import erase, exported
from tests.e2e.rewards_helpers import create_reward, redeem_reward
from tests.e2e.test_query_counts import StatementLog

DAY = timedelta(days=1)


async def test_the_multiplier_applies_to_reached_members_inside_the_window_only(
    gql: GraphQLClient, clock: FixedClock
) -> None:
    await provision(gql)
    for name in ("ann", "bob", "cy", "dee"):
        await enroll(gql, name)
    offer = await campaign(
        "double", "POINTS_MULTIPLIER", START, multiplier="2.5",
        window=(START + DAY, START + 10 * DAY),
    )  # fmt: skip
    await delivered(offer.id, "ann", "SENT", START)
    await delivered(offer.id, "bob", "HELD_OUT", START, arm="holdout")
    await delivered(offer.id, "dee", "SKIPPED", START)

    early = await award_order(gql, "ann", "o-early", "10.00")
    assert lines(early["entry"]) == [("BASE", 10)]

    clock.set(START + 2 * DAY)
    during = await award_order(gql, "ann", "o-1", "10.00")
    assert during["userErrors"] == []
    assert lines(during["entry"]) == [("BASE", 10), ("CAMPAIGN", 15)]
    assert during["entry"]["points"] == 25
    [campaign_line] = [x for x in during["entry"]["explanation"] if x["code"] == "CAMPAIGN"]
    assert campaign_line["label"] == "Campaign offer x2.5 on base points"
    for other in ("bob", "cy", "dee"):  # held out, never reached, skipped
        plain = await award_order(gql, other, f"o-{other}", "10.00")
        assert lines(plain["entry"]) == [("BASE", 10)], other

    # A return takes back in proportion to what the order earned, its campaign line included.
    returned = await reverse(gql, "o-1", "r-1", "4.00")
    assert returned["entry"]["points"] == -10

    clock.set(START + 10 * DAY)  # the window's end is excluded
    after = await award_order(gql, "ann", "o-late", "10.00")
    assert lines(after["entry"]) == [("BASE", 10)]
    assert (await balance(gql, "ann"))["available"] == 10 + 25 - 10 + 10


async def test_of_two_multipliers_the_best_counts_and_they_never_stack(
    gql: GraphQLClient, clock: FixedClock
) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    window = (START, START + 5 * DAY)
    small = await campaign("small", "POINTS_MULTIPLIER", START, multiplier="1.5", window=window)
    big = await campaign("big", "POINTS_MULTIPLIER", START, multiplier="3", window=window)
    await delivered(small.id, "ann", "OFFERED", START)
    await delivered(big.id, "ann", "SENT", START)
    # A reorder campaign reaches a member on several occasions: still one offer.
    await delivered(big.id, "ann", "SENT", START, occasion="again")
    clock.set(START + DAY)
    award = await award_order(gql, "ann", "o-1", "3.33")
    # 3.33 x 3 = 9.99 exactly, rounded once (DOWN): 9 points, the rounding shown.
    assert award["entry"]["points"] == 9
    assert lines(award["entry"]) == [("BASE", 3), ("CAMPAIGN", 6)]


def _pk(global_id: str) -> int:
    return int(relay.GlobalID.from_id(global_id).node_id)


async def test_a_discount_takes_its_percent_off_rounded_for_the_member_and_says_so(
    gql: GraphQLClient, clock: FixedClock
) -> None:
    await provision(gql)
    for name in ("ann", "bob"):
        await enroll(gql, name)
        await award_manual(gql, name, 500)
    mug = await create_reward(gql, name="Mug", pointsCost=99)
    cup = await create_reward(gql, name="Cup", pointsCost=99)
    window = (START + DAY, START + 3 * DAY)
    offer = await campaign(
        "mugs", "REWARD_DISCOUNT", START, reward_id=_pk(mug["id"]), percent=25, window=window
    )
    await delivered(offer.id, "ann", "OFFERED", START)
    await delivered(offer.id, "bob", "HELD_OUT", START, arm="holdout")

    before = await redeem_reward(gql, "ann", mug["id"])
    assert before["redemption"]["points"] == 99  # before the window

    clock.set(START + DAY)
    ann = await redeem_reward(gql, "ann", mug["id"])
    assert ann["userErrors"] == []
    # 25 % off 99 is 74.25 points: the member pays 74, never 75.
    assert ann["redemption"]["points"] == 74
    assert ann["balance"]["available"] == 500 - 99 - 74
    [entry, *_] = await ledger(gql, "ann")
    assert lines(entry) == [("REWARD", -99), ("CAMPAIGN", 25)]
    assert entry["explanation"][1]["label"] == "Campaign offer: 25% off Mug"
    other = await redeem_reward(gql, "ann", cup["id"])  # not the offer's reward
    assert other["redemption"]["points"] == 99
    held_out = await redeem_reward(gql, "bob", mug["id"])
    assert held_out["redemption"]["points"] == 99

    clock.set(START + 3 * DAY)
    after = await redeem_reward(gql, "ann", mug["id"])
    assert after["redemption"]["points"] == 99


async def test_a_gift_is_given_once_per_delivery_even_when_delivered_concurrently(
    gql: GraphQLClient, bus: MessageBus
) -> None:
    await provision(gql)
    for name in ("ann", "bob"):
        await enroll(gql, name)
    gift = await campaign("thanks", "GIFT", START, points=40)
    ann = await delivered(gift.id, "ann", "SENT", START)
    bob = await delivered(gift.id, "bob", "OFFERED", START)
    ann_id, bob_id = await _member_ids("ann", "bob")

    async def grant(member_id: int, delivery_id: int) -> None:
        async with bus.unit_of_work() as uow:
            await grant_on_delivery(uow, gift, member_id, delivery_id)

    await asyncio.gather(*(grant(ann_id, ann) for _ in range(4)), grant(bob_id, bob))
    await grant(ann_id, ann)  # and once more, later

    assert (await balance(gql, "ann"))["available"] == 40
    assert (await balance(gql, "bob"))["available"] == 40
    [entry] = await ledger(gql, "ann")
    assert (entry["reasonCode"], entry["points"]) == ("CAMPAIGN_GIFT", 40)
    assert entry["sourceReference"] == f"campaign-gift:{ann}"
    # Double entry: the campaign's account gave what the members' ledgers received.
    [account] = await connections.get("default").execute_query_dict(
        "SELECT given_points, gifts FROM campaign_gift_account WHERE campaign_id = $1", [gift.id]
    )
    assert (account["given_points"], account["gifts"]) == (80, 2)
    await assert_ledger_audits_clean()


async def test_only_a_gift_writes_at_delivery(gql: GraphQLClient, bus: MessageBus) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    double = await campaign(
        "double", "POINTS_MULTIPLIER", START, multiplier="2", window=(START, START + DAY)
    )
    delivery = await delivered(double.id, "ann", "SENT", START)
    [ann_id] = await _member_ids("ann")
    async with bus.unit_of_work() as uow:
        await grant_on_delivery(uow, double, ann_id, delivery)
    assert await ledger(gql, "ann") == []


async def _member_ids(*external_ids: str) -> list[int]:
    rows = await connections.get("default").execute_query_dict(
        "SELECT id, external_id FROM member WHERE external_id = ANY($1::text[])",
        [list(external_ids)],
    )
    by_name = {row["external_id"]: row["id"] for row in rows}
    return [by_name[name] for name in external_ids]


async def test_two_delivery_runs_at_once_give_each_reached_member_its_gift_once(
    gql: GraphQLClient, bus: MessageBus
) -> None:
    await provision(gql)
    names = [f"m{i}" for i in range(8)]
    for name in names:
        await enroll(gql, name)
    campaign_ = await running(
        gql, name="gift", message=None, holdoutPercent=25, offer={"kind": "GIFT", "points": 30}
    )
    await asyncio.gather(deliver(bus), deliver(bus))
    await deliver(bus)
    rows = await connections.get("default").execute_query_dict(
        "SELECT m.external_id, d.status FROM campaign_delivery d JOIN member m"
        " ON m.id = d.member_id WHERE d.campaign_id = $1",
        [_pk(campaign_["id"])],
    )
    status = {row["external_id"]: row["status"] for row in rows}
    assert sorted(status) == names
    assert set(status.values()) <= {"OFFERED", "HELD_OUT"}
    for name in names:
        expected = 30 if status[name] == "OFFERED" else 0
        assert (await balance(gql, name))["available"] == expected, name
    gifted = next(name for name in names if status[name] == "OFFERED")
    [exported_gift] = (await exported(gql, member_token(gifted)))["campaignGifts"]
    assert exported_gift["points"] == 30
    # Erasure keeps the gift (ids and points only): the campaign's account still adds up.
    [gifted_id] = await _member_ids(gifted)
    member_global = str(relay.GlobalID("Member", str(gifted_id)))
    assert (await erase(gql, id=member_global))["userErrors"] == []
    [account] = await connections.get("default").execute_query_dict(
        "SELECT a.given_points, (SELECT sum(points) FROM campaign_gift) AS gifts"
        " FROM campaign_gift_account a"
    )
    assert (
        account["given_points"] == account["gifts"] == 30 * list(status.values()).count("OFFERED")
    )
    await assert_ledger_audits_clean()


async def test_a_cancelled_campaigns_multiplier_stops_applying(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    offer = {"kind": "POINTS_MULTIPLIER", "multiplier": "2", "endsAt": "2026-07-15T12:00:00Z"}
    campaign_ = await running(gql, name="double", message=None, offer=offer)
    await deliver(bus)
    clock.set(START + DAY)
    assert lines((await award_order(gql, "ann", "o-1", "10"))["entry"]) == [
        ("BASE", 10), ("CAMPAIGN", 10),
    ]  # fmt: skip
    assert (await act(gql, CANCEL, campaign_["id"]))["userErrors"] == []
    assert lines((await award_order(gql, "ann", "o-2", "10"))["entry"]) == [("BASE", 10)]


async def test_an_award_with_a_campaign_multiplier_costs_no_statement_more(
    gql: GraphQLClient, clock: FixedClock
) -> None:
    await provision(gql)
    for name in ("ann", "bob"):
        await enroll(gql, name)
    double = await campaign("double", "POINTS_MULTIPLIER", START, multiplier="2")
    await delivered(double.id, "ann", "SENT", START)
    clock.set(START + DAY)
    logger = logging.getLogger("tortoise.db_client")
    log, level = StatementLog(), logger.level
    logger.addHandler(log)
    logger.setLevel(logging.DEBUG)
    try:
        offered = await award_order(gql, "ann", "o-ann", "10")
        with_offer = len(log.statements)
        plain = await award_order(gql, "bob", "o-bob", "10")
        without = len(log.statements) - with_offer
    finally:
        logger.removeHandler(log)
        logger.setLevel(level)
    assert lines(offered["entry"]) == [("BASE", 10), ("CAMPAIGN", 10)]
    assert lines(plain["entry"]) == [("BASE", 10)]
    assert with_offer == without
