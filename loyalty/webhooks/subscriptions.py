"""Webhook subscriptions: their checks and their rows.

Subscriptions belong to a program and an owner (`admin:<sub>` or `partner:<sub>`); each has its
own signing secret, `whsec_` + base64 of 32 random bytes, kept in the database because every send
signs with it, and shown to the client only when created or rotated. After a rotation the
previous secret signs too, for ROTATION_OVERLAP: both signatures are sent, space-separated, in
`webhook-signature` (loyalty/webhooks/sender.py).
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from domain.events import EVENT_TYPES
from domain.partners import shown_to_partners
from domain.validation import ErrorCode, InvalidInput, Problem, clean_text
from domain.webhooks import DESCRIPTION_MAX, EVENT_TYPES_MAX, ROTATION_OVERLAP, url_problem
from loyalty.webhooks.addresses import check_resolves_publicly, production


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


_SUB_COLUMNS = (
    "id, program_id, owner, url, event_types, description, active, disabled_reason, "
    "consecutive_failures, created_at, previous_secret_until"
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


def check_subscription(
    *,
    url: str | None,
    event_types: Sequence[str] | None,
    description: str | None,
    partner: bool = False,
) -> None:
    """Every problem of a subscription's fields at once (None: unchanged). A partner's endpoint
    may not subscribe to other partners' partner.* and webhook.* events."""
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
                if name not in EVENT_TYPES or (partner and not shown_to_partners(name))
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
    check_subscription(
        url=url,
        event_types=event_types,
        description=description,
        partner=owner.startswith("partner:"),
    )
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
    check_subscription(
        url=url,
        event_types=event_types,
        description=description,
        partner=subscription.owner.startswith("partner:"),
    )
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
