"""Webhook deliveries: the fan-out of the event log into them, test pings, redeliveries, and
their listing with their attempts.

- The relay consumer `webhooks.fanout` turns each event into one `webhook_delivery` row per
  active subscription of its program wanting its type, in the relay's own transaction (so
  exactly once per event and subscription, and never for a rolled-back write, which has no
  event). The body is fixed then; its message id (`webhook-id`) is `msg_<event id>_<subscription
  id>`, reused by every retry and redelivery, so receivers deduplicate on it.
- Payloads carry ids only (the event log holds no personal data); the member's global id is
  sent only with the member's `partner_sharing` consent, always in `member.erased` (so
  partners can forget the member), and in `campaign.message_due` to the program's own
  subscriptions (its messaging provider must know whom to message; partners never get it).
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from backbone.outbox import LoggedEvent
from backbone.relay import Consumer
from consent.published import may_use_many, record_reads
from domain.consent import PARTNER_SHARING, DataCategory
from domain.events import MemberErased
from domain.partners import (
    ADDRESSED_TO_MEMBER,
    members_named,
    partner_payload,
    shown_to_partners,
)
from loyalty.webhooks.subscriptions import Subscription

FANOUT = "webhooks.fanout"
TEST_TYPE = "webhook.test"


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    subscription_id: int
    event_id: int | None
    message_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class Attempt:
    id: int
    attempted_at: datetime
    status_code: int | None
    latency_ms: int
    response: str
    error: str | None


_DELIVERY_COLUMNS = (
    "id, subscription_id, event_id, message_id, event_type, status, attempts, next_attempt_at, "
    "created_at, finished_at"
)


def _delivery(row: dict[str, Any]) -> Delivery:
    return Delivery(**{name: row[name] for name in Delivery.__slots__})


def global_member_id(member_id: int) -> str:
    """As the API's `Member.id`: base64 of `Member:<key>`."""
    return base64.b64encode(f"Member:{member_id}".encode()).decode()


def message_id(event_id: int, subscription_id: int) -> str:
    return f"msg_{event_id}_{subscription_id}"


def body(
    *, event_type: str, at: datetime, event_id: int | None, member: str | None, payload: Any
) -> str:
    return json.dumps(
        {
            "type": event_type,
            "timestamp": at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "data": {"eventId": event_id, "memberId": member, "payload": payload},
        },
        separators=(",", ":"),
    )


_WANTING = """
SELECT id, owner FROM webhook_subscription WHERE program_id = $1 AND active AND event_types ? $2
ORDER BY id
"""
_INSERT_DELIVERIES = """
INSERT INTO webhook_delivery (subscription_id, event_id, message_id, event_type, body, status,
  attempts, next_attempt_at, created_at)
SELECT s, $2::bigint, 'msg_' || $2::bigint || '_' || s, $3, $4, 'pending', 0, $5, $5
FROM unnest($1::bigint[]) s
ON CONFLICT (subscription_id, event_id) DO NOTHING
"""


async def fan_out(event: LoggedEvent, connection: BaseDBAsyncClient) -> None:
    """The relay consumer's handler: the event's deliveries, in the relay's transaction. Bodies
    show what partners may see (domain/partners.py `partner_payload`): a member's id and
    activity only with its partner_sharing consent, logged in its data-usage log once a day per
    partner; partners' own endpoints never get other partners' partner.* and webhook.* events."""
    rows = await connection.execute_query_dict(_WANTING, [event.program_id, event.type])
    if not shown_to_partners(event.type):
        rows = [row for row in rows if not row["owner"].startswith("partner:")]
    if not rows:
        return
    named = members_named(event.payload)
    if event.member_id is not None:
        named.add(event.member_id)
    sharing = await may_use_many(connection, event.program_id, sorted(named), PARTNER_SHARING)
    shares = event.member_id in sharing
    text = body(
        event_type=event.type,
        at=event.occurred_at,
        event_id=event.id,
        member=global_member_id(event.member_id)
        if event.member_id is not None
        and (shares or event.type == MemberErased.type or event.type in ADDRESSED_TO_MEMBER)
        else None,
        payload=partner_payload(event.payload, member_shares=shares, sharing=sharing),
    )
    await connection.execute_query(
        _INSERT_DELIVERIES,
        [[row["id"] for row in rows], event.id, event.type, text, event.occurred_at],
    )
    for owner in sorted({row["owner"] for row in rows if row["owner"].startswith("partner:")}):
        await record_reads(
            connection,
            program_id=event.program_id,
            member_ids=sorted(sharing),
            purpose=PARTNER_SHARING,
            categories=(DataCategory.LOYALTY_ACTIVITY,),
            actor=owner,
            reason="sent to a partner in a webhook",
            at=event.occurred_at,
            once_a_day=True,
        )


