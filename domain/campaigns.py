"""Campaign rules, pure: what a campaign may say, target and offer, and how its status moves.

A campaign reaches members by one trigger: SCHEDULED (a segment's members, or every active
member, once each), REORDER_DUE (a member's predicted reorder of a SKU is due, once per purchase
cycle) or AT_RISK (a member's churn probability reached a threshold, once per model version).
It sends a message (a channel and a template the program's messaging provider renders), gives
an offer, or both, and may run as an experiment (domain/experiments.py). Reorder and at-risk
triggers read behaviour, so they only ever reach members who consent to profiling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

from domain.experiments import Arm, validate_arms
from domain.preferences import Channel
from domain.validation import ErrorCode, InvalidInput, Problem, ProblemCollector

NAME_MAX = 80
TEMPLATE_KEY_MAX = 64
_TEMPLATE_KEY = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}", re.ASCII)
MIN_MULTIPLIER = Decimal("1.01")
MAX_MULTIPLIER = Decimal(10)
MAX_GIFT_POINTS = 1_000_000
MAX_LEAD_DAYS = 30
MAX_CONVERSION_DAYS = 365
DEFAULT_CONVERSION_DAYS = 14
BAD = ErrorCode.INVALID_CAMPAIGN
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
INSTANT = "An instant with its UTC offset, from the year 2000 to 9000."


class Trigger(StrEnum):
    SCHEDULED = "SCHEDULED"
    REORDER_DUE = "REORDER_DUE"
    AT_RISK = "AT_RISK"

    @property
    def behavioural(self) -> bool:
        """Whether the trigger itself reads the member's behaviour (predictions)."""
        return self is not Trigger.SCHEDULED


class Status(StrEnum):
    DRAFT = "DRAFT"  # being written: updateCampaign changes it
    SCHEDULED = "SCHEDULED"  # waits for startsAt
    RUNNING = "RUNNING"  # the delivery job reaches members
    ENDED = "ENDED"  # endsAt passed
    CANCELLED = "CANCELLED"


class OfferKind(StrEnum):
    POINTS_MULTIPLIER = "POINTS_MULTIPLIER"
    REWARD_DISCOUNT = "REWARD_DISCOUNT"
    GIFT = "GIFT"


@dataclass(frozen=True, slots=True)
class Message:
    channel: Channel
    template_key: str


@dataclass(frozen=True, slots=True)
class Offer:
    """POINTS_MULTIPLIER: `multiplier`; REWARD_DISCOUNT: `reward_id` and `discount_percent`;
    GIFT: `points`. The window (either end optional) defaults to the campaign's own."""

    kind: OfferKind
    multiplier: Decimal | None = None
    reward_id: int | None = None
    discount_percent: int | None = None
    points: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CampaignSpec:
    name: str
    trigger: Trigger
    starts_at: datetime
    ends_at: datetime | None = None
    segment_id: int | None = None
    message: Message | None = None
    survey_id: int | None = None
    offer: Offer | None = None
    arms: tuple[Arm, ...] = field(default_factory=tuple)
    holdout_percent: int = 0
    at_risk_threshold: float | None = None
    reorder_lead_days: int | None = None
    conversion_window_days: int = DEFAULT_CONVERSION_DAYS


def check_campaign(spec: CampaignSpec) -> CampaignSpec:
    """The spec as stored (trimmed name, a reorder's lead days defaulted to 0), or every
    problem at once."""
    problems = ProblemCollector()
    name = problems.one_line_text(
        "name", spec.name, max_length=NAME_MAX, label="A campaign name", code=BAD
    )
    if _unusable(spec.starts_at, spec.ends_at):
        field = "startsAt" if _unusable(spec.starts_at) else "endsAt"
        problems.add(field, INSTANT, BAD)
    elif spec.ends_at is not None and spec.ends_at <= spec.starts_at:
        problems.add("endsAt", "endsAt must be after startsAt.", BAD)
    if spec.message is None and spec.offer is None:
        problems.add((), "A campaign sends a message, gives an offer, or both.", BAD)
    if spec.message is not None and not _TEMPLATE_KEY.fullmatch(spec.message.template_key):
        problems.add(
            ("message", "templateKey"),
            "templateKey is 1-64 of a-z, 0-9, '_', '.', '-', starting with a letter or digit.",
            BAD,
        )
    if spec.survey_id is not None and spec.message is None:
        problems.add("surveyId", "A survey is sent in a message: give the message too.", BAD)
    if spec.offer is not None:
        _check_offer(problems, spec.offer)
    validate_arms(problems, spec.arms, spec.holdout_percent, code=BAD)
    lead = _check_trigger(problems, spec)
    if not 1 <= spec.conversion_window_days <= MAX_CONVERSION_DAYS:
        problems.add(
            "conversionWindowDays", f"conversionWindowDays must be 1 to {MAX_CONVERSION_DAYS}.", BAD
        )
    problems.raise_if_any()
    assert name is not None
    return replace(spec, name=name, reorder_lead_days=lead)


