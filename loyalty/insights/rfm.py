"""RFM scores: recency, frequency and monetary value per member from the orders the ledger
knows, with quintile scores 1-5 per program, recomputed set-based in one statement.

Facts, as of the job's `now`: an order counts when placed by `now` and not fully returned
(returned_total < total). recency_days = whole days (floor) since the member's last counted
order; frequency = counted orders; monetary = the sum of (total - returned_total) over them.

Scores, exactly: among the program's N scored members, a member's score for a fact is
    1 + floor(5 * W / N)
where W is how many scored members have a strictly WORSE value (recency: more days; frequency:
fewer orders; monetary: less spent). Equal values therefore get equal scores, the worst value
always scores 1, and N members with distinct values spread evenly over 1..5 (N = 5 gives 1..5;
N = 10 gives two of each). In SQL W is `rank() OVER (ORDER BY worse-first) - 1`.

Only members who consent to `profiling` (consent.published, judged by the statement) and are
not erased are scored; the same statement deletes the rows of everyone else in the program
(withdrew, erased, no counted order left).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from consent.published import consenting_members_sql, default_basis

PROFILING = "profiling"
_SCORE = "1 + 5 * (rank() OVER (ORDER BY {worse_first}) - 1) / count(*) OVER ()"
_RECOMPUTE = f"""
WITH consenting AS ({consenting_members_sql("$1", "$2", "$3")}),
facts AS (
  SELECT o.member_id,
    floor(extract(epoch FROM $4::timestamptz - max(o.created_at)) / 86400)::int AS recency_days,
    count(*)::int AS frequency, sum(o.total - o.returned_total) AS monetary
  FROM points_order o JOIN member m ON m.id = o.member_id AND m.status <> 'ERASED'
  WHERE o.program_id = $1 AND o.returned_total < o.total AND o.created_at <= $4
    AND o.member_id IN (SELECT member_id FROM consenting)
  GROUP BY o.member_id
),
scored AS (
  SELECT f.*,
    {_SCORE.format(worse_first="f.recency_days DESC")} AS recency_score,
    {_SCORE.format(worse_first="f.frequency")} AS frequency_score,
    {_SCORE.format(worse_first="f.monetary")} AS monetary_score
  FROM facts f
),
saved AS (
  INSERT INTO member_rfm (member_id, program_id, recency_days, frequency, monetary,
    recency_score, frequency_score, monetary_score, computed_at)
  SELECT member_id, $1, recency_days, frequency, monetary,
    recency_score, frequency_score, monetary_score, $4 FROM scored
  ON CONFLICT (member_id) DO UPDATE SET recency_days = EXCLUDED.recency_days,
    frequency = EXCLUDED.frequency, monetary = EXCLUDED.monetary,
    recency_score = EXCLUDED.recency_score, frequency_score = EXCLUDED.frequency_score,
    monetary_score = EXCLUDED.monetary_score, computed_at = EXCLUDED.computed_at
  RETURNING member_id
),
removed AS (
  DELETE FROM member_rfm r
  WHERE r.program_id = $1 AND r.member_id NOT IN (SELECT member_id FROM scored)
  RETURNING r.member_id
)
SELECT (SELECT count(*) FROM saved) AS scored, (SELECT count(*) FROM removed) AS removed
"""  # noqa: S608 - placeholders and constant fragments only


@dataclass(frozen=True, slots=True)
class RfmReport:
    """How many members of the program were scored, and how many rows were removed."""

    scored: int
    removed: int


async def recompute(connection: BaseDBAsyncClient, program_id: int, now: datetime) -> RfmReport:
    """Score the program's consenting members as of `now` and drop everyone else's row."""
    [row] = await connection.execute_query_dict(
        _RECOMPUTE, [program_id, PROFILING, default_basis(PROFILING), now]
    )
    return RfmReport(int(row["scored"]), int(row["removed"]))