def consumer() -> Consumer:
    return Consumer(FANOUT, fan_out)


async def enqueue_test(
    connection: BaseDBAsyncClient, subscription: Subscription, *, at: datetime
) -> Delivery:
    """A `webhook.test` ping, due now, sent by the sender like any delivery."""
    text = body(event_type=TEST_TYPE, at=at, event_id=None, member=None, payload={"test": True})
    [row] = await connection.execute_query_dict(
        f"""INSERT INTO webhook_delivery (subscription_id, event_id, message_id, event_type, body,
          status, attempts, next_attempt_at, created_at)
        VALUES ($1, NULL, $2, $3, $4, 'pending', 0, $5, $5) RETURNING {_DELIVERY_COLUMNS}""",  # noqa: S608
        [subscription.id, f"msg_test_{secrets.token_hex(12)}", TEST_TYPE, text, at],
    )
    return _delivery(row)


async def redeliver(
    connection: BaseDBAsyncClient,
    program_id: int,
    delivery_id: int,
    owner: str | None,
    *,
    at: datetime,
) -> Delivery | None:
    """Send a delivery again (delivered or failed ones too), under its own webhook-id."""
    rows = await connection.execute_query_dict(
        f"""UPDATE webhook_delivery d SET status = 'pending', next_attempt_at = $4,
          finished_at = NULL, created_at = CASE WHEN d.status = 'pending' THEN d.created_at ELSE $4 END
        FROM webhook_subscription s
        WHERE d.id = $1 AND s.id = d.subscription_id AND s.program_id = $2
          AND ($3::text IS NULL OR s.owner = $3)
        RETURNING {", ".join("d." + c.strip() for c in _DELIVERY_COLUMNS.split(","))}""",  # noqa: S608
        [delivery_id, program_id, owner, at],
    )
    return _delivery(rows[0]) if rows else None


async def list_deliveries(
    subscription_id: int, status: str | None, *, before_id: int, limit: int
) -> list[Delivery]:
    rows = await connections.get("default").execute_query_dict(
        f"SELECT {_DELIVERY_COLUMNS} FROM webhook_delivery"  # noqa: S608
        " WHERE subscription_id = $1 AND ($2::text IS NULL OR status = $2) AND id < $3"
        " ORDER BY id DESC LIMIT $4",
        [subscription_id, status, before_id, limit],
    )
    return [_delivery(row) for row in rows]


async def attempts_of(delivery_ids: Sequence[int]) -> dict[int, list[Attempt]]:
    """Every delivery's attempts, newest first: one statement for a page."""
    rows = await connections.get("default").execute_query_dict(
        "SELECT id, delivery_id, attempted_at, status_code, latency_ms, response, error"
        " FROM webhook_attempt WHERE delivery_id = ANY($1::bigint[]) ORDER BY id DESC",
        [list(delivery_ids)],
    )
    found: dict[int, list[Attempt]] = {key: [] for key in delivery_ids}
    for row in rows:
        found[row["delivery_id"]].append(
            Attempt(
                row["id"],
                row["attempted_at"],
                row["status_code"],
                row["latency_ms"],
                row["response"],
                row["error"],
            )
        )
    return found
