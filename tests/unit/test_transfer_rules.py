"""The transfer rules on hand-checked examples: limits, the checks of a request and of its two
members, and the postings of a transfer and of its reversal."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain import transfers as rules
from domain.clawback import clawback
from domain.ledger import Balance, EntryKind, Lot, LotStatus, LotTake, apply
from domain.points_config import ClawbackPolicy
from domain.validation import ErrorCode, InvalidInput

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
ON = replace(rules.DEFAULTS, enabled=True)


def _codes(caught: pytest.ExceptionInfo[InvalidInput]) -> list[ErrorCode]:
    return [problem.code for problem in caught.value.problems]


def _parties(sent: int = 0, received: int = 0, age_days: float = 30) -> rules.Parties:
    return rules.Parties(
        sender_enrolled_at=NOW - timedelta(days=age_days), sent_today=sent, received_today=received
    )


def test_the_defaults_keep_transfers_off_and_bounded() -> None:
    assert rules.validate_settings(rules.DEFAULTS) == rules.DEFAULTS
    assert rules.DEFAULTS.enabled is False
    with pytest.raises(InvalidInput) as caught:
        rules.check_request(10, None, rules.DEFAULTS)
    assert _codes(caught) == [ErrorCode.TRANSFERS_DISABLED]


def test_inconsistent_limits_are_refused_all_at_once() -> None:
    asked = rules.TransferSettings(
        enabled=True, min_points=50, max_points=10, daily_sent_cap=5, daily_received_cap=5,
        min_membership_days=4000,
    )  # fmt: skip
    with pytest.raises(InvalidInput) as caught:
        rules.validate_settings(asked)
    fields = [problem.field for problem in caught.value.problems]
    assert fields == [
        ("maxPoints",), ("dailySentCap",), ("dailyReceivedCap",), ("minMembershipDays",),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("points", "message", "code"),
    [
        (0, None, ErrorCode.TRANSFER_BELOW_MINIMUM),
        (5_001, None, ErrorCode.TRANSFER_ABOVE_MAXIMUM),
        (10, "a\u202eb", ErrorCode.INVALID_TRANSFER_MESSAGE),
        (10, "m" * (rules.MESSAGE_MAX + 1), ErrorCode.INVALID_TRANSFER_MESSAGE),
    ],
)
def test_a_request_outside_the_limits_is_refused(
    points: int, message: str | None, code: ErrorCode
) -> None:
    with pytest.raises(InvalidInput) as caught:
        rules.check_request(points, message, ON)
    assert _codes(caught) == [code]


def test_a_blank_message_is_no_message_and_codes_read_as_typed() -> None:
    assert rules.check_request(10, "   ", ON) is None
    assert rules.check_request(10, " Thanks! ", ON) == "Thanks!"
    assert rules.recipient_code("abcd-efgh") == "ABCDEFGH"
    assert rules.recipient_code("x" * 10_000) is None


def test_unicode_that_upper_cases_into_a_code_names_no_code() -> None:
    """A dotless i upper-cases to I (read as 1), a long s to S, a ligature to two letters: each
    would otherwise reach the member whose ASCII code they imitate."""
    assert rules.recipient_code("s1s1-2345") == "S1S12345"
    for lookalike in ("\u017f\u0131s12345", "s1s1-2345\u00a0", "\ufb01ab12345", "ab\u00df12345"):
        assert rules.recipient_code(lookalike) is None, lookalike


def test_the_members_checks_age_and_both_daily_caps() -> None:
    rules.check_parties(5_000, _parties(sent=5_000, received=15_000), ON, NOW)
    cases = [
        (_parties(age_days=6.9), ErrorCode.MEMBERSHIP_TOO_RECENT),
        (_parties(sent=5_001), ErrorCode.TRANSFER_DAILY_SENT_CAP),
        (_parties(received=15_001), ErrorCode.TRANSFER_DAILY_RECEIVED_CAP),
    ]
    for parties, code in cases:
        with pytest.raises(InvalidInput) as caught:
            rules.check_parties(5_000, parties, ON, NOW)
        assert _codes(caught) == [code]
    with pytest.raises(InvalidInput) as caught:
        rules.check_not_self(7, 7)
    assert _codes(caught) == [ErrorCode.SELF_TRANSFER]


def test_the_day_is_the_programs() -> None:
    assert rules.day_of(NOW, "UTC").day == 1
    assert rules.day_of(NOW, "Europe/Paris").day == 2


def test_sending_spends_soonest_expiring_lots_and_receiving_makes_a_lot() -> None:
    lots = [
        Lot(1, 50, LotStatus.ACTIVE, None, NOW + timedelta(days=40)),
        Lot(2, 50, LotStatus.ACTIVE, None, NOW + timedelta(days=10)),
        Lot(3, 80, LotStatus.PENDING, NOW + timedelta(days=5), None),
    ]
    sender = Balance(available=100, pending=80, lifetime=180)
    out = rules.sent(sender, lots, 70, NOW)
    assert (out.kind, out.points, out.available, out.lifetime) == (
        EntryKind.TRANSFER_OUT,
        -70,
        -70,
        0,
    )
    assert out.takes == (LotTake(2, 50), LotTake(1, 20))
    with pytest.raises(InvalidInput) as caught:
        rules.sent(sender, lots, 101, NOW)  # pending points are not spendable
    assert _codes(caught) == [ErrorCode.INSUFFICIENT_POINTS]
    into = rules.received(Balance(available=0, debt=30), 70, NOW + timedelta(days=365))
    assert (into.kind, into.available, into.debt, into.lifetime) == (
        EntryKind.TRANSFER_IN,
        40,
        -30,
        0,
    )
    assert into.new_lot is not None
    assert into.new_lot.remaining == 40


def test_a_reversal_takes_back_as_a_transfer_and_records_debt_for_what_was_spent() -> None:
    recipient = Balance(available=30, lifetime=0)
    lots = {9: Lot(9, 30, LotStatus.ACTIVE, None, None)}
    back = clawback(
        recipient, lots, 100, order_lot=9, policy=ClawbackPolicy.CLAMP_AND_RECORD_DEBT, now=NOW,
        label=rules.reversal_reason("Fraud"),
    )  # fmt: skip
    taken = rules.taken_back(back)
    assert (taken.kind, taken.available, taken.debt, taken.lifetime) == (
        EntryKind.TRANSFER_OUT, -30, 70, 0,
    )  # fmt: skip
    assert [line.code for line in taken.lines] == ["TRANSFER_REVERSED", "DEBT"]
    assert apply(recipient, taken) == Balance(available=0, debt=70)
    given = rules.given_back(Balance(), 100, "Fraud", None)
    assert (given.kind, given.available, given.lifetime) == (EntryKind.TRANSFER_IN, 100, 0)
