"""A campaign's settings between the domain's spec and the campaign table's columns."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain import campaigns as rules
from domain.experiments import Arm
from domain.preferences import Channel
from loyalty.campaigns.models import Campaign


def columns(spec: rules.CampaignSpec) -> dict[str, Any]:
    """The campaign's columns (all but the program, status and timestamps) for `spec`."""
    message, offer = spec.message, spec.offer
    return {
        "name": spec.name,
        "segment_id": spec.segment_id,
        "trigger": spec.trigger.value,
        "starts_at": spec.starts_at,
        "ends_at": spec.ends_at,
        "channel": message.channel.value if message else None,
        "template_key": message.template_key if message else None,
        "survey_id": spec.survey_id,
        "offer_kind": offer.kind.value if offer else None,
        "offer_multiplier": offer.multiplier if offer else None,
        "offer_reward_id": offer.reward_id if offer else None,
        "offer_discount_percent": offer.discount_percent if offer else None,
        "offer_points": offer.points if offer else None,
        "offer_starts_at": offer.starts_at if offer else None,
        "offer_ends_at": offer.ends_at if offer else None,
        "at_risk_threshold": spec.at_risk_threshold,
        "reorder_lead_days": spec.reorder_lead_days,
        "holdout_percent": spec.holdout_percent,
        "arms": [{"key": arm.key, "weight": arm.weight} for arm in spec.arms],
        "conversion_window_days": spec.conversion_window_days,
    }


def arms_of(campaign: Campaign) -> tuple[Arm, ...]:
    return tuple(Arm(arm["key"], arm["weight"]) for arm in campaign.arms)


def spec_of(campaign: Campaign) -> rules.CampaignSpec:
    """The settings a stored campaign runs with."""
    message = (
        rules.Message(Channel(campaign.channel), campaign.template_key or "")
        if campaign.channel
        else None
    )
    offer = (
        rules.Offer(
            kind=rules.OfferKind(campaign.offer_kind),
            multiplier=(
                Decimal(campaign.offer_multiplier)
                if campaign.offer_multiplier is not None
                else None
            ),
            reward_id=campaign.offer_reward_id,
            discount_percent=campaign.offer_discount_percent,
            points=campaign.offer_points,
            starts_at=campaign.offer_starts_at,
            ends_at=campaign.offer_ends_at,
        )
        if campaign.offer_kind
        else None
    )
    return rules.CampaignSpec(
        name=campaign.name,
        trigger=rules.Trigger(campaign.trigger),
        starts_at=campaign.starts_at,
        ends_at=campaign.ends_at,
        segment_id=campaign.segment_id,
        message=message,
        survey_id=campaign.survey_id,
        offer=offer,
        arms=arms_of(campaign),
        holdout_percent=campaign.holdout_percent,
        at_risk_threshold=campaign.at_risk_threshold,
        reorder_lead_days=campaign.reorder_lead_days,
        conversion_window_days=campaign.conversion_window_days,
    )
