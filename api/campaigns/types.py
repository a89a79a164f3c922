"""GraphQL types of campaigns: the campaign, its message, offer, experiment and delivery counts.
Admins read every one; no other role sees campaigns."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

import api.campaigns.enums  # noqa: F401 - registers the enums before use here
from api.auth import Role
from api.campaigns.results import CampaignResults, results_of
from api.context import Context
from api.insights.types import Segment, visible_segment
from domain import campaign_delivery as delivery
from domain import campaigns as rules
from domain.preferences import Channel
from loyalty.campaigns import reads
from loyalty.campaigns import results as counted
from loyalty.campaigns.models import Campaign as CampaignModel


@strawberry.type(description="A campaign's message, rendered and sent by the messaging provider.")
class CampaignMessage:
    channel: Channel = strawberry.field(description="The channel it goes out on.")
    template_key: str = strawberry.field(description="The provider's template to render.")


@strawberry.type(description="What a campaign gives the members it reaches.")
class CampaignOffer:
    kind: rules.OfferKind = strawberry.field(description="Which offer.")
    multiplier: Decimal | None = strawberry.field(description="POINTS_MULTIPLIER's factor.")
    reward_id: strawberry.ID | None = strawberry.field(
        description="REWARD_DISCOUNT's reward (a Reward global id)."
    )
    discount_percent: int | None = strawberry.field(description="REWARD_DISCOUNT's percent.")
    points: int | None = strawberry.field(description="GIFT's points.")
    starts_at: datetime | None = strawberry.field(
        description="The offer's window start; null: the campaign's startsAt."
    )
    ends_at: datetime | None = strawberry.field(
        description="The offer's window end; null: the campaign's endsAt."
    )


@strawberry.type(description="An experiment arm and its weight.")
class ExperimentArm:
    key: str = strawberry.field(description="The arm's key, as events' `arm` name it.")
    weight: int = strawberry.field(description="Its share of the members not held out.")


@strawberry.type(description="How a campaign runs as an A/B experiment.")
class CampaignExperiment:
    arms: list[ExperimentArm] = strawberry.field(
        description="The arms (none: one arm, `default`); a member's arm is a stable hash."
    )
    holdout_percent: int = strawberry.field(
        description="The share of members held out (HELD_OUT: nothing sent, no offer)."
    )


@strawberry.type(description="How many deliveries of a campaign have one status.")
class DeliveryCount:
    status: delivery.DeliveryStatus = strawberry.field(description="The status.")
    count: int = strawberry.field(description="How many deliveries have it now.")


def _global(type_name: str, key: int | None) -> strawberry.ID | None:
    return None if key is None else strawberry.ID(str(relay.GlobalID(type_name, str(key))))


def _counts_loader(context: Context) -> DataLoader[int, list[tuple[str, int]]]:
    """Delivery counts by campaign: one query for a page of campaigns."""

    async def load(keys: list[int]) -> list[list[tuple[str, int]]]:
        found = await reads.delivery_counts(keys)
        return [found[key] for key in keys]

    loader: DataLoader[int, list[tuple[str, int]]] = context.loader("campaigns.counts", load)
    return loader


def _results_loader(context: Context) -> DataLoader[int, CampaignResults | None]:
    """Results by campaign: two statements for a page of campaigns."""

    async def load(keys: list[int]) -> list[CampaignResults | None]:
        program = await context.program()
        found = await counted.campaigns_results(program.id, keys) if program is not None else {}
        return [results_of(found[key]) if key in found else None for key in keys]

    loader: DataLoader[int, CampaignResults | None] = context.loader("campaigns.results", load)
    return loader


@strawberry.type(
    description="A campaign: whom it reaches (trigger, segment), when (window), and with what "
    "(message, offer), optionally as an experiment. Admins only."
)
class Campaign(relay.Node):
    campaign_id: relay.NodeID[int]
    name: str = strawberry.field(description="The campaign's name, unique in the program.")
    status: rules.Status = strawberry.field(description="Where it stands.")
    trigger: rules.Trigger = strawberry.field(description="What makes it reach a member.")
    segment_id: strawberry.ID | None = strawberry.field(
        description="The segment (a Segment global id) whose members it reaches; null: every "
        "active member (SCHEDULED) or every member the trigger finds."
    )
    starts_at: datetime = strawberry.field(description="When it starts reaching members.")
    ends_at: datetime | None = strawberry.field(description="When it ends; null: never.")
    message: CampaignMessage | None = strawberry.field(description="Its message; null: none.")
    survey_id: strawberry.ID | None = strawberry.field(
        description="The survey (a Survey global id) its message carries; null: none."
    )
    offer: CampaignOffer | None = strawberry.field(description="Its offer; null: none.")
    experiment: CampaignExperiment | None = strawberry.field(
        description="Its arms and holdout; null: not an experiment (one arm, no holdout)."
    )
    at_risk_threshold: float | None = strawberry.field(
        description="AT_RISK's churn probability threshold, 0 to 1."
    )
    reorder_lead_days: int | None = strawberry.field(
        description="REORDER_DUE's days before the predicted reorder date to remind, 0-30."
    )
    conversion_window_days: int = strawberry.field(
        description="Days after exposure in which an order counts as a conversion."
    )
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    segment_key: strawberry.Private[int | None]

    @strawberry.field(
        description="The segment whose members it reaches; null: none (see segmentId)."
    )
    async def segment(self, info: strawberry.Info[Context, Any]) -> Segment | None:
        if self.segment_key is None:
            return None
        return await visible_segment(info, self.segment_key)

    @strawberry.field(description="Its deliveries so far by status (statuses with none left out).")
    async def delivery_counts(self, info: strawberry.Info[Context, Any]) -> list[DeliveryCount]:
        counts = await _counts_loader(info.context).load(self.campaign_id)
        return [
            DeliveryCount(status=delivery.DeliveryStatus(status), count=n) for status, n in counts
        ]

    @strawberry.field(
        description="Its results per arm, the holdout included, as of now (a page of campaigns "
        "counted at once). Admins only."
    )
    async def results(self, info: strawberry.Info[Context, Any]) -> CampaignResults | None:
        return await _results_loader(info.context).load(self.campaign_id)

    @classmethod
    def from_model(cls, campaign: CampaignModel) -> Campaign:
        offer = None
        if campaign.offer_kind is not None:
            offer = CampaignOffer(
                kind=rules.OfferKind(campaign.offer_kind),
                multiplier=campaign.offer_multiplier, reward_id=_global("Reward", campaign.offer_reward_id),
                discount_percent=campaign.offer_discount_percent, points=campaign.offer_points,
                starts_at=campaign.offer_starts_at, ends_at=campaign.offer_ends_at,
            )  # fmt: skip
        experiment = None
        if campaign.arms or campaign.holdout_percent:
            experiment = CampaignExperiment(
                arms=[ExperimentArm(key=arm["key"], weight=arm["weight"]) for arm in campaign.arms],
                holdout_percent=campaign.holdout_percent,
            )
        message = None
        if campaign.channel is not None and campaign.template_key is not None:
            message = CampaignMessage(
                channel=Channel(campaign.channel), template_key=campaign.template_key
            )
        return cls(
            campaign_id=campaign.id, name=campaign.name, status=rules.Status(campaign.status),
            trigger=rules.Trigger(campaign.trigger),
            segment_id=_global("Segment", campaign.segment_id), segment_key=campaign.segment_id,
            starts_at=campaign.starts_at,
            ends_at=campaign.ends_at, message=message,
            survey_id=_global("Survey", campaign.survey_id), offer=offer, experiment=experiment,
            at_risk_threshold=campaign.at_risk_threshold,
            reorder_lead_days=campaign.reorder_lead_days,
            conversion_window_days=campaign.conversion_window_days,
            created_at=campaign.created_at, updated_at=campaign.updated_at,
        )  # fmt: skip


@strawberry.type(description="A page of campaigns, oldest first.")
class CampaignConnection(relay.Connection[Campaign]):
    """Keyset-paginated by campaign id."""


async def visible_campaign(info: strawberry.Info[Context, Any], key: int) -> Campaign | None:
    """A campaign for its program's admins; nobody else."""
    principal = info.context.require_principal()
    program = await info.context.program()
    if program is None or principal.role is not Role.ADMIN:
        return None
    found = await reads.find_campaign(program.id, key)
    return Campaign.from_model(found) if found is not None else None
