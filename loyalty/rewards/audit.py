"""The rewards audit: stock, codes and held points must agree with the redemptions.

The database guards single rows (stock never negative, a code given to one redemption at most);
these checks compare rows with each other, for `loyalty audit` to prove after the fact (a restore,
a manual fix, a bug) that no unit of stock, no code and no held point went astray.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise import connections

# Each query returns what disagrees: the subject (a reward, code or member), what was found and
# what was expected.
_CHECKS = {
    "stock left differs from the total less live redemptions": """
        SELECT 'reward ' || r.id AS subject, format('left=%s', r.stock_left) AS found,
               format('left=%s (total %s - live %s)', r.stock_total - COALESCE(x.live, 0),
                      r.stock_total, COALESCE(x.live, 0)) AS expected
        FROM reward r
        LEFT JOIN LATERAL (
          SELECT count(*) AS live FROM reward_redemption
          WHERE reward_id = r.id AND status IN ('HELD', 'CONFIRMED')
        ) x ON true
        WHERE r.program_id = $1 AND r.stock_total IS NOT NULL
          AND r.stock_left <> r.stock_total - COALESCE(x.live, 0)
    """,
    "a code is assigned to a redemption it does not belong to": """
        SELECT 'code ' || c.id AS subject,
               format('redemption %s (%s) of reward %s', x.id, x.status, x.reward_id) AS found,
               format('a held, confirmed or refunded redemption of reward %s', c.reward_id)
                 AS expected
        FROM reward_code c JOIN reward_redemption x ON x.id = c.redemption_id
        WHERE c.program_id = $1
          AND (x.reward_id <> c.reward_id OR x.status = 'EXPIRED'
               OR (x.status = 'CANCELLED' AND x.confirmed_at IS NULL))
    """,
    "a live redemption of a discount code has no code": """
        SELECT 'redemption ' || x.id AS subject, 'no code' AS found, 'one code' AS expected
        FROM reward_redemption x JOIN reward r ON r.id = x.reward_id
        WHERE x.program_id = $1 AND r.kind = 'DISCOUNT_CODE'
          AND x.status IN ('HELD', 'CONFIRMED')
          AND NOT EXISTS (SELECT 1 FROM reward_code c WHERE c.redemption_id = x.id)
    """,
    "held points differ from the member's held redemptions": """
        SELECT 'member ' || b.member_id AS subject, format('held=%s', b.held) AS found,
               format('held=%s', COALESCE(x.points, 0)) AS expected
        FROM points_balance b
        LEFT JOIN LATERAL (
          SELECT SUM(points) AS points FROM reward_redemption
          WHERE member_id = b.member_id AND status = 'HELD'
        ) x ON true
        WHERE b.program_id = $1 AND b.held <> COALESCE(x.points, 0)
    """,
}


@dataclass(frozen=True, slots=True)
class Finding:
    subject: str
    problem: str
    found: str
    expected: str


async def audit_rewards(program_id: int) -> list[Finding]:
    connection = connections.get("default")
    findings: list[Finding] = []
    for problem, sql in _CHECKS.items():
        for row in await connection.execute_query_dict(sql, [program_id]):
            findings.append(Finding(row["subject"], problem, row["found"], row["expected"]))
    return findings
