"""What every other area asks of consent: the one answer to "may I use this member's data for
purpose P now?", the one way to log a use, and "may I message this member on channel C now?".

Narrow and stable, over SQL on the caller's connection: inside a unit of work pass
`uow.connection`, so the answer is as of that write (READ COMMITTED: a withdrawal committed
before the statement is seen, one in the same transaction too). loyalty may import this module
and nothing else of consent (an import-linter contract says so). Every call site of `may_use`,
`use_if_allowed`, `record_use`, `record_reads` and `may_message` is listed in
tests/unit/test_consent_call_sites.py: a new use of members' data must be declared there.

The rules (domain/consent.py `allowed`): CONTRACT purposes always; LEGITIMATE_INTEREST unless the
member's latest say withdrew it; CONSENT only when its latest say granted it. A purpose the
program does not have is never allowed, except the defaults, judged by their default basis.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.consent import DEFAULT_BASIS, DataCategory, LegalBasis, allowed, clean_reason
from domain.preferences import Channel, MessageDecision, Preferences, decide_message

_WEEK = timedelta(days=7)
# The purpose's basis (or the default purposes' own, for a program seeded before they were
# added) and the member's latest say on it.
_SAID = """
SELECT coalesce(p.legal_basis, $4::varchar) AS basis, r.granted
FROM (SELECT 1) one
LEFT JOIN consent_purpose p ON p.program_id = $1 AND p.key = $3
LEFT JOIN LATERAL (
  SELECT c.granted FROM consent_record c WHERE c.member_id = $2 AND c.purpose_key = $3
  ORDER BY c.id DESC LIMIT 1
) r ON true
"""
# The same rule as domain.consent.allowed, in SQL, so a read checks and logs in one statement.
_ALLOWED = (
    "coalesce(s.basis = 'CONTRACT' OR coalesce(s.granted, s.basis = 'LEGITIMATE_INTEREST'), false)"
)
_USE_IF_ALLOWED = f"""
WITH said AS ({_SAID}), ok AS (SELECT {_ALLOWED} AS allowed FROM said s), logged AS (
  INSERT INTO data_usage
    (program_id, member_id, purpose_key, categories, actor, reason, used_at, once_on)
  SELECT $1, $2, $3, $5::jsonb, $6, $7, $8, $9 FROM ok WHERE allowed
  ON CONFLICT (member_id, purpose_key, actor, once_on) DO NOTHING
  RETURNING 1
)
SELECT allowed FROM ok
"""  # noqa: S608 - constant fragments
_MANY = f"""
SELECT m.id AS member_id, {_ALLOWED} AS allowed
FROM unnest($2::bigint[]) m(id)
CROSS JOIN LATERAL (
  SELECT coalesce(p.legal_basis, $4::varchar) AS basis, r.granted
  FROM (SELECT 1) one
  LEFT JOIN consent_purpose p ON p.program_id = $1 AND p.key = $3
  LEFT JOIN LATERAL (
    SELECT c.granted FROM consent_record c WHERE c.member_id = m.id AND c.purpose_key = $3
    ORDER BY c.id DESC LIMIT 1
  ) r ON true
) s
"""  # noqa: S608 - constant fragments
_RECORD = """
INSERT INTO data_usage
  (program_id, member_id, purpose_key, categories, actor, reason, used_at, once_on)
SELECT $1, unnest($2::bigint[]), $3, $4::jsonb, $5, $6, $7, $8
ON CONFLICT (member_id, purpose_key, actor, once_on) DO NOTHING
"""
_MESSAGE = f"""
SELECT s.basis, s.granted, pg.timezone AS program_timezone, mp.email, mp.push, mp.sms,
  mp.email_weekly_cap, mp.push_weekly_cap, mp.sms_weekly_cap, mp.topics, mp.quiet_start,
  mp.quiet_end, mp.timezone, mp.locale,
  (SELECT count(*) FROM member_message mm
   WHERE mm.member_id = $2 AND mm.channel = $5 AND mm.sent_at > $6) AS sent
FROM ({_SAID}) s
JOIN program pg ON pg.id = $1
LEFT JOIN member_preference mp ON mp.member_id = $2
"""  # noqa: S608 - constant fragments


def consenting_members_sql(program: str, purpose: str, default_basis: str) -> str:
    """A subquery `SELECT member_id` of a program's members whose data may be used for the
    purpose now: the set-based form of `may_use`, for jobs that score a whole program in SQL.
    The arguments are the caller's placeholders (e.g. "$1") for the program id, the purpose
    key and `default_basis(purpose)`."""
    return f"""
