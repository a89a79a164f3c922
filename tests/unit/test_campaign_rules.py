"""Campaign rules, pure: bounds, status moves, the delivery decision and the quiet hours' end."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain import campaign_delivery as delivery
from domain import campaigns as rules
from domain.preferences import Channel, MessageVerdict, Preferences, in_quiet_hours, quiet_hours_end
from domain.validation import ErrorCode, InvalidInput

pytestmark = pytest.mark.unit

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
SPEC = rules.CampaignSpec(
    name=" Spring ", trigger=rules.Trigger.SCHEDULED, starts_at=NOW,
    message=rules.Message(Channel.EMAIL, "spring"),
)  # fmt: skip


def _quiet(start: str, end: str, zone: str) -> Preferences:
    hours = [int(part) for part in start.split(":")], [int(part) for part in end.split(":")]
    (sh, sm), (eh, em) = hours
    return replace(Preferences.defaults(zone), quiet_start=sh * 60 + sm, quiet_end=eh * 60 + em)


def _fields(spec: rules.CampaignSpec) -> list[tuple[str, ...]]:
    with pytest.raises(InvalidInput) as refused:
        rules.check_campaign(spec)
    assert {p.code for p in refused.value.problems} == {ErrorCode.INVALID_CAMPAIGN}
    return [p.field for p in refused.value.problems]


def test_a_valid_spec_is_trimmed_and_a_reorder_lead_defaults_to_zero() -> None:
    assert rules.check_campaign(SPEC).name == "Spring"
    reorder = rules.check_campaign(replace(SPEC, trigger=rules.Trigger.REORDER_DUE))
    assert reorder.reorder_lead_days == 0


@pytest.mark.parametrize(
    ("multiplier", "ok"),
    [("1.00", False), ("1.01", True), ("10", True), ("10.01", False), ("1.005", False)],
)
def test_multiplier_bounds(multiplier: str, ok: bool) -> None:
    offer = rules.Offer(rules.OfferKind.POINTS_MULTIPLIER, multiplier=Decimal(multiplier))
    spec = replace(SPEC, offer=offer)
    if ok:
        rules.check_campaign(spec)
    else:
        assert _fields(spec) == [("offer", "multiplier")]


def test_an_offer_takes_exactly_its_kinds_fields() -> None:
    offer = rules.Offer(rules.OfferKind.GIFT, points=10, discount_percent=5)
    assert _fields(replace(SPEC, offer=offer)) == [("offer", "discountPercent")]
    windowed = rules.Offer(rules.OfferKind.GIFT, points=10, starts_at=NOW)
    assert _fields(replace(SPEC, offer=windowed)) == [("offer", "startsAt")]


def test_status_moves() -> None:
    assert rules.scheduled(rules.Status.DRAFT, SPEC, NOW) is rules.Status.RUNNING
    later = replace(SPEC, starts_at=NOW + timedelta(days=1))
    assert rules.scheduled(rules.Status.DRAFT, later, NOW) is rules.Status.SCHEDULED
    for status in (rules.Status.SCHEDULED, rules.Status.RUNNING):
        with pytest.raises(InvalidInput):
            rules.scheduled(status, SPEC, NOW)
        with pytest.raises(InvalidInput):
            rules.editable(status)
        assert rules.cancelled(status) is rules.Status.CANCELLED
    with pytest.raises(InvalidInput):
        rules.cancelled(rules.Status.ENDED)


@pytest.mark.parametrize(
    ("verdict", "status", "reason"),
    [
        (None, delivery.DeliveryStatus.OFFERED, None),
        (MessageVerdict.ALLOWED, delivery.DeliveryStatus.SENT, None),
        (
            MessageVerdict.NO_CONSENT,
            delivery.DeliveryStatus.SKIPPED,
            delivery.SkipReason.NO_CONSENT,
        ),
        (
            MessageVerdict.CHANNEL_OFF,
            delivery.DeliveryStatus.SKIPPED,
            delivery.SkipReason.CHANNEL_OFF,
        ),
        (
            MessageVerdict.CAP_REACHED,
            delivery.DeliveryStatus.SKIPPED,
            delivery.SkipReason.CAP_REACHED,
        ),
    ],
)
def test_the_decision_follows_the_verdict(
    verdict: MessageVerdict | None,
    status: delivery.DeliveryStatus,
    reason: delivery.SkipReason | None,
) -> None:
    decided = delivery.decide(arm="default", verdict=verdict, preferences=None, now=NOW)
    assert (decided.status, decided.reason, decided.due_at) == (status, reason, NOW)
    held = delivery.decide(arm="holdout", verdict=verdict, preferences=None, now=NOW)
    assert held.status is delivery.DeliveryStatus.HELD_OUT


@pytest.mark.parametrize(
    ("now", "start", "end", "zone", "ends"),
    [
        # 23:00 in Paris (summer, UTC+2): the night's end is 07:00 the next morning.
        (
            "2026-06-15T21:00:00+00:00",
            "22:00",
            "07:00",
            "Europe/Paris",
            "2026-06-16T05:00:00+00:00",
        ),
        # 03:00 in Paris: the same night's end, that morning.
        (
            "2026-06-15T01:00:00+00:00",
            "22:00",
            "07:00",
            "Europe/Paris",
            "2026-06-15T05:00:00+00:00",
        ),
        # A daytime window: its end the same day.
        ("2026-06-15T13:30:00+00:00", "13:00", "15:00", "UTC", "2026-06-15T15:00:00+00:00"),
        # The night the clocks go back (25 October 2026): 07:00 is UTC+1 again.
        (
            "2026-10-24T21:00:00+00:00",
            "22:00",
            "07:00",
            "Europe/Paris",
            "2026-10-25T06:00:00+00:00",
        ),
    ],
)
def test_quiet_hours_end_on_the_members_clock(
    now: str, start: str, end: str, zone: str, ends: str
) -> None:
    preferences = _quiet(start, end, zone)
    at = datetime.fromisoformat(now)
    assert in_quiet_hours(preferences, at)
    found = quiet_hours_end(preferences, at)
    assert found == datetime.fromisoformat(ends)
    assert not in_quiet_hours(preferences, found)
    decided = delivery.decide(
        arm="a", verdict=MessageVerdict.QUIET_HOURS, preferences=preferences, now=at
    )
    assert (decided.status, decided.due_at) == (delivery.DeliveryStatus.DEFERRED, found)


def test_a_reorder_occasion_names_its_sku() -> None:
    assert delivery.reorder_sku("reorder:A@B:1@1781000000") == "A@B:1"
    assert delivery.reorder_sku("at_risk:bgnbd-1") is None
    assert delivery.reorder_sku("") is None
