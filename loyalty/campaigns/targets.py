"""Whom a RUNNING campaign reaches next: keyset pages of (member, occasion) not yet decided, and
DEFERRED deliveries that came due, both bounded, in one statement each.

Each trigger is one source of rows `(member_id, occasion)` (occasions: domain/campaign_delivery.py):
SCHEDULED every ACTIVE member once; REORDER_DUE each member_reorder row whose `due_at` less the
lead days has come, once per cycle (the occasion names the SKU and the cycle's last order);
AT_RISK each member_prediction at or above the threshold, once per model version. The
campaign's segment, when it has one, keeps its members only; a behavioural campaign keeps only
members who consent to profiling (set-based here, and checked again at delivery).
"""

from __future__ import annotations

from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from consent.published import consenting_members_sql, default_basis
from domain import campaigns as rules
from domain.consent import PROFILING
from loyalty.campaigns.commands import Target
from loyalty.campaigns.models import Campaign
from loyalty.insights.segments import segment_query

_SOURCES = {
    rules.Trigger.SCHEDULED: """
SELECT m.id AS member_id, ''::varchar AS occasion FROM member m
WHERE m.program_id = $1 AND m.status = 'ACTIVE'""",
    rules.Trigger.REORDER_DUE: """
SELECT r.member_id, 'reorder:' || r.sku || '@' || floor(extract(epoch FROM r.last_ordered_at))::bigint
  AS occasion
FROM member_reorder r JOIN member m ON m.id = r.member_id
WHERE r.program_id = $1 AND m.status = 'ACTIVE'
  AND r.due_at - make_interval(days => $6::int) <= $7""",
    rules.Trigger.AT_RISK: """
SELECT p.member_id, 'at_risk:' || p.model_version AS occasion
FROM member_prediction p JOIN member m ON m.id = p.member_id
WHERE p.program_id = $1 AND m.status = 'ACTIVE' AND p.churn_probability >= $6""",
}
# $1 program, $2/$3 the keyset (member, occasion), $4 campaign, $5 limit, then the trigger's
# own ($6 the threshold; $6 lead days and $7 now), the segment's and the consent check's.
_PAGE = """
SELECT c.member_id, c.occasion FROM ({source}) c
WHERE (c.member_id, c.occasion) > ($2, $3::varchar)
  AND NOT EXISTS (SELECT 1 FROM campaign_delivery d
    WHERE d.campaign_id = $4 AND d.member_id = c.member_id AND d.occasion = c.occasion)
  {narrowed}
ORDER BY c.member_id, c.occasion LIMIT $5
"""
_DEFERRED = """
SELECT id, member_id, occasion, arm FROM campaign_delivery
WHERE status = 'DEFERRED' AND due_at <= $2 AND campaign_id = $1 AND id > $3
ORDER BY id LIMIT $4
"""


async def targets_page(
    connection: BaseDBAsyncClient,
    campaign: Campaign,
    *,
    after: tuple[int, str],
    limit: int,
    now: datetime,
) -> list[Target] | None:
    """The next `limit` targets after `after`; None when the campaign's segment is gone."""
    trigger = rules.Trigger(campaign.trigger)
    params: list[object] = [campaign.program_id, after[0], after[1], campaign.id, limit]
    if trigger is rules.Trigger.REORDER_DUE:
        params += [campaign.reorder_lead_days or 0, now]
    elif trigger is rules.Trigger.AT_RISK:
        params.append(campaign.at_risk_threshold)
    narrowed = []
    behavioural = trigger.behavioural
    if campaign.segment_id is not None:
        segment = await segment_query(
            connection,
            campaign.program_id,
            campaign.segment_id,
            now=now,
            first_placeholder=len(params) + 1,
        )
        if segment is None:
            return None
        narrowed.append(f"AND c.member_id IN ({segment.sql})")
        params += segment.params
        behavioural = rules.behavioural(trigger, segment.behavioural)
    if behavioural:
        purpose, basis = f"${len(params) + 1}", f"${len(params) + 2}"
        params += [PROFILING, default_basis(PROFILING)]
        narrowed.append(f"AND c.member_id IN ({consenting_members_sql('$1', purpose, basis)})")
    sql = _PAGE.format(source=_SOURCES[trigger], narrowed="\n  ".join(narrowed))
    rows = await connection.execute_query_dict(sql, params)
    return [Target(row["member_id"], row["occasion"]) for row in rows]


async def deferred_page(
    connection: BaseDBAsyncClient, campaign_id: int, *, after_id: int, limit: int, now: datetime
) -> list[Target]:
    """DEFERRED deliveries of the campaign due by `now`, by id (the partial index on due_at)."""
    rows = await connection.execute_query_dict(_DEFERRED, [campaign_id, now, after_id, limit])
    return [Target(row["member_id"], row["occasion"], row["id"], row["arm"]) for row in rows]
