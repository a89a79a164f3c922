"""The predictions job's SQL, set-based over a program's orders and their lines.

An order counts while something of it is kept (returned_total < total): a fully returned order's
lines are in no purchase cycle and no co-purchase. Only members whose data may be used for the
purpose (consent.published.consenting_members_sql, judged by the statement itself) are read:
`profiling` for a member's own predictions and reorders, `analytics` (on until the member
objects) for the program-wide co-purchase counts. Placeholders: $1 program, $2 purpose,
$3 its default basis, $4 now. Writes return a row each: what they wrote is counted by its rows.
"""

from __future__ import annotations

from consent.published import consenting_members_sql

MIN_SUPPORT = 2  # orders holding both products, for a rule to be kept
MAX_BASKET = 50  # distinct products; a bigger order says little about what goes together

_CONSENTING = consenting_members_sql("$1", "$2", "$3")
_COUNTED = f"""
SELECT o.id, o.member_id, o.created_at FROM points_order o
JOIN ({_CONSENTING}) c ON c.member_id = o.member_id
WHERE o.program_id = $1 AND o.returned_total < o.total AND o.created_at <= $4::timestamptz
"""  # noqa: S608 - constant fragments

HISTORIES = f"""
SELECT o.member_id, count(*)::int AS orders,
  (extract(epoch FROM $4::timestamptz - min(o.created_at)) / 86400)::float8 AS days_since_first,
  (extract(epoch FROM $4::timestamptz - max(o.created_at)) / 86400)::float8 AS days_since_last
FROM ({_COUNTED}) o GROUP BY o.member_id ORDER BY o.member_id
"""  # noqa: S608 - constant fragments

# $5 model version, $6.. one array per column; rows of members who withdrew meanwhile are left out.
WRITE_PREDICTIONS = f"""
INSERT INTO member_prediction (member_id, program_id, churn_probability, expected_orders_90d,
  expected_next_order_at, why, model_version, computed_at)
SELECT p.member_id, $1, p.churn, p.expected, p.next_at, p.why, $5, $4::timestamptz
FROM unnest($6::bigint[], $7::float8[], $8::float8[], $9::timestamptz[], $10::text[]::jsonb[])
  AS p(member_id, churn, expected, next_at, why)
WHERE p.member_id IN ({_CONSENTING})
ON CONFLICT (member_id) DO UPDATE SET program_id = EXCLUDED.program_id,
  churn_probability = EXCLUDED.churn_probability,
  expected_orders_90d = EXCLUDED.expected_orders_90d,
  expected_next_order_at = EXCLUDED.expected_next_order_at, why = EXCLUDED.why,
  model_version = EXCLUDED.model_version, computed_at = EXCLUDED.computed_at
RETURNING 1
"""  # noqa: S608 - constant fragments

# The cycle of a member and SKU: the median of the gaps between the orders holding it.
# $5 model version.
WRITE_REORDERS = f"""
WITH bought AS (
  SELECT DISTINCT o.id, o.member_id, l.sku, o.created_at FROM ({_COUNTED}) o
  JOIN points_order_line l ON l.order_id = o.id
), gaps AS (
  SELECT member_id, sku, created_at, extract(epoch FROM created_at - lag(created_at)
    OVER (PARTITION BY member_id, sku ORDER BY created_at, id)) / 86400 AS gap
  FROM bought
), cycles AS (
  SELECT member_id, sku, count(*)::int AS orders, max(created_at) AS last_at,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS cycle
  FROM gaps GROUP BY member_id, sku HAVING count(*) >= 2
)
INSERT INTO member_reorder (member_id, sku, program_id, last_ordered_at, cycle_days, due_at,
  orders, why, model_version, computed_at)
SELECT member_id, sku, $1, last_at, cycle, last_at + cycle * interval '1 day', orders,
  jsonb_build_array(
    jsonb_build_object('code', 'ORDERS_OF_SKU', 'label', format('%s orders of %s', orders, sku),
      'value', orders, 'reference', null, 'effect', null, 'direction', 'NEUTRAL'),
    jsonb_build_object('code', 'CYCLE_DAYS',
      'label', format('ordered every %s days (median of %s gaps)', round(cycle::numeric, 1),
        orders - 1),
      'value', round(cycle::numeric, 2), 'reference', null, 'effect', null,
      'direction', 'NEUTRAL'),
    jsonb_build_object('code', 'DAYS_SINCE_LAST_ORDER',
      'label', format('last ordered %s days ago',
        round((extract(epoch FROM $4::timestamptz - last_at) / 86400)::numeric, 1)),
      'value', round((extract(epoch FROM $4::timestamptz - last_at) / 86400)::numeric, 2),
      'reference', round(cycle::numeric, 2), 'effect', null, 'direction', 'NEUTRAL')
  ), $5, $4::timestamptz
FROM cycles WHERE cycle > 0
ON CONFLICT (member_id, sku) DO UPDATE SET program_id = EXCLUDED.program_id,
  last_ordered_at = EXCLUDED.last_ordered_at, cycle_days = EXCLUDED.cycle_days,
  due_at = EXCLUDED.due_at, orders = EXCLUDED.orders, why = EXCLUDED.why,
  model_version = EXCLUDED.model_version, computed_at = EXCLUDED.computed_at
RETURNING 1
"""  # noqa: S608 - constant fragments

