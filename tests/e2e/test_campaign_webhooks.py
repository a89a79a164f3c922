"""`campaign.message_due` reaches the program's messaging provider: its own (admin-owned) webhook
subscription gets the member's id, which it cannot send without; partners never get the event."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tortoise import connections

from backbone import relay
from backbone.bus import MessageBus
from loyalty.programs import find_program, ref
from loyalty.webhooks.commands import CreateSubscription
from loyalty.webhooks.deliveries import consumer as fan_out_consumer
from tests.conftest import START
from tests.e2e.campaign_helpers import DAY, REORDER, consent, deliver, running, seed_reorder
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.partner_helpers import partner

MESSAGE_DUE = "campaign.message_due"
SUBSCRIBE = """mutation($input: CreateWebhookSubscriptionInput!) {
  createWebhookSubscription(input: $input) { userErrors { field code } } }"""


async def _bodies(consumer: relay.Consumer, expected: int) -> list[tuple[str, dict[str, Any]]]:
    rows: list[dict[str, Any]] = []
    for _ in range(200):
        await relay.deliver(consumer)
        rows = await connections.get("default").execute_query_dict(
            "SELECT s.owner, d.body FROM webhook_delivery d"
            " JOIN webhook_subscription s ON s.id = d.subscription_id ORDER BY d.id"
        )
        if len(rows) >= expected:
            break
        await asyncio.sleep(0.05)
    return [(row["owner"], json.loads(row["body"])) for row in rows]


async def test_the_programs_own_subscription_learns_whom_to_message_and_partners_nothing(
    gql: GraphQLClient, bus: MessageBus
) -> None:
    await provision(gql)
    member_id = await enroll(gql, "ann")
    await consent(gql, "ann", "marketing_email", "profiling")
    found = await find_program("acme")
    assert found is not None
    program = ref(found)
    consumer = fan_out_consumer()
    await relay.register([consumer], connections.get("default"))
    await bus.handle(
        CreateSubscription(
            program_id=program.id,
            owner="admin:crm-team",
            url="http://127.0.0.1:9/hooks",
            event_types=(MESSAGE_DUE,),
            description="messaging",
        )
    )
    # A partner cannot subscribe to it.
    refused = await gql.ok(
        SUBSCRIBE,
        {"input": {"url": "https://partner.example/hooks", "eventTypes": [MESSAGE_DUE]}},
        bearer=await partner(gql, "crm"),
    )
    assert refused["createWebhookSubscription"]["userErrors"][0]["field"] == [
        "input",
        "eventTypes",
        "0",
    ]
    await seed_reorder(
        "ann", "TEA", last_ordered_at=START - 6 * DAY, cycle_days=7, due_at=START + DAY
    )
    await running(gql, **REORDER)
    await deliver(bus)
    [(owner, body)] = await _bodies(consumer, 1)
    assert owner == "admin:crm-team"
    assert body["type"] == MESSAGE_DUE
    assert body["data"]["memberId"] == member_id
    assert body["data"]["payload"]["sku"] == "TEA"
