"""The campaign delivery job on the moved clock: reorder reminders at the predicted date, once
(also with two runs at once), quiet hours and frequency caps respected through consent's one
check, profiling consent required by behavioural campaigns only, holdouts held out."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tortoise import connections

from api.relay import decode_global_id
from backbone.bus import MessageBus
from domain.campaign_delivery import reorder_sku
from domain.clock import FixedClock
from domain.experiments import HOLDOUT, assign
from tests.conftest import START
from tests.e2e.campaign_helpers import (
    DAY,
    ONE,
    REORDER,
    SCHEDULE,
    act,
    created,
    deliver,
    deliveries,
    messages,
    running,
    seed_prediction,
    seed_reorder,
)
from tests.e2e.campaign_helpers import consent as give_consent
from tests.e2e.campaign_helpers import prefer as set_preferences
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.points_helpers import ADMIN


async def _members(gql: GraphQLClient, *names: str, profiling: bool = True) -> None:
    for name in names:
        await enroll(gql, name)
        purposes = ("marketing_email", "profiling") if profiling else ("marketing_email",)
        await give_consent(gql, name, *purposes)


async def test_a_reorder_reminder_fires_at_the_predicted_date_once(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    await provision(gql)
    await _members(gql, "ann")
    await seed_reorder(
        "ann",
        "COFFEE-1KG",
        last_ordered_at=START - 20 * DAY,
        cycle_days=30,
        due_at=START + 10 * DAY,
    )
    campaign = await running(gql, **REORDER)
    await deliver(bus)
    clock.set(START + 7 * DAY)
    await deliver(bus)
    assert await messages(gql) == []
    clock.set(START + 8 * DAY)  # due_at less the two lead days
    await deliver(bus)
    await deliver(bus)
    [sent] = await messages(gql)
    occasion = f"reorder:COFFEE-1KG@{int((START - 20 * DAY).timestamp())}"
    assert sent["payload"] == {
        "campaignId": int(sent["payload"]["campaignId"]),
        "deliveryId": sent["payload"]["deliveryId"],
        "channel": "EMAIL",
        "templateKey": "spring-2026",
        "arm": "default",
        "occasion": occasion,
        "surveyId": None,
        "sku": "COFFEE-1KG",
    }
    [row] = await deliveries()
    assert (row["external_id"], row["status"], row["occasion"]) == ("ann", "SENT", occasion)
    found = await gql.ok(ONE, {"id": campaign["id"]}, bearer=ADMIN)
    assert found["campaign"]["deliveryCounts"] == [{"status": "SENT", "count": 1}]


async def test_two_runs_at_once_deliver_each_reminder_once(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    await provision(gql)
    names = [f"m{n}" for n in range(8)]
    await _members(gql, *names)
    for name in names:
        await seed_reorder(
            name, "TEA", last_ordered_at=START - 5 * DAY, cycle_days=7, due_at=START + DAY
        )
    await running(gql, **REORDER)
    await asyncio.gather(deliver(bus), deliver(bus), deliver(bus))
    sent = await messages(gql)
    assert len(sent) == len(names)
    assert len({event["memberId"] for event in sent}) == len(names)
    assert [row["status"] for row in await deliveries()] == ["SENT"] * len(names)


async def test_a_new_purchase_cycle_reminds_again(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    await provision(gql)
    await _members(gql, "ann")
    await seed_reorder("ann", "TEA", last_ordered_at=START - 6 * DAY, cycle_days=7, due_at=START)
    await running(gql, **REORDER)
    await deliver(bus)
    # The member reordered: the predictions job moves the cycle on.
    await connections.get("default").execute_query(
        "UPDATE member_reorder SET last_ordered_at = $1, due_at = $2",
        [START + DAY, START + 8 * DAY],
    )
    clock.set(START + 6 * DAY)
    await deliver(bus)
    assert len(await messages(gql)) == 2


async def test_quiet_hours_defer_to_their_end_on_the_members_clock(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    await provision(gql)
    await _members(gql, "ann")
    await set_preferences(
        gql, "ann", quietHours={"start": "22:00", "end": "07:00"}, timezone="Europe/Paris"
    )
    evening = START.replace(hour=21)  # 23:00 in Paris
    clock.set(evening)
    await seed_reorder("ann", "TEA", last_ordered_at=START - 6 * DAY, cycle_days=7, due_at=START)
    await running(gql, **REORDER, startsAt=evening.isoformat())
    await deliver(bus)
    [row] = await deliveries()
    morning = (START + DAY).replace(hour=5)  # 07:00 in Paris
    assert (row["status"], row["due_at"]) == ("DEFERRED", morning)
    clock.set(morning - timedelta(minutes=1))
    await deliver(bus)
    assert await messages(gql) == []
    clock.set(morning)
    await asyncio.gather(deliver(bus), deliver(bus))
    assert len(await messages(gql)) == 1
    [row] = await deliveries()
    assert row["status"] == "SENT"


async def test_the_weekly_cap_skips_what_goes_beyond_it(
    gql: GraphQLClient, bus: MessageBus
) -> None:
    await provision(gql)
    await _members(gql, "ann")
    await set_preferences(gql, "ann", emailWeeklyCap=1)
    for sku in ("COFFEE", "TEA"):
        await seed_reorder(
            sku=sku, who="ann", last_ordered_at=START - DAY, cycle_days=2, due_at=START
        )
    await running(gql, **REORDER)
    await deliver(bus)
    rows = await deliveries()
    assert [(row["status"], row["reason"]) for row in rows] == [
        ("SENT", None),
        ("SKIPPED", "CAP_REACHED"),
    ]
    assert [event["payload"]["sku"] for event in await messages(gql)] == [
        reorder_sku(rows[0]["occasion"])
    ]


async def test_without_profiling_consent_only_non_behavioural_campaigns_reach_a_member(
    gql: GraphQLClient, bus: MessageBus
) -> None:
    await provision(gql)
    await _members(gql, "ann")
    await _members(gql, "bob", profiling=False)
    for who in ("ann", "bob"):
        await seed_reorder(who, "TEA", last_ordered_at=START - 6 * DAY, cycle_days=7, due_at=START)
        await seed_prediction(who, 0.9)
    await running(gql, **REORDER)
    await running(gql, name="Win back", trigger="AT_RISK", atRiskThreshold=0.7)
    await running(gql, name="Newsletter")
    await deliver(bus)
    reached = sorted((row["external_id"], row["occasion"][:8]) for row in await deliveries())
    assert reached == [("ann", ""), ("ann", "at_risk:"), ("ann", "reorder:"), ("bob", "")]
    assert len(await messages(gql)) == 4


async def test_withdrawn_profiling_stops_behavioural_deliveries(
    gql: GraphQLClient, bus: MessageBus
) -> None:
    await provision(gql)
    await _members(gql, "ann")
    await seed_prediction("ann", 0.9)
    await give_consent(gql, "ann", "profiling", granted=False)
    await running(gql, name="Win back", trigger="AT_RISK", atRiskThreshold=0.7)
    await deliver(bus)
    assert await deliveries() == []


async def test_at_risk_reaches_a_member_once_per_model_version(
    gql: GraphQLClient, bus: MessageBus
) -> None:
    await provision(gql)
    await _members(gql, "ann", "bob")
    await seed_prediction("ann", 0.8)
    await seed_prediction("bob", 0.5)
    await running(gql, name="Win back", trigger="AT_RISK", atRiskThreshold=0.7)
    await deliver(bus)
    await deliver(bus)
    await seed_prediction("ann", 0.85, model_version="bgnbd-2")
    await deliver(bus)
    rows = await deliveries()
    assert [(r["external_id"], r["occasion"]) for r in rows] == [
        ("ann", "at_risk:bgnbd-1"),
        ("ann", "at_risk:bgnbd-2"),
    ]


async def test_holdout_members_are_held_out_and_sent_nothing(
    gql: GraphQLClient, bus: MessageBus
) -> None:
    await provision(gql)
    names = [f"m{n:02d}" for n in range(16)]
    await _members(gql, *names)
    campaign = await running(gql, holdoutPercent=50)
    await deliver(bus)
    rows = await deliveries()
    key = decode_global_id(campaign["id"], "Campaign")
    assert key is not None
    expected = {row["external_id"]: "HELD_OUT" if row["arm"] == HOLDOUT else "SENT" for row in rows}
    assert {row["external_id"]: row["status"] for row in rows} == expected
    held = [row for row in rows if row["status"] == "HELD_OUT"]
    assert held, "with 16 members half held out, some are"
    assert len(await messages(gql)) == len(rows) - len(held)
    # The arm is the stable hash of campaign and member, whichever run decided it.
    ids = await connections.get("default").execute_query_dict(
        "SELECT id, external_id FROM member ORDER BY id"
    )
    for member in ids:
        arm = assign(key, member["id"], (), 50)
        assert (arm == HOLDOUT) == (expected[member["external_id"]] == "HELD_OUT")


async def test_an_offer_only_campaign_offers_and_a_past_one_ends(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    await provision(gql)
    await _members(gql, "ann")
    campaign = await running(
        gql,
        message=None,
        offer={"kind": "POINTS_MULTIPLIER", "multiplier": "2"},
        endsAt=(START + DAY).isoformat(),
    )
    await deliver(bus)
    assert [row["status"] for row in await deliveries()] == ["OFFERED"]
    assert await messages(gql) == []
    clock.set(START + DAY)
    await enroll(gql, "bob")
    await deliver(bus)
    found = await gql.ok(ONE, {"id": campaign["id"]}, bearer=ADMIN)
    assert found["campaign"]["status"] == "ENDED"
    assert len(await deliveries()) == 1


async def test_no_channel_consent_is_skipped(gql: GraphQLClient, bus: MessageBus) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    await running(gql)
    await deliver(bus)
    assert [(r["status"], r["reason"]) for r in await deliveries()] == [("SKIPPED", "NO_CONSENT")]
    assert await messages(gql) == []


async def test_a_deferred_reminder_is_closed_when_profiling_is_withdrawn(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    await provision(gql)
    await _members(gql, "ann")
    await set_preferences(gql, "ann", quietHours={"start": "12:00", "end": "13:00"}, timezone="UTC")
    await seed_reorder("ann", "TEA", last_ordered_at=START - 6 * DAY, cycle_days=7, due_at=START)
    await running(gql, **REORDER)
    await deliver(bus)
    assert [row["status"] for row in await deliveries()] == ["DEFERRED"]
    await give_consent(gql, "ann", "profiling", granted=False)
    clock.set(START.replace(hour=13))
    await deliver(bus)
    assert [(r["status"], r["reason"]) for r in await deliveries()] == [("SKIPPED", "NO_PROFILING")]
    assert await messages(gql) == []


async def test_a_scheduled_campaign_starts_at_its_time_in_its_own_program_only(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    await provision(gql)
    await provision(gql, "globex")
    await _members(gql, "ann")
    await enroll(gql, "gus", program="globex")
    await give_consent(gql, "gus", "marketing_email", program="globex")
    campaign = await created(gql, startsAt=(START + DAY).isoformat())
    assert (await act(gql, SCHEDULE, campaign["id"]))["campaign"]["status"] == "SCHEDULED"
    await deliver(bus)
    assert await deliveries() == []
    clock.set(START + DAY)
    await deliver(bus)
    found = await gql.ok(ONE, {"id": campaign["id"]}, bearer=ADMIN)
    assert found["campaign"]["status"] == "RUNNING"
    assert [row["external_id"] for row in await deliveries()] == ["ann"]
