"""The segment writes: create, update and archive, each one unit of work. Rules arrive
validated (domain/segments.py) and are stored in their JSON form; `behavioural` is derived
from them, never chosen."""

from __future__ import annotations

import json

from tortoise.exceptions import IntegrityError

from backbone import idempotency
from backbone.uow import UnitOfWork
from domain.events import SegmentChanged
from domain.segments import SegmentDetails, rules_to_json
from domain.validation import ErrorCode, InvalidInput, Problem
from loyalty.insights.commands import ArchiveSegment, CreateSegment, UpdateSegment
from loyalty.insights.reads import MAX_SEGMENTS, live_segments

_INSERT = """
INSERT INTO segment (program_id, name, description, rules, behavioural, member_visible,
  created_at, updated_at)
VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $7)
ON CONFLICT (program_id, name) DO NOTHING
RETURNING id
"""
_UPDATE = """
UPDATE segment SET name = $3, description = $4, rules = $5::jsonb, behavioural = $6,
  member_visible = $7, updated_at = $8
WHERE id = $1 AND program_id = $2 AND archived_at IS NULL
RETURNING id
"""
# `archived` is false for a segment archived before: archiving again changes nothing (neither
# updated_at nor the event log).
_ARCHIVE = """
WITH found AS (SELECT id FROM segment WHERE id = $1 AND program_id = $2),
archived AS (
  UPDATE segment SET archived_at = $3, updated_at = $3
  WHERE id = $1 AND program_id = $2 AND archived_at IS NULL
  RETURNING id, behavioural
)
SELECT f.id, a.behavioural, a.id IS NOT NULL AS archived
FROM found f LEFT JOIN archived a ON a.id = f.id
"""
_NOT_FOUND = Problem(("id",), "No such live segment in this program.", ErrorCode.SEGMENT_NOT_FOUND)
_NAME_TAKEN = Problem(
    ("name",), "Another segment of the program has this name.", ErrorCode.SEGMENT_NAME_TAKEN
)

_TOO_MANY = Problem(
    (),
    f"A program has at most {MAX_SEGMENTS} live segments: archive one first.",
    ErrorCode.TOO_MANY_SEGMENTS,
)


def _columns(details: SegmentDetails) -> list[object]:
    rules = details.rules
    return [
        details.name,
        details.description,
        json.dumps(rules_to_json(rules)),
        rules.behavioural,
        details.member_visible,
    ]


async def create_segment(command: CreateSegment, uow: UnitOfWork) -> int:
    claim = None
    if command.idempotency_key is not None:
        claim = idempotency.claim_for(
            command,
            program_id=command.program_id,
            client=command.actor,
            key=command.idempotency_key,
            leave_out=("actor",),
        )
    async with uow:
        if claim is not None:
            replay = await uow.claim(claim)
            if replay is not None:
                replayed: int = replay["segmentId"]
                return replayed
        if await live_segments(uow.connection, command.program_id) >= MAX_SEGMENTS:
            raise InvalidInput(_TOO_MANY)
        rows = await uow.connection.execute_query_dict(
            _INSERT, [command.program_id, *_columns(command.details), uow.now()]
        )
        if not rows:
            raise InvalidInput(_NAME_TAKEN)
        segment_id: int = rows[0]["id"]
        uow.record(
            SegmentChanged(
                program_id=command.program_id,
                segment_id=segment_id,
                change="CREATED",
                behavioural=command.details.rules.behavioural,
            )
        )
        if claim is not None:
            await uow.remember({"segmentId": segment_id})
    return segment_id


async def update_segment(command: UpdateSegment, uow: UnitOfWork) -> None:
    try:
        async with uow:
            rows = await uow.connection.execute_query_dict(
                _UPDATE,
                [command.segment_id, command.program_id, *_columns(command.details), uow.now()],
            )
            if not rows:
                raise InvalidInput(_NOT_FOUND)
            uow.record(
                SegmentChanged(
                    program_id=command.program_id,
                    segment_id=command.segment_id,
                    change="UPDATED",
                    behavioural=command.details.rules.behavioural,
                )
            )
    except IntegrityError as clash:  # the (program_id, name) key: another segment's name
        raise InvalidInput(_NAME_TAKEN) from clash


async def archive_segment(command: ArchiveSegment, uow: UnitOfWork) -> None:
    async with uow:
        rows = await uow.connection.execute_query_dict(
            _ARCHIVE, [command.segment_id, command.program_id, uow.now()]
        )
        if not rows:
            raise InvalidInput(_NOT_FOUND)
        if not rows[0]["archived"]:
            return
        uow.record(
            SegmentChanged(
                program_id=command.program_id,
                segment_id=command.segment_id,
                change="ARCHIVED",
                behavioural=rows[0]["behavioural"],
            )
        )
