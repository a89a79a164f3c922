"""Webhook subscriptions, the fan-out of the event log into deliveries, and the sender.

- Subscriptions belong to a program and an owner (`admin:<sub>` or `partner:<sub>`); each has
  its own signing secret, `whsec_` + base64 of 32 random bytes, kept in the database because
  every send signs with it, and shown to the client only when created or rotated. After a
  rotation the previous secret signs too, for ROTATION_OVERLAP: both signatures are sent,
  space-separated, in `webhook-signature`.
- The relay consumer `webhooks.fanout` turns each event into one `webhook_delivery` row per
  active subscription of its program wanting its type, in the relay's own transaction (so
  exactly once per event and subscription, and never for a rolled-back write, which has no
  event). The body is fixed then; its message id (`webhook-id`) is `msg_<event id>_<subscription
  id>`, reused by every retry and redelivery, so receivers deduplicate on it.
- `send_due` claims due deliveries with FOR UPDATE SKIP LOCKED in one short transaction, moving
  their next attempt a lease ahead (a crashed sender's delivery comes back after it), POSTs each
  outside any transaction, then records the attempt and the outcome in another: delivered on a
  2xx, else retried with exponential backoff and jitter (domain/webhooks.py) until the delivery
  is GIVE_UP_AFTER old, then failed. An endpoint failing DISABLE_AFTER_FAILURES times in a row is
  disabled with a reason and a `webhook.endpoint_disabled` event.
- Payloads carry ids only (the event log holds no personal data); the member's global id is
  sent only with the member's `partner_sharing` consent, and always in `member.erased` (so
  partners can forget the member).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import json
import logging
import os
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import standardwebhooks
from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from backbone.outbox import LoggedEvent
from backbone.relay import Consumer
from consent.published import may_use
from domain.clock import Clock, SystemClock
from domain.events import EVENT_TYPES, WebhookEndpointDisabled
from domain.validation import ErrorCode, InvalidInput, Problem, clean_text
from domain.webhooks import (
    DESCRIPTION_MAX,
    DISABLE_AFTER_FAILURES,
    EVENT_TYPES_MAX,
    GIVE_UP_AFTER,
    ROTATION_OVERLAP,
    refused_address,
    retry_delay,
    url_problem,
)

if TYPE_CHECKING:
    from backbone.bus import MessageBus

log = logging.getLogger(__name__)

FANOUT = "webhooks.fanout"
TEST_TYPE = "webhook.test"
TIMEOUT_SECONDS = 10.0
LEASE = timedelta(seconds=60)  # longer than a send can take
BATCH = 20
RESPONSE_KEPT = 1024
USER_AGENT = "loyalty-webhooks/1"


def production() -> bool:
    """LOYALTY_ENV, validated at start by api/settings.py: production refuses private hosts."""
    return os.environ.get("LOYALTY_ENV", "development") == "production"


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    program_id: int
    owner: str
    url: str
    event_types: tuple[str, ...]
    description: str
    active: bool
    disabled_reason: str | None
    consecutive_failures: int
    created_at: datetime
    previous_secret_until: datetime | None


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


_SUB_COLUMNS = (
    "id, program_id, owner, url, event_types, description, active, disabled_reason, "
    "consecutive_failures, created_at, previous_secret_until"
)
_DELIVERY_COLUMNS = (
    "id, subscription_id, event_id, message_id, event_type, status, attempts, next_attempt_at, "
    "created_at, finished_at"
)


def _subscription(row: dict[str, Any]) -> Subscription:
    types = row["event_types"]
    return Subscription(
        row["id"],
        row["program_id"],
        row["owner"],
        row["url"],
        tuple(json.loads(types) if isinstance(types, str) else types),
        row["description"],
        row["active"],
        row["disabled_reason"],
        row["consecutive_failures"],
        row["created_at"],
        row["previous_secret_until"],
    )


def _delivery(row: dict[str, Any]) -> Delivery:
    return Delivery(**{name: row[name] for name in Delivery.__slots__})


# ---------------------------------------------------------------------------------------------
# Subscriptions


def check_subscription(
    *, url: str | None, event_types: Sequence[str] | None, description: str | None
) -> None:
    """Every problem of a subscription's fields at once (None: unchanged)."""
    problems: list[Problem] = []
    if url is not None:
        problem = url_problem(url, production=production())
        if problem:
            problems.append(Problem(("url",), problem, ErrorCode.INVALID_WEBHOOK_URL))
    if event_types is not None:
        if not event_types or len(event_types) > EVENT_TYPES_MAX:
            problems.append(
                Problem(
                    ("eventTypes",),
                    f"Name 1-{EVENT_TYPES_MAX} event types.",
                    ErrorCode.INVALID_EVENT_TYPES,
                )
            )
        else:
            problems.extend(
                Problem(
                    ("eventTypes", str(index)),
                    f"{name[:60]!r} is not an event type.",
                    ErrorCode.INVALID_EVENT_TYPES,
                )
                for index, name in enumerate(event_types)
                if name not in EVENT_TYPES
            )
    if (
        description is not None
        and description != ""
        and clean_text(description, max_length=DESCRIPTION_MAX) != description
    ):
        problems.append(
            Problem(
                ("description",),
                f"The description must be at most {DESCRIPTION_MAX} characters on one line.",
                ErrorCode.INVALID_DESCRIPTION,
            )
        )
    if problems:
        raise InvalidInput(*problems)


