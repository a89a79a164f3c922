"""The campaigns area's GraphQL enums, registered (with their descriptions) before any type or
input of the area uses them; Channel is the consent area's."""

from __future__ import annotations

import api.consent.types  # noqa: F401 - registers Channel as a GraphQL enum
from api.enums import described_enum
from domain import campaign_delivery as delivery
from domain import campaigns as rules

described_enum(
    rules.Trigger,
    name="CampaignTrigger",
    description="What makes a campaign reach a member.",
    values={
        "SCHEDULED": "The segment's members (every active member without a segment), once "
        "each, while the campaign runs.",
        "REORDER_DUE": "A member's predicted reorder date of a SKU, less reorderLeadDays, has "
        "come: once per purchase cycle. Behavioural: members who consent to profiling only.",
        "AT_RISK": "A member's churn probability is at least atRiskThreshold: once per model "
        "version. Behavioural: members who consent to profiling only.",
    },
)
described_enum(
    rules.Status,
    name="CampaignStatus",
    description="Where a campaign stands.",
    values={
        "DRAFT": "Being written: updateCampaign changes it; nobody is reached.",
        "SCHEDULED": "Waits for startsAt; then RUNNING (the delivery job, within a minute).",
        "RUNNING": "The delivery job reaches members every minute.",
        "ENDED": "endsAt passed: nobody more is reached.",
        "CANCELLED": "Stopped by cancelCampaign: nobody more is reached.",
    },
)
described_enum(
    rules.OfferKind,
    name="CampaignOfferKind",
    description="What a campaign gives the members it reaches.",
    values={
        "POINTS_MULTIPLIER": "Orders awarded within the offer's window earn `multiplier` times "
        "the points.",
        "REWARD_DISCOUNT": "The reward `rewardId` costs `discountPercent` less within the window.",
        "GIFT": "`points` given at delivery.",
    },
)
described_enum(
    delivery.DeliveryStatus,
    name="CampaignDeliveryStatus",
    description="One decision of a campaign for one member and occasion.",
    values={
        "SENT": "The message is due: `campaign.message_due` is on the event log.",
        "OFFERED": "An offer-only campaign reached the member.",
        "HELD_OUT": "In the experiment's holdout: nothing sent, no offer (exposure recorded).",
        "SKIPPED": "Not sent: no channel consent, the channel off, the weekly cap reached; "
        "or, deferred first, the member since suspended or out of profiling consent.",
        "DEFERRED": "In the member's quiet hours: decided again when they end.",
    },
)
