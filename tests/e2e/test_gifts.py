"""Give-first gifts through GraphQL: once per trigger under concurrency, within their budgets
(never overspent, the reason recorded), with their explanation, and consent for personalised
ones."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from backbone.bus import MessageBus
from backbone.jobs import run_now
from domain import gifts as rules
from domain.clock import FixedClock
from tests.e2e.conftest import GraphQLClient, provision
from tests.e2e.gift_helpers import (
    GIFTS,
    budget_ledger,
    configure_gift,
    enroll,
    gift_entries,
    given,
    registered_consumer,
    relay_and_give,
)
from tests.e2e.points_helpers import ADMIN, STORE, award_order, member_token
from tests.e2e.privacy_helpers import exported

pytestmark = pytest.mark.e2e

CREATE = """mutation($input: CreateProgramInput!) {
  createProgram(input: $input) { userErrors { code } } }"""
CONSENT = """mutation($input: UpdateConsentsInput!) {
  updateConsents(input: $input) { userErrors { field code } } }"""
UPDATE = """mutation($input: UpdateMemberInput!) {
  updateMember(input: $input) { userErrors { field code } } }"""


async def _program(gql: GraphQLClient, timezone: str = "Europe/Paris") -> None:
    data = await gql.ok(
        CREATE, {"input": {"name": "Acme", "currency": "EUR", "timezone": timezone}}, bearer=ADMIN
    )
    assert data["createProgram"]["userErrors"] == []


async def test_welcome_gift_once_per_member_also_under_concurrent_duplicate_enrolments(
    gql: GraphQLClient,
) -> None:
    await provision(gql)
    configured = await configure_gift(gql, kind="WELCOME", points=100, budgetPoints=10_000)
    assert configured["userErrors"] == [], configured
    results = await asyncio.gather(*(enroll(gql, "ann") for _ in range(6)))
    assert sum(result["created"] for result in results) == 1
    [entry] = await gift_entries(gql, "ann")
    assert (entry["kind"], entry["points"], entry["reason"]) == ("EARN", 100, "A welcome gift")
    assert entry["why"]["summary"] == "100 points earned: A welcome gift."
    assert entry["sourceReference"].startswith("gift:")
    [gift] = await given(gql)
    assert (gift["kind"], gift["status"], gift["trigger"]) == ("WELCOME", "GIVEN", "enrolment")
    assert gift["why"]["summary"].startswith("100 points given: a welcome gift")
    assert gift["why"]["purposes"] == ["account"]
    await enroll(gql, "bob")
    assert len(await given(gql, "WELCOME")) == 2
    # The gift is the member's own record: in its export, and a node for it and for admins.
    [exported_gift] = (await exported(gql, member_token("ann")))["gifts"]
    assert (exported_gift["kind"], exported_gift["status"]) == ("WELCOME", "GIVEN")
    node = "query($id: ID!) { node(id: $id) { ... on Gift { kind points } } }"
    for bearer in (member_token("ann"), ADMIN):
        found = await gql.ok(node, {"id": gift["id"]}, bearer=bearer)
        assert found["node"] == {"kind": "WELCOME", "points": 100}
    assert (await gql.ok(node, {"id": gift["id"]}, bearer=member_token("bob")))["node"] is None


async def test_birthday_gift_on_the_day_in_the_programs_zone_once_under_concurrent_job_runs(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    # 12:00 UTC on 15 June is already midnight of 16 June in Auckland.
    await _program(gql, "Pacific/Auckland")
    await configure_gift(gql, kind="BIRTHDAY", points=250, budgetPoints=10_000)
    await enroll(gql, "ann", birthday="1990-06-16")
    await enroll(gql, "bob", birthday="1990-06-15")  # yesterday, in Auckland
    reports = await asyncio.gather(*(run_now(bus, {"gifts.yearly"}) for _ in range(3)))
    assert sum(report["gifts.yearly"].given for report in reports) == 1  # type: ignore[attr-defined]
    [gift] = await given(gql, "BIRTHDAY")
    assert (gift["status"], gift["trigger"], gift["reason"]) == (
        "GIVEN",
        "birthday:2026",
        "Happy birthday",
    )
    [entry] = await gift_entries(gql, "ann")
    assert (entry["points"], entry["reason"]) == (250, "Happy birthday")
    assert await gift_entries(gql, "bob") == []
    clock.advance(timedelta(hours=5))  # later the same day: nothing more
    await run_now(bus, {"gifts.yearly"})
    assert len(await given(gql, "BIRTHDAY")) == 1
    clock.advance(timedelta(days=365))  # 16 June 2027: once more, a year on
    await run_now(bus, {"gifts.yearly"})
    assert [g["trigger"] for g in await given(gql, "BIRTHDAY")] == [
        "birthday:2026",
        "birthday:2027",
    ]


async def test_anniversary_gift_a_year_after_enrolment(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    await _program(gql)
    await configure_gift(gql, kind="ANNIVERSARY", points=50, budgetPoints=1_000)
    await enroll(gql, "ann")
    await run_now(bus, {"gifts.yearly"})
    assert await given(gql) == []  # the day of enrolment is no anniversary
    clock.advance(timedelta(days=365))
    await asyncio.gather(run_now(bus, {"gifts.yearly"}), run_now(bus, {"gifts.yearly"}))
    [entry] = await gift_entries(gql, "ann")
    assert entry["reason"] == "Happy 1st membership anniversary"


async def test_concurrent_gifts_stop_at_the_budget_with_the_reason_and_never_overspend_it(
    gql: GraphQLClient,
) -> None:
    await provision(gql)
    await configure_gift(gql, kind="WELCOME", points=10, budgetPoints=50)
    await asyncio.gather(*(enroll(gql, f"m{n}") for n in range(20)))
    gifts = await given(gql)
    statuses = sorted((g["status"], g["skipReason"]) for g in gifts)
    assert statuses == [("GIVEN", None)] * 5 + [("SKIPPED", "BUDGET_SPENT")] * 15
    data = await gql.ok(GIFTS, bearer=ADMIN)
    [welcome] = data["gifts"]
    assert welcome["budget"] | {"periodStart": None} == {
        "period": "MONTH", "periodStart": None, "total": 50, "spent": 50, "remaining": 0,
    }  # fmt: skip
    assert welcome["budget"]["periodStart"] == "2026-06-01"
    # The budget account's invariant: what it spent is what its gifts gave, entry for entry.
    [account] = await budget_ledger()
    assert account["total"] - account["remaining"] == account["gifts"] == account["entries"] == 50
    # A bigger budget tops the period up; what was spent stays spent.
    await configure_gift(gql, kind="WELCOME", points=10, budgetPoints=70)
    await enroll(gql, "late")
    data = await gql.ok(GIFTS, bearer=ADMIN)
    assert data["gifts"][0]["budget"] | {"periodStart": None} == {
        "period": "MONTH", "periodStart": None, "total": 70, "spent": 60, "remaining": 10,
    }  # fmt: skip


async def test_surprise_every_nth_order_through_the_relay_with_its_reason(
    gql: GraphQLClient, bus: MessageBus
) -> None:
    await provision(gql)
    consumer = await registered_consumer(bus)
    await configure_gift(
        gql, kind="SURPRISE", points=30, budgetPoints=1_000, surpriseRule="EVERY_NTH_ORDER",
        everyNthOrder=2,
    )  # fmt: skip
    await enroll(gql, "ann")
    for n in range(1, 5):
        await award_order(gql, "ann", f"o-{n}", "10.00")
    await relay_and_give(bus, consumer, until=2)
    await relay_and_give(bus, consumer, until=2)  # delivered and given again: nothing more
    entries = await gift_entries(gql, "ann")
    assert sorted(e["reason"] for e in entries) == [
        "A thank-you for your 2nd order",
        "A thank-you for your 4th order",
    ]
    assert sorted(g["trigger"] for g in await given(gql)) == ["order:o-2", "order:o-4"]


async def test_a_personalised_draw_is_reproducible_and_not_given_without_consent(
    gql: GraphQLClient, bus: MessageBus
) -> None:
    await provision(gql)
    consumer = await registered_consumer(bus)
    seed = "a-fixed-seed-for-the-test"
    await configure_gift(
        gql, kind="SURPRISE", points=20, budgetPoints=1_000, surpriseRule="DRAW",
        drawProbability="0.5", drawSeed=seed,
    )  # fmt: skip
    await enroll(gql, "ann")
    await enroll(gql, "bob")
    withdrawn = await gql.ok(
        CONSENT,
        {
            "input": {
                "externalId": "bob",
                "changes": [{"purpose": "personalization", "granted": False}],
            }
        },
        bearer=STORE,
    )
    assert withdrawn["updateConsents"]["userErrors"] == []
    orders = [f"o-{n}" for n in range(12)]
    drawn = {o for o in orders if rules.draw(seed, f"order:{o}") < 5_000}
    assert drawn, "the seed draws some orders"
    assert drawn != set(orders), "and not all"
    for order in orders:
        await award_order(gql, "ann", f"{order}", "10.00")
        await award_order(gql, "bob", f"bob-{order}", "10.00")
    bob_drawn = {o for o in orders if rules.draw(seed, f"order:bob-{o}") < 5_000}
    await relay_and_give(bus, consumer, until=len(drawn) + len(bob_drawn))
    gifts = await given(gql, "SURPRISE")
    ann = {g["trigger"].removeprefix("order:") for g in gifts if g["status"] == "GIVEN"}
    assert ann == drawn
    skipped = [g for g in gifts if g["status"] == "SKIPPED"]
    assert len(skipped) == len(bob_drawn)
    assert {g["skipReason"] for g in skipped} == {"NO_CONSENT"}
    assert await gift_entries(gql, "bob") == []
    assert gifts[0]["why"]["purposes"] == ["account", "personalization"]


async def test_thank_you_for_a_configured_event_type_once_per_trigger_within_the_member_cap(
    gql: GraphQLClient, bus: MessageBus
) -> None:
    await provision(gql)
    consumer = await registered_consumer(bus)
    # community.post_approved is the default; any event type of the log works the same way.
    configured = await configure_gift(
        gql, kind="THANK_YOU", points=15, budgetPoints=1_000, memberCap=1,
        triggerEventType="member.updated",
    )  # fmt: skip
    assert configured["gift"]["triggerEventType"] == "member.updated"
    member = (await enroll(gql, "ann"))["member"]["id"]
    for name in ("Ann A", "Ann B"):
        data = await gql.ok(UPDATE, {"input": {"id": member, "displayName": name}}, bearer=STORE)
        assert data["updateMember"]["userErrors"] == []
    await relay_and_give(bus, consumer, until=2)
    gifts = await given(gql, "THANK_YOU")
    assert [(g["status"], g["skipReason"]) for g in gifts] == [
        ("GIVEN", None),
        ("SKIPPED", "MEMBER_CAP"),
    ]
    [entry] = await gift_entries(gql, "ann")
    assert entry["reason"] == "A thank-you for your contribution"


async def test_gift_settings_are_validated_and_change_nothing_when_refused(
    gql: GraphQLClient,
) -> None:
    await provision(gql)
    refused = await configure_gift(
        gql, kind="WELCOME", points=0, budgetPoints=-1, surpriseRule="DRAW",
        triggerEventType="Not An Event",
    )  # fmt: skip
    assert refused["gift"] is None
    assert {tuple(e["field"]) for e in refused["userErrors"]} == {
        ("input", "points"), ("input", "budgetPoints"), ("input", "surpriseRule"),
        ("input", "drawProbability"), ("input", "triggerEventType"),
    }  # fmt: skip
    assert {e["code"] for e in refused["userErrors"]} == {"INVALID_GIFT_CONFIG"}
    assert (await gql.ok(GIFTS, bearer=ADMIN))["gifts"] == []
