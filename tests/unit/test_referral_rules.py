"""The pure referral rules: codes, settings, and the fraud verdicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain import referrals as r
from domain.validation import InvalidInput

pytestmark = pytest.mark.unit

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _party(member_id: int, email: str = "a@x.example", **changes: object) -> r.Party:
    values: dict[str, object] = {
        "status": "ACTIVE",
        "external_id": f"ext-{member_id}",
        "enrolled_at": NOW,
        **changes,
    }
    return r.Party(member_id, email=email, **values)  # type: ignore[arg-type]


def test_codes_use_no_ambiguous_characters_and_are_distinct() -> None:
    codes = {r.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == r.CODE_LENGTH and set(c) <= set(r.ALPHABET) for c in codes)
    assert not set(r.ALPHABET) & set("ILOU")
    assert len(r.ALPHABET) == 32


def test_codes_are_read_in_any_case_and_typed_lookalikes_as_digits() -> None:
    assert r.normalise(" abcd-efgh ") == "ABCDEFGH"
    assert r.normalise("o0il1234") == "00111234"
    assert r.normalise("ABCDEFG") is None
    assert r.normalise("ABCDEFGU") is None
    with pytest.raises(InvalidInput):
        r.require_code("nope")


def test_attribution_rules() -> None:
    referrer = _party(1, "Ann@X.example ")
    assert (
        r.judge_attribution(
            referrer, _party(2, "b@x.example"), has_ordered=False, now=NOW, window_days=30
        )
        is None
    )
    same_email = _party(2, " ann@x.example")
    assert (
        r.judge_attribution(referrer, same_email, has_ordered=False, now=NOW, window_days=30)
        is r.Rule.SELF_REFERRAL
    )
    assert (
        r.judge_attribution(referrer, referrer, has_ordered=False, now=NOW, window_days=30)
        is r.Rule.SELF_REFERRAL
    )
    old = _party(2, "b@x.example", enrolled_at=NOW - timedelta(days=31))
    assert (
        r.judge_attribution(referrer, old, has_ordered=False, now=NOW, window_days=30)
        is r.Rule.ALREADY_MEMBER
    )
    bought = _party(2, "b@x.example")
    assert (
        r.judge_attribution(referrer, bought, has_ordered=True, now=NOW, window_days=30)
        is r.Rule.ALREADY_MEMBER
    )
    for status in ("SUSPENDED", "ERASED"):
        gone = _party(1, status=status)
        assert r.judge_attribution(gone, bought, has_ordered=False, now=NOW, window_days=30) is r.Rule.REFERRER_NOT_ACTIVE  # fmt: skip


def test_conversion_verdicts() -> None:
    capped = r.Settings(velocity_cap=2, lifetime_cap=5)
    assert r.judge_conversion(capped, referrer_active=True, in_period=1, lifetime=1) == (
        r.Verdict.VALID,
        None,
    )
    assert r.judge_conversion(capped, referrer_active=True, in_period=2, lifetime=2) == (
        r.Verdict.SUSPICIOUS,
        r.Rule.VELOCITY_CAP,
    )
    rejecting = r.Settings(velocity_cap=2, velocity_action=r.VelocityAction.REJECT)
    assert r.judge_conversion(rejecting, referrer_active=True, in_period=2, lifetime=2) == (
        r.Verdict.INVALID,
        r.Rule.VELOCITY_CAP,
    )
    assert r.judge_conversion(capped, referrer_active=True, in_period=0, lifetime=5) == (
        r.Verdict.INVALID,
        r.Rule.LIFETIME_CAP,
    )
    assert r.judge_conversion(capped, referrer_active=False, in_period=0, lifetime=0) == (r.Verdict.INVALID, r.Rule.REFERRER_NOT_ACTIVE)  # fmt: skip


def test_minimum_and_grace() -> None:
    settings = r.Settings(min_order_total=Decimal("20"))
    assert r.qualifies(Decimal("20.00"), settings)
    assert not r.qualifies(Decimal("19.99"), settings)
    assert r.still_attributes(None, NOW, 0)
    assert r.still_attributes(NOW - timedelta(days=29), NOW, 30)
    assert not r.still_attributes(NOW - timedelta(days=30), NOW, 30)


def test_settings_are_checked() -> None:
    assert r.validate_settings(r.Settings()) == r.Settings()
    with pytest.raises(InvalidInput) as refused:
        r.validate_settings(
            r.Settings(window_days=0, link_template="https://x/", min_order_total=Decimal("-1"))
        )
    assert {p.field for p in refused.value.problems} == {
        ("windowDays",),
        ("linkTemplate",),
        ("minOrderTotal",),
    }
