"""The ledger audit: every balance must equal the sum of its member's entries.

The database already refuses an entry that disagrees with its balance and any direct change of a
balance; this audit proves it after the fact, for example after a restore, a manual fix with
triggers disabled, or a bug in a migration. `loyalty audit` exits non-zero on any finding.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise import connections

# Each query returns the members whose numbers disagree, with what was found and expected.
_CHECKS = {
    "balance differs from the sum of its entries": """
        SELECT b.member_id,
               format('available=%s pending=%s debt=%s lifetime=%s held=%s', b.available, b.pending, b.debt, b.lifetime_earned, b.held) AS found,
               format('available=%s pending=%s debt=%s lifetime=%s held=%s', s.available, s.pending, s.debt, s.lifetime, s.held) AS expected
        FROM points_balance b
        LEFT JOIN LATERAL (
          SELECT COALESCE(SUM(available_delta), 0) AS available, COALESCE(SUM(pending_delta), 0) AS pending,
                 COALESCE(SUM(debt_delta), 0) AS debt, COALESCE(SUM(lifetime_delta), 0) AS lifetime,
                 COALESCE(SUM(held_delta), 0) AS held
          FROM points_entry e WHERE e.member_id = b.member_id
        ) s ON true
        WHERE b.program_id = $1
          AND (b.available, b.pending, b.debt, b.lifetime_earned, b.held)
              IS DISTINCT FROM (s.available, s.pending, s.debt, s.lifetime, s.held)
    """,
    "an entry's stated balance breaks the running sum": """
        SELECT member_id, format('entry %s: available_after=%s', id, available_after) AS found,
               format('running sum %s', running) AS expected
        FROM (
          SELECT id, member_id, available_after,
                 SUM(available_delta) OVER (PARTITION BY member_id ORDER BY id) AS running
          FROM points_entry WHERE program_id = $1
        ) e
        WHERE available_after <> running
    """,
    "lots do not cover the balance": """
        SELECT b.member_id,
               format('pending lots=%s active lots=%s', COALESCE(l.pending, 0), COALESCE(l.active, 0)) AS found,
               format('pending=%s available=%s', b.pending, GREATEST(b.available, 0)) AS expected
        FROM points_balance b
        LEFT JOIN LATERAL (
          SELECT SUM(remaining) FILTER (WHERE status = 'PENDING') AS pending,
                 SUM(remaining) FILTER (WHERE status = 'ACTIVE') AS active
          FROM points_lot WHERE member_id = b.member_id
        ) l ON true
        WHERE b.program_id = $1
          AND (COALESCE(l.pending, 0), COALESCE(l.active, 0)) <> (b.pending, GREATEST(b.available, 0))
    """,
}


@dataclass(frozen=True, slots=True)
class Finding:
    member_id: int
    problem: str
    found: str
    expected: str


async def audit_program(program_id: int) -> list[Finding]:
    connection = connections.get("default")
    findings: list[Finding] = []
    for problem, sql in _CHECKS.items():
        for row in await connection.execute_query_dict(sql, [program_id]):
            findings.append(Finding(row["member_id"], problem, row["found"], row["expected"]))
    return findings
