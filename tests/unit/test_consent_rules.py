"""The consent and preference rules (domain/consent.py, domain/preferences.py), no I/O."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.consent import (
    DEFAULT_PURPOSES,
    ConsentChange,
    DataCategory,
    LegalBasis,
    allowed,
    describe_use,
    is_purpose_key,
    needs_reconsent,
    validate_changes,
)
from domain.preferences import (
    Channel,
    MessageVerdict,
    Preferences,
    decide_message,
    in_quiet_hours,
    parse_clock,
)
from domain.validation import ErrorCode, InvalidInput

pytestmark = pytest.mark.unit


def test_the_legal_basis_decides_the_default() -> None:
    assert allowed(LegalBasis.CONSENT, None) is False
    assert allowed(LegalBasis.CONSENT, True) is True
    assert allowed(LegalBasis.LEGITIMATE_INTEREST, None) is True
    assert allowed(LegalBasis.LEGITIMATE_INTEREST, False) is False
    assert allowed(LegalBasis.CONTRACT, False) is True


def test_the_seeded_purposes() -> None:
    bases = {p.key: p.legal_basis for p in DEFAULT_PURPOSES}
    assert bases["personalization"] is LegalBasis.LEGITIMATE_INTEREST
    assert bases["analytics"] is LegalBasis.LEGITIMATE_INTEREST
    assert bases["account"] is LegalBasis.CONTRACT
    assert {k for k, b in bases.items() if b is LegalBasis.CONSENT} == {
        "marketing_email",
        "marketing_push",
        "marketing_sms",
        "profiling",
        "partner_sharing",
        "referral_display",
    }
    assert all(is_purpose_key(p.key) for p in DEFAULT_PURPOSES)


def test_only_an_older_grant_of_a_consent_purpose_needs_reconsent() -> None:
    assert needs_reconsent(LegalBasis.CONSENT, True, 1, 2) is True
    assert needs_reconsent(LegalBasis.CONSENT, True, 2, 2) is False
    assert needs_reconsent(LegalBasis.CONSENT, False, 1, 2) is False
    assert needs_reconsent(LegalBasis.LEGITIMATE_INTEREST, True, 1, 2) is False


@pytest.mark.parametrize("key", ["a", "A_b", "1ab", "ab-c", "a" * 41, "ab\x00", ""])
def test_malformed_purpose_keys(key: str) -> None:
    assert is_purpose_key(key) is False


def test_changes_are_bounded_and_name_each_purpose_once() -> None:
    with pytest.raises(InvalidInput) as refused:
        validate_changes([ConsentChange("profiling", True), ConsentChange("profiling", False)])
    assert [p.code for p in refused.value.problems] == [ErrorCode.INVALID_CONSENT_CHANGE]
    with pytest.raises(InvalidInput):
        validate_changes([ConsentChange(f"p{n:02d}", True) for n in range(21)])
    validate_changes([ConsentChange("profiling", True)])


def test_a_use_in_plain_words() -> None:
    assert describe_use(
        "admin:ops",
        "account",
        [DataCategory.CONTACT, DataCategory.PROFILE],
        "profile read by admin",
    ) == (
        "The program's staff (ops) used your contact details and profile for account: "
        "profile read by admin."
    )


def _prefs(**changes: object) -> Preferences:
    base = Preferences.defaults("Europe/Paris")
    return Preferences(**{**{f: getattr(base, f) for f in base.__slots__}, **changes})


def test_quiet_hours_are_read_on_the_members_clock_and_may_span_midnight() -> None:
    prefs = _prefs(quiet_start=22 * 60, quiet_end=7 * 60)
    assert in_quiet_hours(prefs, datetime(2026, 6, 15, 21, 0, tzinfo=UTC)) is True  # 23:00
    assert in_quiet_hours(prefs, datetime(2026, 6, 15, 4, 59, tzinfo=UTC)) is True  # 06:59
    assert in_quiet_hours(prefs, datetime(2026, 6, 15, 5, 0, tzinfo=UTC)) is False  # 07:00
    day = _prefs(quiet_start=12 * 60, quiet_end=14 * 60)
    assert in_quiet_hours(day, datetime(2026, 1, 15, 11, 30, tzinfo=UTC)) is True  # 12:30 CET
    assert in_quiet_hours(_prefs(), datetime(2026, 1, 15, 11, 30, tzinfo=UTC)) is False


def test_the_message_decision_order() -> None:
    now = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)

    def decide(consented: bool, sent: int, prefs: Preferences | None = None) -> MessageVerdict:
        chosen = prefs or _prefs(email_weekly_cap=2)
        return decide_message(
            consented=consented, preferences=chosen, channel=Channel.EMAIL, sent=sent, now=now
        ).verdict

    assert decide(False, 0) is MessageVerdict.NO_CONSENT
    assert decide(True, 1) is MessageVerdict.ALLOWED
    assert decide(True, 2) is MessageVerdict.CAP_REACHED
    assert decide(True, 0, _prefs(email=False)) is MessageVerdict.CHANNEL_OFF
    assert Channel.PUSH.purpose == "marketing_push"


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("00:00", 0),
        ("07:30", 450),
        ("23:59", 1439),
        ("24:00", None),
        ("7:30", None),
        ("07:30 ", None),
    ],
)
def test_clock_times(text: str, minutes: int | None) -> None:
    assert parse_clock(text) == minutes
