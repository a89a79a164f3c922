"""Reads of the consent area for the API: purposes, members' consents in force, the consent
history and the data-usage log, each one statement for a page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise import connections

from consent.models import ConsentPurpose, ConsentRecord, DataUsage
from domain.consent import LegalBasis, allowed, needs_reconsent


@dataclass(frozen=True, slots=True)
class ConsentState:
    purpose: ConsentPurpose
    granted: bool
    since: datetime | None
    policy_version: int | None
    needs_reconsent: bool


_CONSENTS = """
SELECT m.id AS member_id, p.*, r.granted AS said, r.policy_version AS said_version,
  r.recorded_at AS said_at
FROM unnest($2::bigint[]) m(id) CROSS JOIN consent_purpose p
LEFT JOIN LATERAL (
  SELECT c.granted, c.policy_version, c.recorded_at FROM consent_record c
  WHERE c.member_id = m.id AND c.purpose_key = p.key ORDER BY c.id DESC LIMIT 1
) r ON true
WHERE p.program_id = $1
ORDER BY m.id, p.id
"""
_PURPOSE_COLUMNS = (
    "id",
    "program_id",
    "key",
    "description",
    "legal_basis",
    "policy_version",
    "created_at",
    "updated_at",
)


async def purposes(program_id: int) -> list[ConsentPurpose]:
    return await ConsentPurpose.filter(program_id=program_id).order_by("id")


async def consents_of(program_id: int, member_ids: Sequence[int]) -> dict[int, list[ConsentState]]:
    """Every purpose of the program with what is in force for each member: one statement."""
    rows = await connections.get("default").execute_query_dict(
        _CONSENTS, [program_id, list(member_ids)]
    )
    found: dict[int, list[ConsentState]] = {member_id: [] for member_id in member_ids}
    for row in rows:
        purpose = ConsentPurpose._init_from_db(**{c: row[c] for c in _PURPOSE_COLUMNS})
        basis = LegalBasis(row["legal_basis"])
        found[row["member_id"]].append(
            ConsentState(
                purpose=purpose,
                granted=allowed(basis, row["said"]),
                since=row["said_at"],
                policy_version=row["said_version"],
                needs_reconsent=needs_reconsent(
                    basis, row["said"], row["said_version"], row["policy_version"]
                ),
            )
        )
    return found


async def history_page(member_id: int, *, before_id: int | None, limit: int) -> list[ConsentRecord]:
    query = ConsentRecord.filter(member_id=member_id)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    return await query.order_by("-id").limit(limit)


async def usage_page(
    member_id: int, *, before_id: int | None, limit: int, purpose: str | None
) -> list[DataUsage]:
    query = DataUsage.filter(member_id=member_id)
    if purpose is not None:
        query = query.filter(purpose_key=purpose)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    return await query.order_by("-id").limit(limit)
