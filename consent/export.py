"""Data exports: one machine-readable JSON document of everything held about a member.

Every area registers its part (`Registry.exports`: the loyalty area's profile, points, tiers and
redemptions in loyalty/export_parts.py; the consent area's consents, preferences and data-usage
log); the document is built here, synchronously in one transaction under the member's lock so
it is one consistent picture, stored with an expiry and downloaded at `/exports/{id}` with the
same bearer tokens as the API (api/privacy/download.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from backbone.bus import Command, ExportPart
from backbone.uow import UnitOfWork
from consent.published import record_use
from domain.consent import ACCOUNT, DataCategory
from domain.validation import ErrorCode, InvalidInput, Problem

FORMAT = "loyalty-member-export/1"
# How long a download stays available.
EXPORT_TTL = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class ExportRecord:
    id: int
    program_id: int
    member_id: int
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class RequestExport(Command[ExportRecord]):
    program_id: int
    program_key: str
    member_id: int
    actor: str  # role:subject of the requesting token
    parts: Sequence[ExportPart]
    ttl: timedelta = EXPORT_TTL


_LOCK_MEMBER = "SELECT id FROM member WHERE id = $1 AND program_id = $2 FOR NO KEY UPDATE"


async def request_export(command: RequestExport, uow: UnitOfWork) -> ExportRecord:
    async with uow:
        connection = uow.connection
        found = await connection.execute_query_dict(
            _LOCK_MEMBER, [command.member_id, command.program_id]
        )
        if not found:
            raise InvalidInput(
                Problem((), "No such member in this program.", ErrorCode.MEMBER_NOT_FOUND)
            )
        now = uow.now()
        document: dict[str, Any] = {
            "format": FORMAT,
            "program": command.program_key,
            "generatedAt": now.isoformat(),
        }
        # Every area's records as they stand, before this export's own use is logged.
        for part in command.parts:
            document.update(await part(connection, command.program_id, command.member_id))
        expires_at = now + command.ttl
        # Handing a member its own data is part of running its account: logged as a use. The
        # log is append-only, so a member token is logged by its role alone: its subject is the
        # storefront's id of the member, which erasure must be able to forget.
        role, _, _ = command.actor.partition(":")
        await record_use(
            connection,
            program_id=command.program_id,
            member_id=command.member_id,
            purpose=ACCOUNT,
            categories=tuple(DataCategory),
            actor=role if role == "member" else command.actor,
            reason="data export",
            at=now,
        )
        rows = await connection.execute_query_dict(
            "INSERT INTO data_export (program_id, member_id, actor, document, created_at,"
            " expires_at) VALUES ($1, $2, $3, $4::jsonb, $5, $6) RETURNING id",
            [
                command.program_id,
                command.member_id,
                command.actor,
                json.dumps(document),
                now,
                expires_at,
            ],
        )
        return ExportRecord(rows[0]["id"], command.program_id, command.member_id, now, expires_at)


@dataclass(frozen=True, slots=True)
class StoredExport:
    record: ExportRecord
    document: str  # the JSON text


async def stored_export(connection: Any, program_id: int, export_id: int) -> StoredExport | None:
    """An export of the program by id, expired or not (the caller decides what to answer)."""
    rows = await connection.execute_query_dict(
        "SELECT id, program_id, member_id, created_at, expires_at, document::text AS document"
        " FROM data_export WHERE id = $1 AND program_id = $2",
        [export_id, program_id],
    )
    if not rows:
        return None
    row = rows[0]
    record = ExportRecord(
        row["id"], row["program_id"], row["member_id"], row["created_at"], row["expires_at"]
    )
    return StoredExport(record, row["document"])


async def exports_of(connection: Any, program_id: int, member_id: int) -> list[ExportRecord]:
    rows = await connection.execute_query_dict(
        "SELECT id, program_id, member_id, created_at, expires_at FROM data_export"
        " WHERE member_id = $1 AND program_id = $2 ORDER BY id",
        [member_id, program_id],
    )
    return [
        ExportRecord(r["id"], r["program_id"], r["member_id"], r["created_at"], r["expires_at"])
        for r in rows
    ]
