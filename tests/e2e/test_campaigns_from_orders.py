"""From orders to the reminder: the predictions job reads a member's own purchase cycle, and a
REORDER_DUE campaign reminds it the lead days before the predicted date, once per cycle."""

from __future__ import annotations

from backbone.bus import MessageBus
from domain.clock import FixedClock
from tests.e2e.campaign_helpers import REORDER, consent, deliver, messages, running
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.prediction_helpers import day, mine, orders_on_days, run_job


async def test_orders_lead_to_one_reminder_before_the_predicted_reorder(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    await consent(gql, "ann", "marketing_email", "profiling")
    beans = [(0.0, ["BEANS"]), (10.0, ["BEANS", "MUG"]), (20.0, ["BEANS"])]
    await orders_on_days(gql, clock, {"ann": beans})
    clock.set(day(22))
    await run_job(bus)
    [reorder] = (await mine(gql, "ann"))["reorders"]
    assert reorder["sku"] == "BEANS"
    assert reorder["dueAt"] == day(30).isoformat()
    await running(gql, **REORDER, startsAt=day(22).isoformat())
    for at in (22, 27.9):
        clock.set(day(at))
        await deliver(bus)
    assert await messages(gql) == []
    clock.set(day(28))  # dueAt less the two lead days
    await deliver(bus)
    clock.set(day(29))
    await run_job(bus)  # re-scored: the same cycle, the same occasion
    await deliver(bus)
    [sent] = await messages(gql)
    assert sent["payload"]["sku"] == "BEANS"
    assert sent["payload"]["occasion"].startswith("reorder:BEANS@")
    assert sent["occurredAt"] == day(28).isoformat()
