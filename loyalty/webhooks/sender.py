"""The webhook sender: a loop in every worker that signs and sends the due deliveries.

`send_due` claims due deliveries with FOR UPDATE SKIP LOCKED in one short transaction, moving
their next attempt a lease ahead (a crashed sender's delivery comes back after it), POSTs each
outside any transaction, then records the attempt and the outcome in another: delivered on a
2xx, else retried with exponential backoff and jitter (domain/webhooks.py) until the delivery is
GIVE_UP_AFTER old, then failed. An endpoint failing DISABLE_AFTER_FAILURES times in a row is
disabled with a reason and a `webhook.endpoint_disabled` event.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import standardwebhooks
from tortoise.transactions import in_transaction

from backbone.metrics import WEBHOOK_DELIVERIES
from domain.clock import Clock, SystemClock
from domain.events import WebhookEndpointDisabled
from domain.webhooks import DISABLE_AFTER_FAILURES, GIVE_UP_AFTER, retry_delay
from loyalty.webhooks.addresses import _public_address, pinned, production

if TYPE_CHECKING:
    from backbone.bus import MessageBus
    from backbone.uow import UnitOfWork

TIMEOUT_SECONDS = 10.0
LEASE = timedelta(seconds=60)  # longer than a send can take
BATCH = 20
RESPONSE_KEPT = 1024
USER_AGENT = "loyalty-webhooks/1"


_CLAIM = """
WITH due AS (
  SELECT d.id FROM webhook_delivery d JOIN webhook_subscription s ON s.id = d.subscription_id
  WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND s.active
  ORDER BY d.next_attempt_at, d.id LIMIT $3
  FOR UPDATE OF d SKIP LOCKED
)
UPDATE webhook_delivery d SET attempts = d.attempts + 1, next_attempt_at = $2
FROM due, webhook_subscription s
WHERE d.id = due.id AND s.id = d.subscription_id
RETURNING d.id, d.subscription_id, d.message_id, d.body, d.attempts, d.created_at, s.url,
  s.secret, s.previous_secret, s.previous_secret_until
