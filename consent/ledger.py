"""The consent ledger's single writer, and purposes with their policy versions.

A member's say is appended (never changed); its latest row per purpose is in force. A change that
would not change what is in force (granting what is granted under the current policy version,
withdrawing what is off) appends nothing and records no event. Withdrawal takes effect in the same
commit: every later statement, in any unit of work, reads it through consent.published.
"""

from __future__ import annotations

from typing import Any

from backbone.uow import UnitOfWork
from consent.commands import CreatePurpose, PublishPolicyVersion, UpdateConsents
from consent.members import lock_member
from domain.consent import (
    DEFAULT_PURPOSES,
    FIRST_POLICY_VERSION,
    LegalBasis,
    allowed,
    needs_reconsent,
    validate_changes,
    validate_description,
    validate_purpose,
)
from domain.events import (
    ConsentGranted,
    ConsentWithdrawn,
    PolicyPublished,
    ProgramCreated,
    PurposeCreated,
)
from domain.validation import ErrorCode, InvalidInput, Problem, ProblemCollector

_STATE = """
SELECT p.key, p.legal_basis, p.policy_version, r.granted, r.policy_version AS said_version
FROM consent_purpose p
LEFT JOIN LATERAL (
  SELECT c.granted, c.policy_version FROM consent_record c
  WHERE c.member_id = $2 AND c.purpose_key = p.key ORDER BY c.id DESC LIMIT 1
) r ON true
WHERE p.program_id = $1 AND p.key = ANY($3::varchar[])
"""
_APPEND = """
INSERT INTO consent_record
  (program_id, member_id, purpose_key, granted, policy_version, source, actor, recorded_at)
SELECT $1, $2, k, g, v, $6, $7, $8 FROM unnest($3::varchar[], $4::bool[], $5::int[]) t(k, g, v)
"""
_SEED = """
INSERT INTO consent_purpose
  (program_id, key, description, legal_basis, policy_version, created_at, updated_at)
SELECT $1, k, d, b, 1, $5, $5 FROM unnest($2::varchar[], $3::varchar[], $4::varchar[]) t(k, d, b)
ON CONFLICT (program_id, key) DO NOTHING
"""
_CREATE = """
INSERT INTO consent_purpose
  (program_id, key, description, legal_basis, policy_version, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $6)
ON CONFLICT (program_id, key) DO NOTHING
RETURNING *
"""
_PUBLISH = """
UPDATE consent_purpose SET policy_version = policy_version + 1,
  description = coalesce($3, description), updated_at = $4
WHERE program_id = $1 AND key = $2
RETURNING *
"""


async def update_consents(command: UpdateConsents, uow: UnitOfWork) -> int:
    changes = list(command.changes)
    validate_changes(changes)
    async with uow:
        connection = uow.connection
        member_id = await lock_member(connection, command.member)
        now = uow.now()
        keys = [change.purpose for change in changes]
        rows = await connection.execute_query_dict(
            _STATE, [command.member.program_id, member_id, keys]
        )
        state = {row["key"]: row for row in rows}
        problems = ProblemCollector()
        appended: list[tuple[str, bool, int]] = []
        for index, change in enumerate(changes):
            row = state.get(change.purpose)
            at = ("changes", str(index), "purpose")
            if row is None:
                problems.add(
                    at, f"No purpose {change.purpose!r} in this program.", ErrorCode.UNKNOWN_PURPOSE
                )
                continue
            basis = LegalBasis(row["legal_basis"])
            if basis is LegalBasis.CONTRACT:
                if not change.granted:
                    problems.add(
                        at,
                        f"{change.purpose!r} rests on the member's contract: it cannot be withdrawn.",
                        ErrorCode.NOT_WITHDRAWABLE,
                    )
                continue
            before = allowed(basis, row["granted"])
            stale = needs_reconsent(
                basis, row["granted"], row["said_version"], row["policy_version"]
            )
            if before == change.granted and not (change.granted and stale):
                continue
            appended.append((change.purpose, change.granted, row["policy_version"]))
        problems.raise_if_any()
        if appended:
            await connection.execute_query(
                _APPEND,
                [
                    command.member.program_id,
                    member_id,
                    [key for key, _, _ in appended],
                    [granted for _, granted, _ in appended],
                    [version for _, _, version in appended],
                    command.source.value,
                    command.actor,
                    now,
                ],
            )
        for key, granted, version in appended:
            event = ConsentGranted if granted else ConsentWithdrawn
            uow.record(
                event(
                    program_id=command.member.program_id,
                    member_id=member_id,
                    purpose=key,
                    policy_version=version,
                )
            )
    return member_id


async def create_purpose(command: CreatePurpose, uow: UnitOfWork) -> dict[str, Any]:
    description = validate_purpose(command.key, command.description)
    async with uow:
        rows = await uow.connection.execute_query_dict(
            _CREATE,
            [
                command.program_id,
                command.key,
                description,
                command.legal_basis.value,
                FIRST_POLICY_VERSION,
                uow.now(),
            ],
        )
        if not rows:
            raise InvalidInput(
                Problem(
                    ("key",),
                    f"The program already has a purpose {command.key!r}.",
                    ErrorCode.PURPOSE_EXISTS,
                )
            )
        uow.record(
            PurposeCreated(
                program_id=command.program_id,
                purpose=command.key,
                policy_version=FIRST_POLICY_VERSION,
            )
        )
        return rows[0]


async def publish_policy_version(command: PublishPolicyVersion, uow: UnitOfWork) -> dict[str, Any]:
    description = (
        validate_description(command.description) if command.description is not None else None
    )
    async with uow:
        rows = await uow.connection.execute_query_dict(
            _PUBLISH, [command.program_id, command.purpose, description, uow.now()]
        )
        if not rows:
            raise InvalidInput(
                Problem(
                    ("purpose",),
                    f"No purpose {command.purpose!r} in this program.",
                    ErrorCode.UNKNOWN_PURPOSE,
                )
            )
        uow.record(
            PolicyPublished(
                program_id=command.program_id,
                purpose=command.purpose,
                policy_version=rows[0]["policy_version"],
            )
        )
        return rows[0]


async def seed_purposes(event: Any, uow: UnitOfWork) -> None:
    """A new program gets the default purposes, in the write that created it."""
    assert isinstance(event, ProgramCreated)
    await uow.connection.execute_query(
        _SEED,
        [
            event.program_id,
            [p.key for p in DEFAULT_PURPOSES],
            [p.description for p in DEFAULT_PURPOSES],
            [p.legal_basis.value for p in DEFAULT_PURPOSES],
            uow.now(),
        ],
    )
