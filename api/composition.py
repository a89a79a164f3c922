"""The composition root: every area's handlers, reactions and consumers on one message bus."""

from __future__ import annotations

from collections.abc import Iterable

from backbone.bus import MessageBus, Registry
from backbone.retention import Retention
from backbone.retention import registry as retention_registry
from consent.handlers import registry as consent_registry
from consent.privacy_handlers import registry as privacy_registry
from domain.clock import Clock
from loyalty.campaigns.handlers import registry as campaigns_registry
from loyalty.challenges.handlers import registry as challenges_registry
from loyalty.community.handlers import registry as community_registry
from loyalty.feedback.handlers import registry as feedback_registry
from loyalty.gifts.handlers import registry as gifts_registry
from loyalty.handlers import registry as loyalty_registry
from loyalty.insights.handlers import registry as insights_registry
from loyalty.insights.prediction_handlers import registry as predictions_registry
from loyalty.partners.handlers import registry as partners_registry
from loyalty.points.transfer_handlers import registry as transfers_registry
from loyalty.referrals.handlers import registry as referrals_registry
from loyalty.rewards.handlers import registry as rewards_registry
from loyalty.tiers.handlers import registry as tiers_registry
from loyalty.webhooks.handlers import registry as webhooks_registry


def build_bus(
    clock: Clock, retention: Retention | None = None, *, extra: Iterable[Registry] = ()
) -> MessageBus:
    """The bus for one process. `extra`: more parts (a test's consumer or reaction)."""
    parts = [
        retention_registry(retention or Retention()),
        loyalty_registry(),
        rewards_registry(),
        tiers_registry(),
        referrals_registry(),
        consent_registry(),
        privacy_registry(),
        webhooks_registry(),
        partners_registry(),
        gifts_registry(),
        community_registry(),
        challenges_registry(),
        campaigns_registry(),
        transfers_registry(),
        insights_registry(),
        predictions_registry(),
        feedback_registry(),
        *extra,
    ]
    return MessageBus(Registry.combined(parts), clock)