async def check_resolves_publicly(url: str) -> None:
    """In production, refuse a URL whose host resolves to an address off the public internet."""
    if not production():
        return
    if await _public_address(url) is None:
        raise InvalidInput(
            Problem(
                ("url",),
                "The URL's host resolves to a private, loopback, link-local or reserved address.",
                ErrorCode.INVALID_WEBHOOK_URL,
            )
        )


async def _public_address(url: str) -> str | None:
    """An address the URL's host resolves to, when every one it resolves to is public."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, parts.port or (443 if parts.scheme == "https" else 80)
        )
    except OSError:
        return None
    addresses = sorted({str(info[4][0]).split("%")[0] for info in infos})
    if not addresses or any(refused_address(ipaddress.ip_address(a)) for a in addresses):
        return None
    return addresses[0]


def pinned(url: str, address: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The URL sent to `address` itself, with the original host as Host header and TLS server
    name (SNI, and so certificate checks): a name resolving elsewhere after the check (DNS
    rebinding) cannot redirect the send."""
    parts = urlsplit(url)
    literal = f"[{address}]" if ":" in address else address
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    host_header = parts.netloc.rpartition("@")[2]
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    return parts._replace(netloc=netloc).geturl(), {"host": host_header}, extensions


_CREATE = f"""
INSERT INTO webhook_subscription (program_id, owner, url, event_types, description, secret,
  active, consecutive_failures, created_at)
VALUES ($1, $2, $3, $4::jsonb, $5, $6, true, 0, $7)
RETURNING {_SUB_COLUMNS}
"""  # noqa: S608 - a constant column list


async def create_subscription(
    connection: BaseDBAsyncClient,
    *,
    program_id: int,
    owner: str,
    url: str,
    event_types: Sequence[str],
    description: str,
    at: datetime,
) -> tuple[Subscription, str]:
    """A new subscription and its secret (shown this once)."""
    check_subscription(url=url, event_types=event_types, description=description)
    await check_resolves_publicly(url)
    secret = new_secret()
    [row] = await connection.execute_query_dict(
        _CREATE,
        [program_id, owner, url, json.dumps(sorted(set(event_types))), description, secret, at],
    )
    return _subscription(row), secret


async def find_subscription(
    connection: BaseDBAsyncClient, program_id: int, subscription_id: int, owner: str | None
) -> Subscription | None:
    """A subscription of the program (and of `owner`, unless None: an admin sees all)."""
    rows = await connection.execute_query_dict(
        f"SELECT {_SUB_COLUMNS} FROM webhook_subscription"  # noqa: S608
        " WHERE id = $1 AND program_id = $2 AND ($3::text IS NULL OR owner = $3)",
        [subscription_id, program_id, owner],
    )
    return _subscription(rows[0]) if rows else None


