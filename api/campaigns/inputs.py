"""Inputs of the campaign mutations, and the domain spec they describe (ids decoded here)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

import api.campaigns.enums  # noqa: F401 - registers the enums before use here
from api.relay import decode_global_id
from domain import campaigns as rules
from domain.experiments import Arm
from domain.preferences import Channel
from domain.validation import ErrorCode, InvalidInput, Problem


@strawberry.input(description="A campaign's message: the messaging provider renders and sends it.")
class CampaignMessageInput:
    channel: Channel = strawberry.field(description="EMAIL, PUSH or SMS.")
    template_key: str = strawberry.field(
        description="The provider's template: 1-64 of a-z, 0-9, '_', '.', '-'."
    )


@strawberry.input(description="A campaign's offer; give the fields its kind needs, no others.")
class CampaignOfferInput:
    kind: rules.OfferKind = strawberry.field(description="Which offer.")
    multiplier: Decimal | None = strawberry.field(
        default=None, description="POINTS_MULTIPLIER only: 1.01 to 10, at most 2 decimals."
    )
    reward_id: strawberry.ID | None = strawberry.field(
        default=None, description="REWARD_DISCOUNT only: a reward of the program (global id)."
    )
    discount_percent: int | None = strawberry.field(
        default=None, description="REWARD_DISCOUNT only: 1 to 100."
    )
    points: int | None = strawberry.field(
        default=None, description="GIFT only: 1 to 1,000,000 points, given at delivery."
    )
    starts_at: datetime | None = strawberry.field(
        default=None, description="The offer's window start (not for GIFT); null: startsAt."
    )
    ends_at: datetime | None = strawberry.field(
        default=None, description="The offer's window end (not for GIFT); null: endsAt."
    )


@strawberry.input(description="An experiment arm.")
class ExperimentArmInput:
    key: str = strawberry.field(
        description="1-32 of a-z, 0-9, '_', '-', starting with a letter; not holdout or default."
    )
    weight: int = strawberry.field(description="1 to 1000: its share of the members.")


@strawberry.input(
    description="A campaign's settings (an update replaces them all): the fields of "
    "createCampaign and updateCampaign."
)
class CampaignInput:
    name: str = strawberry.field(description="1-80 characters on one line, unique in the program.")
    trigger: rules.Trigger = strawberry.field(description="What makes it reach a member.")
    starts_at: datetime = strawberry.field(description="When it starts reaching members.")
    ends_at: datetime | None = strawberry.field(
        default=None, description="When it stops (after startsAt); null: never."
    )
    segment_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A segment of the program (global id): only its members are reached.",
    )
    message: CampaignMessageInput | None = strawberry.field(
        default=None, description="The message; a campaign has a message, an offer or both."
    )
    survey_id: strawberry.ID | None = strawberry.field(
        default=None, description="A survey of the program (global id) the message carries."
    )
    offer: CampaignOfferInput | None = strawberry.field(default=None, description="The offer.")
    arms: list[ExperimentArmInput] = strawberry.field(
        default_factory=list, description="Experiment arms: none, or 2 to 10."
    )
    holdout_percent: int = strawberry.field(
        default=0, description="0 to 50: the share of members held out (nothing sent, no offer)."
    )
    at_risk_threshold: float | None = strawberry.field(
        default=None, description="AT_RISK only (required): a churn probability, 0 to 1."
    )
    reorder_lead_days: int | None = strawberry.field(
        default=None, description="REORDER_DUE only: days before the due date, 0-30 (default 0)."
    )
    conversion_window_days: int = strawberry.field(
        default=rules.DEFAULT_CONVERSION_DAYS,
        description="1 to 365: days after exposure in which an order is a conversion.",
    )


def _key(problems: list[Problem], value: str | None, type_name: str, field: str) -> int | None:
    if value is None:
        return None
    key = decode_global_id(value, type_name)
    if key is None:
        problems.append(
            Problem(tuple(field.split(".")), f"Not a {type_name} id.", ErrorCode.INVALID_ID)
        )
    return key


def spec_of(input: CampaignInput) -> rules.CampaignSpec:
    """The checked spec, every problem of the input (ids and rules) at once."""
    problems: list[Problem] = []
    segment = _key(problems, input.segment_id, "Segment", "segmentId")
    survey = _key(problems, input.survey_id, "Survey", "surveyId")
    offer = None
    if input.offer is not None:
        given = input.offer
        offer = rules.Offer(
            kind=given.kind, multiplier=given.multiplier,
            reward_id=_key(problems, given.reward_id, "Reward", "offer.rewardId"),
            discount_percent=given.discount_percent, points=given.points,
            starts_at=given.starts_at, ends_at=given.ends_at,
        )  # fmt: skip
    message = (
        rules.Message(input.message.channel, input.message.template_key) if input.message else None
    )
    spec = rules.CampaignSpec(
        name=input.name, trigger=input.trigger, starts_at=input.starts_at, ends_at=input.ends_at,
        segment_id=segment, message=message, survey_id=survey, offer=offer,
        arms=tuple(Arm(arm.key, arm.weight) for arm in input.arms),
        holdout_percent=input.holdout_percent, at_risk_threshold=input.at_risk_threshold,
        reorder_lead_days=input.reorder_lead_days,
        conversion_window_days=input.conversion_window_days,
    )  # fmt: skip
    try:
        spec = rules.check_campaign(spec)
    except InvalidInput as refused:
        # A malformed id is reported once, not again as a missing one.
        malformed = {problem.field for problem in problems}
        problems.extend(p for p in refused.problems if p.field not in malformed)
    if problems:
        raise InvalidInput(*problems)
    return spec
