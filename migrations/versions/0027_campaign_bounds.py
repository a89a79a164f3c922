"""Campaign bounds: the database also refuses what domain/campaigns.py refuses.

0024 created `campaign` and `campaign_delivery` with their kinds and statuses checked; this adds
the bounds of a campaign's numbers (a threshold is a probability, a reorder lead 0-30 days, a
multiplier 1.01-10, a discount 1-100 percent, a gift 1-1,000,000 points), that an offer's
window ends after it starts, that a delivery is SKIPPED exactly when it has a reason (one of
domain/campaign_delivery.py's), and that `arms` is a JSON array: a write that slipped past the
rules (a script, a bug) fails instead of reaching members.

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

REASONS = "('NO_CONSENT', 'CHANNEL_OFF', 'CAP_REACHED', 'NO_PROFILING', 'NOT_ACTIVE')"
CAMPAIGN_CHECKS = {
    "campaign_at_risk_threshold": "at_risk_threshold IS NULL OR at_risk_threshold BETWEEN 0 AND 1",
    "campaign_reorder_lead_days": "reorder_lead_days IS NULL OR reorder_lead_days BETWEEN 0 AND 30",
    "campaign_offer_multiplier": "offer_multiplier IS NULL OR offer_multiplier BETWEEN 1.01 AND 10",
    "campaign_offer_discount": "offer_discount_percent IS NULL"
    " OR offer_discount_percent BETWEEN 1 AND 100",
    "campaign_offer_points": "offer_points IS NULL OR offer_points BETWEEN 1 AND 1000000",
    "campaign_offer_window": "offer_starts_at IS NULL OR offer_ends_at IS NULL"
    " OR offer_ends_at > offer_starts_at",
    "campaign_arms_array": "jsonb_typeof(arms) = 'array'",
}
DELIVERY_CHECKS = {
    "campaign_delivery_reason": f"(status = 'SKIPPED') = (reason IS NOT NULL)"
    f" AND (reason IS NULL OR reason IN {REASONS})",
}


def upgrade() -> None:
    for name, condition in CAMPAIGN_CHECKS.items():
        op.create_check_constraint(name, "campaign", condition)
    for name, condition in DELIVERY_CHECKS.items():
        op.create_check_constraint(name, "campaign_delivery", condition)


def downgrade() -> None:
    for name in DELIVERY_CHECKS:
        op.drop_constraint(name, "campaign_delivery", type_="check")
    for name in CAMPAIGN_CHECKS:
        op.drop_constraint(name, "campaign", type_="check")
