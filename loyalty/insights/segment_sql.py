"""Segment rules compiled to one parameterised SELECT of member ids.

Every SQL fragment here is a constant picked by a whitelisted field and operator
(domain/segments.py); every value an admin chose (numbers, tier keys, locales, day counts) is a
placeholder. A fact the member lacks is NULL, and NULL satisfies no comparison (NE included:
`IS DISTINCT FROM` is not used on purpose, so "tier NE gold" means "has a tier and it is not gold").

Days are whole days: since an event, completed days (floor); until one, started days (ceil), so
"expected order within 7 days" (DAYS_TO_EXPECTED_ORDER LTE 7) is expected_next_order_at <= now + 7 days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from consent.published import consenting_members_sql, default_basis
from domain.segments import Condition, Rules, SegmentField, SegmentOperator

PROFILING = "profiling"
# The program's counted orders per member (not fully returned, placed by `now`), joined only
# when a rule reads them: one grouped scan of the program's orders, not one probe per member.
_ORDERS_JOIN = """
LEFT JOIN (
  SELECT o.member_id, max(o.created_at) AS last_at, count(*) AS orders FROM points_order o
  WHERE o.program_id = {program} AND o.returned_total < o.total AND o.created_at <= {now}
  GROUP BY o.member_id
) ord ON ord.member_id = m.id"""
_READS_ORDERS = frozenset({SegmentField.DAYS_SINCE_LAST_ORDER, SegmentField.ORDER_COUNT})

# One expression per field, over the member row `m`; {now} and {days} are placeholders.
_EXPRESSIONS: dict[SegmentField, str] = {
    SegmentField.LOCALE: "m.locale",
    SegmentField.ENROLLED_DAYS: "floor(extract(epoch FROM {now} - m.created_at) / 86400)",
    # A member without a member_tier row is in the program's first tier (tiers/published.py).
    SegmentField.TIER: "coalesce((SELECT mt.tier_key FROM member_tier mt WHERE mt.member_id = m.id),"
    " (SELECT t.key FROM tier t WHERE t.program_id = m.program_id AND t.position = 0))",
    SegmentField.POINTS_AVAILABLE: "coalesce((SELECT b.available FROM points_balance b"
    " WHERE b.member_id = m.id), 0)",
    SegmentField.POINTS_EXPIRING: "coalesce((SELECT sum(l.remaining) FROM points_lot l"
    " WHERE l.member_id = m.id AND l.status = 'ACTIVE' AND l.remaining > 0"
    " AND l.expires_at > {now} AND l.expires_at <= {now} + make_interval(days => {days})), 0)",
    SegmentField.DAYS_SINCE_LAST_ORDER: "floor(extract(epoch FROM {now} - ord.last_at) / 86400)",
    SegmentField.ORDER_COUNT: "coalesce(ord.orders, 0)",
    SegmentField.COMMUNITY_POSTS: "(SELECT count(*) FROM community_post c"
    " WHERE c.member_id = m.id AND c.status = 'APPROVED' AND c.created_at <= {now}"
    " AND c.created_at > {now} - make_interval(days => {days}))",
    SegmentField.RECENCY_SCORE: "(SELECT r.recency_score FROM member_rfm r"
    " WHERE r.member_id = m.id)",
    SegmentField.FREQUENCY_SCORE: "(SELECT r.frequency_score FROM member_rfm r"
    " WHERE r.member_id = m.id)",
    SegmentField.MONETARY_SCORE: "(SELECT r.monetary_score FROM member_rfm r"
    " WHERE r.member_id = m.id)",
    SegmentField.CHURN_PROBABILITY: "(SELECT p.churn_probability FROM member_prediction p"
    " WHERE p.member_id = m.id)",
    SegmentField.DAYS_TO_EXPECTED_ORDER: "(SELECT ceil(extract(epoch FROM"
    " p.expected_next_order_at - {now}) / 86400) FROM member_prediction p"
    " WHERE p.member_id = m.id)",
}
_COMPARISONS = {
    SegmentOperator.EQ: "=",
    SegmentOperator.NE: "<>",
    SegmentOperator.LT: "<",
    SegmentOperator.LTE: "<=",
    SegmentOperator.GT: ">",
    SegmentOperator.GTE: ">=",
}


@dataclass
class _Builder:
    """Placeholders numbered from `next`, with their values in order."""

    next: int
    params: list[Any] = field(default_factory=list)

    def add(self, value: Any, cast: str) -> str:
        self.params.append(value)
        self.next += 1
        return f"${self.next - 1}::{cast}"


def compile_rules(
    rules: Rules, *, program_id: int, now: datetime, first_placeholder: int = 1
) -> tuple[str, list[Any]]:
    """`SELECT member_id` of the program's ACTIVE members the rules hold for now; members who
    do not consent to profiling (judged by the statement itself) are left out of a behavioural
    segment. Placeholders are numbered from `first_placeholder`."""
    builder = _Builder(first_placeholder)
    program = builder.add(program_id, "bigint")
    at = builder.add(now, "timestamptz")
    # Enrolled by `now`: a segment judged at a moment holds nobody who joined after it.
    where = [f"m.program_id = {program}", "m.status = 'ACTIVE'", f"m.created_at <= {at}"]
    where += [_compile(condition, builder, at) for condition in rules.all]
    if rules.any:
        where.append("(" + " OR ".join(_compile(c, builder, at) for c in rules.any) + ")")
    if rules.behavioural:
        purpose = builder.add(PROFILING, "varchar")
        basis = builder.add(default_basis(PROFILING), "varchar")
        where.append(f"m.id IN ({consenting_members_sql(program, purpose, basis)})")
    fields = {condition.field for condition in (*rules.all, *rules.any)}
    joins = _ORDERS_JOIN.format(program=program, now=at) if fields & _READS_ORDERS else ""
    conditions = "\n  AND ".join(where)
    sql = f"SELECT m.id AS member_id FROM member m{joins}\nWHERE {conditions}"  # noqa: S608
    return sql, builder.params


def _compile(condition: Condition, builder: _Builder, now: str) -> str:
    days = (
        builder.add(condition.within_days, "int") if condition.within_days is not None else "NULL"
    )
    expression = "(" + _EXPRESSIONS[condition.field].format(now=now, days=days) + ")"
    if condition.operator is SegmentOperator.IN:
        return f"{expression} = ANY({builder.add(list(condition.texts), 'text[]')})"
    comparison = _COMPARISONS[condition.operator]
    if condition.number is not None:
        return f"{expression} {comparison} {builder.add(condition.number, 'numeric')}"
    return f"{expression} {comparison} {builder.add(condition.texts[0], 'text')}"
