"""Member-to-member points transfers, pure: the program's limits, the checks a transfer must
pass, and the ledger postings of a transfer and of its reversal.

A transfer moves spendable points only: the sender's ACTIVE lots in the ledger's own spending
order (soonest expiry first), as a redemption takes them, so pending and held points never move.
The recipient gets a new lot that expires by the program's policy from the day it arrives, and
neither side's lifetime total changes (points are earned once, by whoever earned them: a
transfer cannot lift anyone's tier). A reversal takes the points back from the recipient as a
return does (its own lot first, what it spent under the program's clawback policy) and gives
them back to the sender as a new lot.

Recipients are named by their referral code, not their email: a code is something the recipient
chose to hand out, drawn from 32^8 values, so a member can only reach members who told it their
code, and an unknown code says nothing about anyone's email or enrolment.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import NoReturn
from zoneinfo import ZoneInfo

from domain.ledger import (
    Balance,
    EntryKind,
    ExplanationLine,
    Lot,
    Posting,
    earn,
    redeem,
)
from domain.referrals import TEXT_MAX as CODE_TEXT_MAX
from domain.referrals import normalise
from domain.validation import ErrorCode, InvalidInput, Problem, ProblemCollector, clean_text

MAX_POINTS = 1_000_000  # the largest transfer any program may allow
MAX_DAILY = 100_000_000
MAX_MEMBERSHIP_DAYS = 3650
MESSAGE_MAX = 140
REASON_MAX = 200

SENT_REASON = "Points sent to another member"
RECEIVED_REASON = "Points received from another member"


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferSettings:
    """A program's transfer limits. The defaults hold until an admin sets its own: transfers
    off (a program opts in), 1 to 5,000 points each, 10,000 sent and 20,000 received per member
    per day (the program's day), and only from members enrolled 7 days or more."""

    enabled: bool = False
    min_points: int = 1
    max_points: int = 5_000
    daily_sent_cap: int = 10_000
    daily_received_cap: int = 20_000
    min_membership_days: int = 7


DEFAULTS = TransferSettings()


def validate_settings(settings: TransferSettings) -> TransferSettings:
    """The settings as stored, or every problem at once."""
    problems = ProblemCollector()
    bad = ErrorCode.INVALID_TRANSFER_SETTINGS
    if not 1 <= settings.min_points <= MAX_POINTS:
        problems.add("minPoints", f"minPoints must be 1 to {MAX_POINTS}.", bad)
    if not settings.min_points <= settings.max_points <= MAX_POINTS:
        problems.add("maxPoints", f"maxPoints must be minPoints to {MAX_POINTS}.", bad)
    if not settings.max_points <= settings.daily_sent_cap <= MAX_DAILY:
        problems.add("dailySentCap", f"dailySentCap must be maxPoints to {MAX_DAILY}.", bad)
    if not settings.max_points <= settings.daily_received_cap <= MAX_DAILY:
        problems.add("dailyReceivedCap", f"dailyReceivedCap must be maxPoints to {MAX_DAILY}.", bad)
    if not 0 <= settings.min_membership_days <= MAX_MEMBERSHIP_DAYS:
        problems.add(
            "minMembershipDays", f"minMembershipDays must be 0 to {MAX_MEMBERSHIP_DAYS}.", bad
        )
    problems.raise_if_any()
    return settings


def recipient_code(text: str) -> str | None:
    """The referral code a sender typed, as stored; None when it cannot be one (then no member
    has it). Bounded before it is read: nothing longer than a code's typed spellings reaches SQL.
    ASCII only: upper-casing folds some other letters into a code's (a dotless i, a long s, a
    ligature), and a look-alike spelling shown to a sender must not reach a member."""
    if len(text) > CODE_TEXT_MAX or not text.isascii():
        return None
    return normalise(text)


def check_request(points: int, message: str | None, settings: TransferSettings) -> str | None:
    """What can be judged before any lock: the switch, the amount and the message (returned
    cleaned, None for none)."""
    if not settings.enabled:
        _refuse((), "This program does not allow points transfers.", ErrorCode.TRANSFERS_DISABLED)
    if points < settings.min_points:
        _refuse(
            ("points",),
            f"A transfer is at least {settings.min_points} points.",
            ErrorCode.TRANSFER_BELOW_MINIMUM,
        )
    if points > settings.max_points:
        _refuse(
            ("points",),
            f"A transfer is at most {settings.max_points} points.",
            ErrorCode.TRANSFER_ABOVE_MAXIMUM,
        )
    return check_message(message)


def check_message(message: str | None) -> str | None:
    if message is None or not message.strip():
        return None
    cleaned = clean_text(message, max_length=MESSAGE_MAX)
    if cleaned is None:
        _refuse(
            ("message",),
            f"The message is one line of at most {MESSAGE_MAX} printable characters.",
            ErrorCode.INVALID_TRANSFER_MESSAGE,
        )
    return cleaned


def check_reason(reason: str) -> str:
    cleaned = clean_text(reason, max_length=REASON_MAX)
    if cleaned is None:
        _refuse(
            ("reason",),
            f"The reason is one line of 1-{REASON_MAX} printable characters.",
            ErrorCode.INVALID_REASON,
        )
    return cleaned


@dataclass(frozen=True, slots=True, kw_only=True)
class Parties:
    """What the checks under both members' locks need to know."""

    sender_enrolled_at: datetime
    sent_today: int
    received_today: int


def check_not_self(sender_id: int, recipient_id: int) -> None:
    if sender_id == recipient_id:
        _refuse(
            ("recipient",), "Members cannot transfer points to themselves.", ErrorCode.SELF_TRANSFER
        )


def check_parties(points: int, parties: Parties, settings: TransferSettings, now: datetime) -> None:
    """The checks that need both members locked: the sender's age and the daily caps (today's
    totals are read under the locks, so concurrent transfers cannot both fit). A reversed
    transfer still counts toward its day: the caps bound what members attempt."""
    if now - parties.sender_enrolled_at < timedelta(days=settings.min_membership_days):
        _refuse(
            (),
            f"Members may transfer points once enrolled for {settings.min_membership_days} days.",
            ErrorCode.MEMBERSHIP_TOO_RECENT,
        )
    if parties.sent_today + points > settings.daily_sent_cap:
        left = max(settings.daily_sent_cap - parties.sent_today, 0)
        _refuse(
            ("points",),
            f"You can send {left} more points today.",
            ErrorCode.TRANSFER_DAILY_SENT_CAP,
        )
    if parties.received_today + points > settings.daily_received_cap:
        _refuse(
            ("points",),
            "The recipient cannot receive this many more points today.",
            ErrorCode.TRANSFER_DAILY_RECEIVED_CAP,
        )


def day_of(now: datetime, timezone: str) -> date:
    """The program's day a transfer counts toward for the daily caps."""
    return now.astimezone(ZoneInfo(timezone)).date()


def sent(balance: Balance, lots: list[Lot], points: int, now: datetime) -> Posting:
    """The sender's side: spendable points taken as a redemption takes them (refused with
    INSUFFICIENT_POINTS beyond what is spendable)."""
    spend = redeem(balance, lots, points, now)
    line = ExplanationLine("TRANSFER", SENT_REASON, -points)
    return replace(spend, kind=EntryKind.TRANSFER_OUT, lines=(line,))


def received(balance: Balance, points: int, expires_at: datetime | None) -> Posting:
    """The recipient's side: a new lot, spendable at once (after any debt it owes)."""
    line = (ExplanationLine("TRANSFER", RECEIVED_REASON, points),)
    posting = earn(balance, points, lines=line, activates_at=None, expires_at=expires_at)
    return replace(posting, kind=EntryKind.TRANSFER_IN, lifetime=0)


def taken_back(posting: Posting) -> Posting:
    """A reversal's recipient side, from the clawback posting: a transfer entry whose lines say
    so, and the lifetime total untouched (receiving never raised it)."""
    lines = tuple(
        replace(line, code="TRANSFER_REVERSED") if line.code == "RETURN" else line
        for line in posting.lines
    )
    return replace(posting, kind=EntryKind.TRANSFER_OUT, lifetime=0, lines=lines)


def given_back(balance: Balance, points: int, reason: str, expires_at: datetime | None) -> Posting:
    """A reversal's sender side: the points come back as a new lot."""
    line = (ExplanationLine("TRANSFER_REVERSED", reversal_reason(reason), points),)
    posting = earn(balance, points, lines=line, activates_at=None, expires_at=expires_at)
    return replace(posting, kind=EntryKind.TRANSFER_IN, lifetime=0)


def reversal_reason(reason: str) -> str:
    return f"Transfer reversed by the program: {reason}"


def _refuse(field: tuple[str, ...], message: str, code: ErrorCode) -> NoReturn:
    raise InvalidInput(Problem(field, message, code))
