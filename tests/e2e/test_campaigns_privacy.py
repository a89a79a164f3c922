"""A member's campaign deliveries are in its data export; erasure keeps what experiment results
need (arm, status, exposure) and drops what they said about its purchases."""

from __future__ import annotations

from backbone.bus import MessageBus
from tests.conftest import START
from tests.e2e.campaign_helpers import (
    DAY,
    REORDER,
    consent,
    deliver,
    deliveries,
    prefer,
    running,
    seed_reorder,
)
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.points_helpers import member_token
from tests.e2e.privacy_helpers import erase, exported, mentions


async def test_export_and_erasure_of_campaign_deliveries(
    gql: GraphQLClient, bus: MessageBus
) -> None:
    await provision(gql)
    ann = await enroll(gql, "ann")
    await consent(gql, "ann", "marketing_email", "profiling")
    # Quiet all day but one minute: the second campaign's message waits, DEFERRED.
    await seed_reorder("ann", "RARE-SKU-7", last_ordered_at=START - DAY, cycle_days=2, due_at=START)
    await running(gql, **REORDER)
    await deliver(bus)
    await prefer(gql, "ann", quietHours={"start": "00:00", "end": "23:59"}, timezone="UTC")
    await running(gql, name="Newsletter")
    await deliver(bus)
    assert [row["status"] for row in await deliveries()] == ["SENT", "DEFERRED"]
    document = await exported(gql, member_token("ann"))
    found = document["campaignDeliveries"]
    assert [(d["campaignName"], d["status"], d["arm"]) for d in found] == [
        ("Time to reorder?", "SENT", "default"),
        ("Newsletter", "DEFERRED", "default"),
    ]
    assert mentions(document, "RARE-SKU-7") == ["RARE-SKU-7"]
    assert (await erase(gql, id=ann))["userErrors"] == []
    [left] = await deliveries()
    assert left["status"] == "SENT"
    assert left["occasion"].startswith("reorder:erased:")
    assert "RARE-SKU-7" not in left["occasion"]
