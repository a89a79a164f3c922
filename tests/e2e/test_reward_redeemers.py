"""Social proof on rewards: `Reward.redeemedBy { last30Days allTime }` equals a recount of the
redemptions after a random mix of redemptions, holds, confirmations and cancellations, some of
them concurrent, across more than 30 days."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest

from domain.clock import FixedClock
from loyalty.rewards.models import Redemption
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.points_helpers import ADMIN, award_manual
from tests.e2e.rewards_helpers import CANCEL, CONFIRM, act, create_reward, redeem_reward

pytestmark = pytest.mark.e2e

FIGURES = (
    "query($id: ID!) { node(id: $id) { ... on Reward { redeemedBy { last30Days allTime } } } }"
)
MEMBERS = [f"m{n}" for n in range(6)]


async def _figures(gql: GraphQLClient, reward: str) -> dict[str, int]:
    found: dict[str, int] = (await gql.ok(FIGURES, {"id": reward}, bearer=ADMIN))["node"][
        "redeemedBy"
    ]
    return found


async def _recount(clock: FixedClock) -> tuple[int, int]:
    confirmed = await Redemption.filter(status="CONFIRMED", gift_source=None)
    recent = clock.now() - timedelta(days=30)
    return (
        len({r.member_id for r in confirmed}),
        len({r.member_id for r in confirmed if r.confirmed_at and r.confirmed_at >= recent}),
    )


async def test_redeemer_counts_equal_a_recount_after_a_random_mix(
    gql: GraphQLClient, clock: FixedClock
) -> None:
    await provision(gql)
    reward = (await create_reward(gql, pointsCost=10, refundable=True))["id"]
    for member in MEMBERS:
        await enroll(gql, member)
        await award_manual(gql, member, 1000)
    assert await _figures(gql, reward) == {"last30Days": 0, "allTime": 0}
    draw = random.Random(12)  # noqa: S311 - a reproducible mix, not a secret
    held: list[str] = []
    confirmed: list[str] = []
    for round_ in range(6):
        # Later rounds only half of the members: the others' redemptions age out of the window.
        batch = draw.sample(MEMBERS if round_ < 2 else MEMBERS[:3], 3)
        answers = await asyncio.gather(
            *(redeem_reward(gql, m, reward, hold=draw.random() < 0.4) for m in batch)
        )
        for answer in answers:
            assert answer["userErrors"] == [], answer
            redemption = answer["redemption"]
            (held if redemption["status"] == "HELD" else confirmed).append(redemption["id"])
        if held and draw.random() < 0.6:
            confirmed.append(held.pop())
            assert (await act(gql, CONFIRM, confirmed[-1]))["userErrors"] == []
        if confirmed and draw.random() < 0.5:
            cancelled = confirmed.pop(draw.randrange(len(confirmed)))
            assert (await act(gql, CANCEL, cancelled))["userErrors"] == []
        if round_ in (1, 3):
            clock.advance(timedelta(days=20))  # early confirmations fall out of the 30 days
            held.clear()  # holds last minutes: these expired (and never count)
        ever, recently = await _recount(clock)
        assert await _figures(gql, reward) == {"last30Days": recently, "allTime": ever}
    ever, recently = await _recount(clock)
    assert ever > recently > 0  # the mix really spanned both windows