# Rules "orders with sku also hold other_sku": support = orders with both, confidence =
# support / orders with sku, lift = confidence / (share of orders with other_sku).
WRITE_ASSOCIATIONS = f"""
WITH lines AS (
  SELECT DISTINCT o.id AS order_id, l.sku FROM ({_COUNTED}) o
  JOIN points_order_line l ON l.order_id = o.id
), baskets AS (
  SELECT order_id, sku FROM (
    SELECT order_id, sku, count(*) OVER (PARTITION BY order_id) AS size FROM lines
  ) sized WHERE size <= {MAX_BASKET}
), total AS (
  SELECT count(DISTINCT order_id)::float8 AS n FROM baskets
), items AS (
  SELECT sku, count(*)::float8 AS n FROM baskets GROUP BY sku
), pairs AS (
  SELECT a.sku, b.sku AS other_sku, count(*)::int AS support
  FROM baskets a JOIN baskets b ON b.order_id = a.order_id AND b.sku <> a.sku
  GROUP BY a.sku, b.sku HAVING count(*) >= {MIN_SUPPORT}
)
INSERT INTO product_association (program_id, sku, other_sku, support, confidence, lift,
  computed_at)
SELECT $1, p.sku, p.other_sku, p.support, p.support / i.n, (p.support / i.n) / (j.n / t.n),
  $4::timestamptz
FROM pairs p JOIN items i ON i.sku = p.sku JOIN items j ON j.sku = p.other_sku CROSS JOIN total t
ON CONFLICT (program_id, sku, other_sku) DO UPDATE SET support = EXCLUDED.support,
  confidence = EXCLUDED.confidence, lift = EXCLUDED.lift, computed_at = EXCLUDED.computed_at
RETURNING 1
"""  # noqa: S608 - constant fragments

# What this run did not write again (a withdrawal, an order returned, too little data): $1, $2 now.
STALE_PREDICTIONS = "DELETE FROM member_prediction WHERE program_id = $1 AND computed_at <> $2"
STALE_REORDERS = "DELETE FROM member_reorder WHERE program_id = $1 AND computed_at <> $2"
STALE_ASSOCIATIONS = "DELETE FROM product_association WHERE program_id = $1 AND computed_at <> $2"

# One run per program at a time: a second waits, then recomputes from what the first wrote.
LOCK = "SELECT pg_advisory_xact_lock(hashtext('insights.predictions'), $1::int)"

WRITE_FIT = """
INSERT INTO prediction_fit (program_id, status, model_version, r, alpha, a, b, members,
  repeat_members, log_likelihood, fitted_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (program_id) DO UPDATE SET status = EXCLUDED.status,
  model_version = EXCLUDED.model_version, r = EXCLUDED.r, alpha = EXCLUDED.alpha,
  a = EXCLUDED.a, b = EXCLUDED.b, members = EXCLUDED.members,
  repeat_members = EXCLUDED.repeat_members, log_likelihood = EXCLUDED.log_likelihood,
  fitted_at = EXCLUDED.fitted_at
"""