SELECT m.id AS member_id FROM member m
CROSS JOIN LATERAL (
  SELECT coalesce(p.legal_basis, {default_basis}::varchar) AS basis, r.granted
  FROM (SELECT 1) one
  LEFT JOIN consent_purpose p ON p.program_id = m.program_id AND p.key = {purpose}
  LEFT JOIN LATERAL (
    SELECT c.granted FROM consent_record c WHERE c.member_id = m.id AND c.purpose_key = {purpose}
    ORDER BY c.id DESC LIMIT 1
  ) r ON true
) s
WHERE m.program_id = {program} AND {_ALLOWED}
"""  # noqa: S608 - placeholders and constant fragments only


def default_basis(purpose: str) -> str | None:
    """The legal basis of a default purpose (None for a program's own): the third parameter of
    `consenting_members_sql`."""
    return _default(purpose)


async def may_use(
    connection: BaseDBAsyncClient, program_id: int, member_id: int, purpose: str
) -> bool:
    """Whether the member's data may be used for `purpose` now, as `connection` sees it."""
    [row] = await connection.execute_query_dict(
        _SAID, [program_id, member_id, purpose, _default(purpose)]
    )
    return row["basis"] is not None and allowed(LegalBasis(row["basis"]), row["granted"])


async def may_use_many(
    connection: BaseDBAsyncClient, program_id: int, member_ids: Sequence[int], purpose: str
) -> set[int]:
    """Of `member_ids`, those whose data may be used for `purpose`: one statement for a page."""
    if not member_ids:
        return set()
    rows = await connection.execute_query_dict(
        _MANY, [program_id, list(member_ids), purpose, _default(purpose)]
    )
    return {row["member_id"] for row in rows if row["allowed"]}


async def use_if_allowed(
    connection: BaseDBAsyncClient,
    *,
    program_id: int,
    member_id: int,
    purpose: str,
    categories: Iterable[DataCategory],
    actor: str,
    reason: str,
    at: datetime,
) -> bool:
    """For reads: whether the use is allowed, logging it (at most once a day per member, purpose
    and actor: a screen polled all day is one use a day) in the same statement."""
    [row] = await connection.execute_query_dict(
        _USE_IF_ALLOWED,
        [
            program_id,
            member_id,
            purpose,
            _default(purpose),
            _categories(categories),
            actor,
            clean_reason(reason),
            at,
            at.date(),
        ],
    )
    return bool(row["allowed"])


async def record_use(
    connection: BaseDBAsyncClient,
    *,
    program_id: int,
    member_id: int,
    purpose: str,
    categories: Iterable[DataCategory],
    actor: str,
    reason: str,
    at: datetime,
) -> None:
    """Append one use to the data-usage log: inside a write, its connection (one INSERT)."""
    await record_reads(
        connection,
        program_id=program_id,
        member_ids=[member_id],
        purpose=purpose,
        categories=categories,
        actor=actor,
        reason=reason,
        at=at,
    )


async def record_reads(
    connection: BaseDBAsyncClient,
    *,
    program_id: int,
    member_ids: Sequence[int],
    purpose: str,
    categories: Iterable[DataCategory],
    actor: str,
    reason: str,
    at: datetime,
    once_a_day: bool = False,
) -> None:
    """The same use of many members' data (a page of profiles read): one INSERT for them all.
    `once_a_day`: a use already logged today for the member, purpose and actor is not logged
    again (a feed polled all day is one use a day)."""
    if not member_ids:
        return
    await connection.execute_query(
        _RECORD,
        [
            program_id,
            list(dict.fromkeys(member_ids)),
            purpose,
            _categories(categories),
            actor,
            clean_reason(reason),
            at,
            at.date() if once_a_day else None,
        ],
    )


@dataclass(frozen=True, slots=True)
class MessageCheck:
    """The answer and what it rests on: the member's preferences as they stand."""

    decision: MessageDecision
    preferences: Preferences


async def may_message(
    connection: BaseDBAsyncClient, program_id: int, member_id: int, channel: Channel, now: datetime
) -> MessageCheck:
    """Whether the member may be sent a marketing message on `channel` now: its consent to the
    channel's marketing purpose, the channel switched on, under its weekly cap, outside its
    quiet hours in its time zone. One statement."""
    purpose = channel.purpose
    week_ago = now - _WEEK
    [row] = await connection.execute_query_dict(
        _MESSAGE, [program_id, member_id, purpose, _default(purpose), channel.value, week_ago]
    )
    preferences = preferences_from_row(row, row["program_timezone"])
    consented = row["basis"] is not None and allowed(LegalBasis(row["basis"]), row["granted"])
    decision = decide_message(
        consented=consented, preferences=preferences, channel=channel, sent=row["sent"], now=now
    )
    return MessageCheck(decision, preferences)


def preferences_from_row(row: dict[str, Any], program_timezone: str) -> Preferences:
    """A member's preferences from its member_preference columns (None: no row, the defaults)."""
    if row.get("email") is None:
        return Preferences.defaults(program_timezone)
    topics = row["topics"]
    return Preferences(
        email=row["email"],
        push=row["push"],
        sms=row["sms"],
        email_weekly_cap=row["email_weekly_cap"],
        push_weekly_cap=row["push_weekly_cap"],
        sms_weekly_cap=row["sms_weekly_cap"],
        topics=tuple(json.loads(topics) if isinstance(topics, str) else topics),
        quiet_start=row["quiet_start"],
        quiet_end=row["quiet_end"],
        timezone=row["timezone"] or program_timezone,
        locale=row["locale"],
    )


def _default(purpose: str) -> str | None:
    basis = DEFAULT_BASIS.get(purpose)
    return basis.value if basis is not None else None


def _categories(categories: Iterable[DataCategory]) -> str:
    return json.dumps(sorted({category.value for category in categories}))


_SENT = """INSERT INTO member_message (program_id, member_id, channel, sent_at)
VALUES ($1, $2, $3, $4)"""


async def record_message(
    connection: BaseDBAsyncClient, program_id: int, member_id: int, channel: Channel, at: datetime
) -> None:
    """A message sent to the member on `channel` (in the sender's write): what weekly caps count."""
    await connection.execute_query(_SENT, [program_id, member_id, channel.value, at])
