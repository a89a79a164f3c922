"""The preference center: one row per member (none: the defaults), written under the member's lock."""

from __future__ import annotations

import json
from collections.abc import Sequence

from tortoise.backends.base.client import BaseDBAsyncClient

from backbone.uow import UnitOfWork
from consent.commands import UpdatePreferences
from consent.members import lock_member
from consent.published import preferences_from_row
from domain.preferences import Preferences, apply_changes
from domain.validation import canonical_locale

_COLUMNS = (
    "email, push, sms, email_weekly_cap, push_weekly_cap, sms_weekly_cap, topics,"
    " quiet_start, quiet_end, timezone, locale"
)
_OF = f"SELECT member_id, {_COLUMNS} FROM member_preference WHERE member_id = ANY($1::bigint[])"  # noqa: S608 - constant columns
_UPSERT = f"""
INSERT INTO member_preference (member_id, program_id, {_COLUMNS}, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $13, $14)
ON CONFLICT (member_id) DO UPDATE SET email = $3, push = $4, sms = $5, email_weekly_cap = $6,
  push_weekly_cap = $7, sms_weekly_cap = $8, topics = $9::jsonb, quiet_start = $10,
  quiet_end = $11, timezone = $12, locale = $13, updated_at = $14
"""  # noqa: S608 - constant fragments


async def update_preferences(
    command: UpdatePreferences, uow: UnitOfWork
) -> tuple[int, Preferences]:
    async with uow:
        connection = uow.connection
        member_id = await lock_member(connection, command.member)
        current = (await preferences_of(connection, [member_id], command.program_timezone))[
            member_id
        ]
        updated = apply_changes(current, command.changes, canonical_locale=canonical_locale)
        # A time zone equal to the program's is stored as none: it follows the program's.
        stored_zone = None if updated.timezone == command.program_timezone else updated.timezone
        await connection.execute_query(
            _UPSERT,
            [
                member_id,
                command.member.program_id,
                updated.email,
                updated.push,
                updated.sms,
                updated.email_weekly_cap,
                updated.push_weekly_cap,
                updated.sms_weekly_cap,
                json.dumps(list(updated.topics)),
                updated.quiet_start,
                updated.quiet_end,
                stored_zone,
                updated.locale,
                uow.now(),
            ],
        )
    return member_id, updated


async def preferences_of(
    connection: BaseDBAsyncClient, member_ids: Sequence[int], program_timezone: str
) -> dict[int, Preferences]:
    """Each member's preferences (the defaults without a row): one statement for a page."""
    rows = await connection.execute_query_dict(_OF, [list(member_ids)])
    found = {row["member_id"]: preferences_from_row(row, program_timezone) for row in rows}
    return {
        member_id: found.get(member_id, Preferences.defaults(program_timezone))
        for member_id in member_ids
    }