"""
# Nothing when the delivery went meanwhile (its subscription deleted).
_ATTEMPT = """
INSERT INTO webhook_attempt (delivery_id, attempted_at, status_code, latency_ms, response, error)
SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM webhook_delivery WHERE id = $1)
"""
# Only the attempt that claimed the delivery records its outcome (a lease that ran out gave it
# to another sender, whose attempt counts).
_OUTCOME = """
UPDATE webhook_delivery SET status = $3, next_attempt_at = $4, finished_at = $5
WHERE id = $1 AND attempts = $2 AND status = 'pending'
RETURNING id
"""
_SUCCEEDED = "UPDATE webhook_subscription SET consecutive_failures = 0 WHERE id = $1"
_FAILED = """
UPDATE webhook_subscription SET consecutive_failures = consecutive_failures + 1 WHERE id = $1
RETURNING program_id, consecutive_failures, active
"""
_DISABLE = """
UPDATE webhook_subscription SET active = false, disabled_reason = $2 WHERE id = $1 AND active
RETURNING id
"""


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    subscription_id: int
    message_id: str
    body: str
    attempts: int
    created_at: datetime
    url: str
    secret: str
    previous_secret: str | None
    previous_secret_until: datetime | None


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None
    latency_ms: int
    response: str
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def signature(claimed: Claimed, timestamp: datetime, *, now: datetime) -> str:
    """`v1,<sig>`, and the previous secret's too during a rotation's overlap."""
    signatures = [
        standardwebhooks.Webhook(claimed.secret).sign(claimed.message_id, timestamp, claimed.body)
    ]
    if (
        claimed.previous_secret
        and claimed.previous_secret_until is not None
        and now < claimed.previous_secret_until
    ):
        signatures.append(
            standardwebhooks.Webhook(claimed.previous_secret).sign(
                claimed.message_id, timestamp, claimed.body
            )
        )
    return " ".join(signatures)


async def _post(
    client: httpx.AsyncClient, claimed: Claimed, *, now: datetime, wall: Clock
) -> Outcome:
    started = time.monotonic()

    def elapsed() -> int:
        return round((time.monotonic() - started) * 1000)

    url: str = claimed.url
    pinning: dict[str, str] = {}
    extensions: dict[str, Any] = {}
    if production():
        address = await _public_address(claimed.url)
        if address is None:
            return Outcome(None, elapsed(), "", "The host resolves to a refused address.")
        url, pinning, extensions = pinned(claimed.url, address)
    # The signing time is the real time of sending: receivers compare it with their own clock.
    timestamp = wall.now().replace(microsecond=0)
    headers = {
        "webhook-id": claimed.message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature(claimed, timestamp, now=now),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        **pinning,
    }
    try:
        response = await client.post(
            url, content=claimed.body.encode(), headers=headers, extensions=extensions
        )
    except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as error:
        return Outcome(None, elapsed(), "", f"{type(error).__name__}: {error}"[:500])
    text = response.content[:RESPONSE_KEPT].decode(errors="replace")
    return Outcome(response.status_code, elapsed(), text, None)


async def send_due(
    bus: MessageBus,
    *,
    limit: int = BATCH,
    client: httpx.AsyncClient | None = None,
    wall: Clock | None = None,
) -> int:
    """Claim the due deliveries (none another sender holds), send them, record what happened;
    how many were sent."""
    now = bus.clock.now()
    async with in_transaction() as connection:
        rows = await connection.execute_query_dict(_CLAIM, [now, now + LEASE, limit])
    if not rows:
        return 0
    claimed = [Claimed(**{name: row[name] for name in Claimed.__slots__}) for row in rows]
    async with contextlib.AsyncExitStack() as stack:
        if client is None:
            client = await stack.enter_async_context(
                httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False)
            )
        outcomes = await asyncio.gather(
            *(_post(client, one, now=now, wall=wall or SystemClock()) for one in claimed)
        )
    for one, outcome in zip(claimed, outcomes, strict=True):
        await _record(bus, one, outcome)
    return len(claimed)


async def _record(bus: MessageBus, claimed: Claimed, outcome: Outcome) -> None:
    async with bus.unit_of_work() as uow:
        status = await _write_outcome(uow, claimed, outcome)
    if status is not None:  # committed: counted once, by the attempt that held the delivery
        WEBHOOK_DELIVERIES.labels("retrying" if status == "pending" else status).inc()


async def _write_outcome(uow: UnitOfWork, claimed: Claimed, outcome: Outcome) -> str | None:
    """Record the attempt and the delivery's status (None when another attempt took it over)."""
    now = uow.now()
    connection = uow.connection
    await connection.execute_query(
        _ATTEMPT,
        [
            claimed.id,
            now,
            outcome.status_code,
            outcome.latency_ms,
            outcome.response,
            outcome.error,
        ],
    )
    if outcome.ok:
        status, next_at, finished = "delivered", now, now
    else:
        next_at = now + retry_delay(claimed.attempts)
        if next_at - claimed.created_at > GIVE_UP_AFTER:
            status, finished = "failed", now
        else:
            status, finished = "pending", None
    recorded = await connection.execute_query_dict(
        _OUTCOME, [claimed.id, claimed.attempts, status, next_at, finished]
    )
    if not recorded:
        return None
    if outcome.ok:
        await connection.execute_query(_SUCCEEDED, [claimed.subscription_id])
        return status
    [row] = await connection.execute_query_dict(_FAILED, [claimed.subscription_id])
    if row["active"] and row["consecutive_failures"] >= DISABLE_AFTER_FAILURES:
        reason = (
            f"Disabled after {row['consecutive_failures']} failed attempts in a row; "
            f"the last: {outcome.error or f'HTTP {outcome.status_code}'}"
        )[:500]
        if await connection.execute_query_dict(_DISABLE, [claimed.subscription_id, reason]):
            uow.record(
                WebhookEndpointDisabled(
                    program_id=row["program_id"],
                    subscription_id=claimed.subscription_id,
                    failures=row["consecutive_failures"],
                )
            )
    return status


IDLE_SECONDS = 1.0


async def run_sender(bus: MessageBus, stop: asyncio.Event) -> None:
    """The worker's sender loop: send what is due, idle a second when nothing is."""
    async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
        while not stop.is_set():
            if await send_due(bus, client=client) == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), IDLE_SECONDS)