async def list_subscriptions(
    program_id: int, owner: str | None, *, after_id: int, limit: int
) -> list[Subscription]:
    rows = await connections.get("default").execute_query_dict(
        f"SELECT {_SUB_COLUMNS} FROM webhook_subscription"  # noqa: S608
        " WHERE program_id = $1 AND ($2::text IS NULL OR owner = $2) AND id > $3"
        " ORDER BY id LIMIT $4",
        [program_id, owner, after_id, limit],
    )
    return [_subscription(row) for row in rows]


async def update_subscription(
    connection: BaseDBAsyncClient,
    subscription: Subscription,
    *,
    url: str | None,
    event_types: Sequence[str] | None,
    description: str | None,
    active: bool | None,
) -> Subscription:
    """Change fields (None keeps them); `active: true` re-enables a disabled endpoint."""
    check_subscription(url=url, event_types=event_types, description=description)
    if url is not None:
        await check_resolves_publicly(url)
    [row] = await connection.execute_query_dict(
        f"""UPDATE webhook_subscription SET url = coalesce($2, url),
          event_types = coalesce($3::jsonb, event_types), description = coalesce($4, description),
          active = coalesce($5, active),
          disabled_reason = CASE WHEN $5 THEN NULL ELSE disabled_reason END,
          consecutive_failures = CASE WHEN $5 THEN 0 ELSE consecutive_failures END
        WHERE id = $1 RETURNING {_SUB_COLUMNS}""",  # noqa: S608
        [
            subscription.id,
            url,
            json.dumps(sorted(set(event_types))) if event_types is not None else None,
            description,
            active,
        ],
    )
    return _subscription(row)


async def rotate_secret(
    connection: BaseDBAsyncClient, subscription: Subscription, *, at: datetime
) -> tuple[Subscription, str]:
    """A new secret (shown this once); the old one still signs for ROTATION_OVERLAP."""
    secret = new_secret()
    [row] = await connection.execute_query_dict(
        f"""UPDATE webhook_subscription SET previous_secret = secret, secret = $2,
          previous_secret_until = $3 WHERE id = $1 RETURNING {_SUB_COLUMNS}""",  # noqa: S608
        [subscription.id, secret, at + ROTATION_OVERLAP],
    )
    return _subscription(row), secret


async def delete_subscription(connection: BaseDBAsyncClient, subscription: Subscription) -> None:
    """Gone with its deliveries and their attempts."""
    await connection.execute_query(
        "DELETE FROM webhook_subscription WHERE id = $1", [subscription.id]
    )


# ---------------------------------------------------------------------------------------------
# Deliveries


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
SELECT id FROM webhook_subscription WHERE program_id = $1 AND active AND event_types ? $2
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
    """The relay consumer's handler: the event's deliveries, in the relay's transaction."""
    rows = await connection.execute_query_dict(_WANTING, [event.program_id, event.type])
    if not rows:
        return
    member = None
    if event.member_id is not None and (
        event.type == "member.erased"
        or await may_use(connection, event.program_id, event.member_id, "partner_sharing")
    ):
        member = global_member_id(event.member_id)
    text = body(
        event_type=event.type,
        at=event.occurred_at,
        event_id=event.id,
        member=member,
        payload=event.payload,
    )
    await connection.execute_query(
        _INSERT_DELIVERIES,
        [[row["id"] for row in rows], event.id, event.type, text, event.occurred_at],
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


# ---------------------------------------------------------------------------------------------
# The sender

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
            return
        if outcome.ok:
            await connection.execute_query(_SUCCEEDED, [claimed.subscription_id])
            return
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


IDLE_SECONDS = 1.0


async def run_sender(bus: MessageBus, stop: asyncio.Event) -> None:
    """The worker's sender loop: send what is due, idle a second when nothing is."""
    async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
        while not stop.is_set():
            if await send_due(bus, client=client) == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), IDLE_SECONDS)
