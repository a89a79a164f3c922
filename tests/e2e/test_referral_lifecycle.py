"""Referrals over time: the lazy first code of a member enrolled before referral codes (once, also
under concurrent first reads), and the expiry of pending referrals whose window passed."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from tortoise import connections

from api.database import connection_params
from backbone.bus import MessageBus
from backbone.jobs import run_now
from domain.clock import FixedClock
from loyalty.referrals import expiry
from loyalty.referrals.models import ReferralCode
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.points_helpers import ADMIN, award_order, balance, member_token
from tests.e2e.referral_helpers import code_of, configure_referrals, enroll_with, me

pytestmark = pytest.mark.e2e

JOB = "referrals.expire"
CODE = "{ me { referralCode } }"
EVENTS = """{ events(first: 100, types: ["referral.expired"]) {
  edges { node { type memberId payload } } } }"""


@pytest.fixture
async def ann(gql: GraphQLClient) -> str:
    await provision(gql)
    payload = await configure_referrals(gql, windowDays=10)
    assert payload["userErrors"] == [], payload
    await enroll(gql, "ann")
    return "ann"


async def test_concurrent_first_reads_of_a_member_without_a_code_make_one_code(
    gql: GraphQLClient, ann: str, database_url: str
) -> None:
    # As for a member enrolled before referral codes existed: it has none.
    await ReferralCode.all().delete()
    bearer = member_token(ann)

    # Inserts of codes wait behind a table lock, reads do not: every request has found no code
    # before any of them may insert one.
    blocker = await asyncpg.connect(**connection_params(database_url))
    try:
        async with blocker.transaction():
            await blocker.execute("LOCK TABLE referral_code IN SHARE MODE")
            reads = asyncio.gather(*(gql.ok(CODE, bearer=bearer) for _ in range(4)))
            await asyncio.sleep(0.5)
    finally:
        await blocker.close()
    answers = await reads

    codes = {answer["me"]["referralCode"] for answer in answers}
    assert len(codes) == 1
    rows = await ReferralCode.filter(retired_at=None).values_list("code", flat=True)
    assert rows == list(codes)
    assert await code_of(gql, ann) == codes.pop()  # and the same at every later read


async def _expired_events(gql: GraphQLClient) -> list[dict[str, Any]]:
    data = await gql.ok(EVENTS, bearer=ADMIN)
    return [edge["node"] for edge in data["events"]["edges"]]


async def test_pending_referrals_past_their_window_expire_once(
    gql: GraphQLClient, ann: str, bus: MessageBus, clock: FixedClock
) -> None:
    code = await code_of(gql, ann)
    await enroll_with(gql, "bob", code)
    clock.advance(timedelta(days=5))
    await enroll_with(gql, "cat", code)
    await enroll_with(gql, "dan", code)
    await award_order(gql, "dan", "o-dan", "50.00")  # dan converts within the window

    clock.advance(timedelta(days=5))  # bob's window ends now: not past it yet
    assert (await run_now(bus, {JOB}))[JOB] == 0
    clock.advance(timedelta(seconds=1))
    assert (await run_now(bus, {JOB}))[JOB] == 1
    assert (await run_now(bus, {JOB}))[JOB] == 0  # run twice: nothing more
    statuses = [edge["node"]["status"] for edge in (await me(gql, ann))["referrals"]["edges"]]
    assert statuses == ["EXPIRED", "PENDING", "CONVERTED"]

    clock.advance(timedelta(days=30))
    reports = await asyncio.gather(run_now(bus, {JOB}), run_now(bus, {JOB}))
    assert sum(report[JOB] for report in reports) == 1  # type: ignore[misc]
    statuses = [edge["node"]["status"] for edge in (await me(gql, ann))["referrals"]["edges"]]
    assert statuses == ["EXPIRED", "EXPIRED", "CONVERTED"]
    events = await _expired_events(gql)
    assert len(events) == 2
    assert all(set(event["payload"]) == {"referralId", "referrerId"} for event in events)


async def test_a_late_qualifying_order_does_not_convert(
    gql: GraphQLClient, ann: str, clock: FixedClock
) -> None:
    await enroll_with(gql, "bob", await code_of(gql, ann))
    clock.advance(timedelta(days=11))
    # Before the job reached it, and after: neither order converts.
    await award_order(gql, "bob", "o-late", "50.00")
    await award_order(gql, "bob", "o-later", "50.00")
    assert (await balance(gql, ann))["available"] == 0
    assert (await balance(gql, "bob"))["available"] == 100
    [edge] = (await me(gql, ann))["referrals"]["edges"]
    assert edge["node"]["status"] == "EXPIRED"
    assert len(await _expired_events(gql)) == 1


async def test_the_expiry_works_in_bounded_batches(
    gql: GraphQLClient,
    ann: str,
    bus: MessageBus,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code = await code_of(gql, ann)
    for n in range(5):
        await enroll_with(gql, f"ref-{n}", code)
    monkeypatch.setattr(expiry, "BATCH", 2)
    clock.advance(timedelta(days=11))
    assert (await run_now(bus, {JOB}))[JOB] == 5
    rows = await connections.get("default").execute_query_dict(
        "SELECT count(*) AS n FROM referral WHERE status = 'EXPIRED' AND ended_at IS NOT NULL"
    )
    assert rows[0]["n"] == 5
    assert len(await _expired_events(gql)) == 5