def _check_trigger(problems: ProblemCollector, spec: CampaignSpec) -> int | None:
    threshold, lead = spec.at_risk_threshold, spec.reorder_lead_days
    if spec.trigger is Trigger.AT_RISK:
        if threshold is None or not 0 <= threshold <= 1:
            problems.add("atRiskThreshold", "AT_RISK needs atRiskThreshold, 0 to 1.", BAD)
    elif threshold is not None:
        problems.add("atRiskThreshold", "Only an AT_RISK campaign has a threshold.", BAD)
    if spec.trigger is Trigger.REORDER_DUE:
        lead = 0 if lead is None else lead
        if not 0 <= lead <= MAX_LEAD_DAYS:
            problems.add("reorderLeadDays", f"reorderLeadDays must be 0 to {MAX_LEAD_DAYS}.", BAD)
    elif lead is not None:
        problems.add("reorderLeadDays", "Only a REORDER_DUE campaign has a lead time.", BAD)
    return lead


def _check_offer(problems: ProblemCollector, offer: Offer) -> None:
    at = ("offer",)
    shape = {
        OfferKind.POINTS_MULTIPLIER: {"multiplier"},
        OfferKind.REWARD_DISCOUNT: {"reward_id", "discount_percent"},
        OfferKind.GIFT: {"points"},
    }[offer.kind]
    for name, label in (
        ("multiplier", "multiplier"),
        ("reward_id", "rewardId"),
        ("discount_percent", "discountPercent"),
        ("points", "points"),
    ):
        given = getattr(offer, name) is not None
        if given != (name in shape):
            wanted = "needs" if name in shape else "takes no"
            problems.add((*at, label), f"A {offer.kind.value} offer {wanted} {label}.", BAD)
    if offer.multiplier is not None:
        problems.decimal(
            (*at, "multiplier"), offer.multiplier, low=MIN_MULTIPLIER, high=MAX_MULTIPLIER,
            scale=2, label="multiplier", code=BAD,
        )  # fmt: skip
    if offer.discount_percent is not None and not 1 <= offer.discount_percent <= 100:
        problems.add((*at, "discountPercent"), "discountPercent must be 1 to 100.", BAD)
    if offer.points is not None and not 1 <= offer.points <= MAX_GIFT_POINTS:
        problems.add((*at, "points"), f"points must be 1 to {MAX_GIFT_POINTS}.", BAD)
    windowed = offer.starts_at is not None or offer.ends_at is not None
    if offer.kind is OfferKind.GIFT and windowed:
        problems.add((*at, "startsAt"), "A GIFT is given at delivery: it has no window.", BAD)
    if _unusable(offer.starts_at, offer.ends_at):
        field = "startsAt" if _unusable(offer.starts_at) else "endsAt"
        problems.add((*at, field), INSTANT, BAD)
    elif offer.starts_at and offer.ends_at and offer.ends_at <= offer.starts_at:
        problems.add((*at, "endsAt"), "The offer's endsAt must be after its startsAt.", BAD)


def _unusable(*moments: datetime | None) -> bool:
    """Whether an instant lacks its UTC offset (a wall time of no known zone) or lies outside
    EARLIEST..LATEST (so no window, lead or conversion window reckoned from it overflows)."""
    return any(moment is not None and not _usable(moment) for moment in moments)


def _usable(moment: datetime) -> bool:
    if moment.utcoffset() is None:
        return False
    try:
        at = moment.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 moved across midnight by its offset
        return False
    return EARLIEST <= at <= LATEST


def editable(status: Status) -> None:
    """Only a DRAFT changes: members may already have been reached under the rest."""
    if status is not Status.DRAFT:
        raise _state(f"Only a DRAFT campaign changes; this one is {status.value}.")


def scheduled(status: Status, spec: CampaignSpec, now: datetime) -> Status:
    """scheduleCampaign: a DRAFT becomes SCHEDULED, or RUNNING when its start has come."""
    if status is not Status.DRAFT:
        raise _state(f"Only a DRAFT campaign is scheduled; this one is {status.value}.")
    if spec.ends_at is not None and spec.ends_at <= now:
        raise InvalidInput(Problem(("id",), "The campaign's endsAt has passed.", BAD))
    return Status.RUNNING if spec.starts_at <= now else Status.SCHEDULED


def cancelled(status: Status) -> Status:
    """Any campaign not yet over may be cancelled; what it delivered stays recorded."""
    if status in (Status.ENDED, Status.CANCELLED):
        raise _state(f"The campaign is {status.value} already.")
    return Status.CANCELLED


def _state(message: str) -> InvalidInput:
    return InvalidInput(Problem(("id",), message, ErrorCode.INVALID_CAMPAIGN_STATE))


def behavioural(trigger: Trigger, segment_behavioural: bool) -> bool:
    """Whether the campaign picks members by their behaviour: then only members who consent to
    profiling are reached (checked again at each delivery)."""
    return trigger.behavioural or segment_behavioural
