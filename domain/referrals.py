"""Referral rules, pure: codes, settings, and the fraud verdicts of attribution and conversion.

A code is 8 characters of Crockford's base32 alphabet, which leaves out I, L, O and U, so no two
characters are mistaken for each other when read aloud or typed: 32^8 (about 10^12) codes per
program, drawn from the operating system's strong random source, so they are not guessable.
Codes are read case-insensitively (upper-cased, surrounding spaces and hyphens dropped, and the
letters a reader may type for the digits 0 and 1 read as those digits).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from domain.validation import ErrorCode, InvalidInput, Problem, ProblemCollector, clean_text

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8
_TYPED_FOR = str.maketrans({"O": "0", "I": "1", "L": "1"})
CODE_PLACEHOLDER = "{code}"
MAX_DAYS = 3650
MAX_POINTS = 1_000_000
MAX_CAP = 1_000_000


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise(text: str) -> str | None:
    """The code a client typed, as stored; None when it cannot be a code at all."""
    code = text.strip().replace("-", "").replace(" ", "").upper().translate(_TYPED_FOR)
    if len(code) != CODE_LENGTH or any(char not in ALPHABET for char in code):
        return None
    return code


TEXT_MAX = 64


def check_code_text(text: str, field: tuple[str, ...] = ("referralCode",)) -> None:
    """Refuse what is not one plain line of text at all (a control character, 64+ characters):
    a malformed input, refused before anything is written, unlike a code that does not attribute."""
    if clean_text(text, max_length=TEXT_MAX) is None:
        raise InvalidInput(
            Problem(
                field,
                f"A referral code is 1-{TEXT_MAX} printable characters.",
                ErrorCode.INVALID_REFERRAL_CODE,
            )
        )


def require_code(text: str, field: tuple[str, ...] = ("code",)) -> str:
    code = normalise(text)
    if code is None:
        raise InvalidInput(
            Problem(field, "Not a referral code of this program.", ErrorCode.INVALID_REFERRAL_CODE)
        )
    return code


class Status(StrEnum):
    PENDING = "PENDING"  # attributed, waiting for the referee's first qualifying order
    CONVERTED = "CONVERTED"  # both sides rewarded
    HELD = "HELD"  # a suspicious conversion, waiting for an admin's review
    REJECTED = "REJECTED"  # refused at conversion or by review: nobody rewarded
    REVERSED = "REVERSED"  # converted, then its order returned: both rewards taken back
    EXPIRED = "EXPIRED"  # no qualifying order within the attribution window


class GiftOutcome(StrEnum):
    """What became of one side's catalog reward of a referral."""

    GRANTED = "GRANTED"  # given at conversion
    REFUSED = "REFUSED"  # not given (out of stock, inactive...): the points were, all the same
    TAKEN_BACK = "TAKEN_BACK"  # the referral was reversed before the reward was used
    KEPT_USED = "KEPT_USED"  # the referral was reversed after its code was used: it stays


class Verdict(StrEnum):
    VALID = "VALID"
    INVALID = "INVALID"
    SUSPICIOUS = "SUSPICIOUS"


class Rule(StrEnum):
    """The fraud rules; each refusal or hold names one in the audit."""

    SELF_REFERRAL = "SELF_REFERRAL"  # the same member, email or external identity
    ALREADY_MEMBER = "ALREADY_MEMBER"  # enrolled before the window, or already ordered
    REFERRER_NOT_ACTIVE = "REFERRER_NOT_ACTIVE"  # the code's member is suspended or erased
    VELOCITY_CAP = "VELOCITY_CAP"  # too many conversions of one referrer in the period
    LIFETIME_CAP = "LIFETIME_CAP"  # the referrer's lifetime conversions are used up


RULE_ERRORS: dict[Rule, ErrorCode] = {
    Rule.SELF_REFERRAL: ErrorCode.SELF_REFERRAL,
    Rule.ALREADY_MEMBER: ErrorCode.REFEREE_ALREADY_MEMBER,
    Rule.REFERRER_NOT_ACTIVE: ErrorCode.REFERRER_NOT_ACTIVE,
}
RULE_MESSAGES: dict[Rule, str] = {
    Rule.SELF_REFERRAL: "A member cannot refer itself.",
    Rule.ALREADY_MEMBER: "The referee was a member before this referral could count.",
    Rule.REFERRER_NOT_ACTIVE: "This code's member is not active; the code does not attribute.",
}


class VelocityAction(StrEnum):
    HOLD = "HOLD"  # suspicious: held for an admin's review
    REJECT = "REJECT"  # invalid: refused outright


@dataclass(frozen=True, slots=True)
class Settings:
    window_days: int = 30
    min_order_total: Decimal = Decimal(0)
    referrer_points: int = 0
    referee_points: int = 0
    velocity_cap: int | None = None
    velocity_days: int = 30
    velocity_action: VelocityAction = VelocityAction.HOLD
    lifetime_cap: int | None = None
    grace_days: int = 30
    link_template: str = "https://shop.example/r/{code}"
    # Catalog rewards (keys) each side also receives at conversion, at no points cost; or none.
    referrer_reward_id: int | None = None
    referee_reward_id: int | None = None

    def link(self, code: str) -> str:
        return self.link_template.replace(CODE_PLACEHOLDER, code)


def validate_settings(settings: Settings) -> Settings:
    problems = ProblemCollector()
    bad = ErrorCode.INVALID_REFERRAL_CONFIG
    for name, value, low, high in (
        ("windowDays", settings.window_days, 1, MAX_DAYS),
        ("velocityDays", settings.velocity_days, 1, MAX_DAYS),
        ("graceDays", settings.grace_days, 0, MAX_DAYS),
        ("referrerPoints", settings.referrer_points, 0, MAX_POINTS),
        ("refereePoints", settings.referee_points, 0, MAX_POINTS),
    ):
        if not low <= value <= high:
            problems.add(name, f"{name} must be {low} to {high}.", bad)
    for name, cap in (
        ("velocityCap", settings.velocity_cap),
        ("lifetimeCap", settings.lifetime_cap),
    ):
        if cap is not None and not 1 <= cap <= MAX_CAP:
            problems.add(name, f"{name} must be 1 to {MAX_CAP}, or null for none.", bad)
    total = settings.min_order_total
    if not total.is_finite() or total < 0 or total.as_tuple().exponent < -4 or total >= 10**16:  # type: ignore[operator]
        problems.add("minOrderTotal", "minOrderTotal must be 0 or more, at most 4 decimals.", bad)
    template = settings.link_template
    if (
        not template.startswith("https://")
        or template.count(CODE_PLACEHOLDER) != 1
        or len(template) > 500
        or any(char.isspace() or not char.isprintable() for char in template)
    ):
        problems.add("linkTemplate", "linkTemplate must be an https URL holding {code} once.", bad)
    problems.raise_if_any()
    return settings


@dataclass(frozen=True, slots=True)
class Party:
    """What the rules need of a referrer or referee."""

    member_id: int
    status: str
    email: str
    external_id: str
    enrolled_at: datetime


def email_key(email: str) -> str:
    return email.strip().lower()


def judge_attribution(
    referrer: Party, referee: Party, *, has_ordered: bool, now: datetime, window_days: int
) -> Rule | None:
    """None when the attribution is valid, else the rule it breaks (every one of them INVALID)."""
    if referrer.status != "ACTIVE":
        return Rule.REFERRER_NOT_ACTIVE
    if (
        referrer.member_id == referee.member_id
        or email_key(referrer.email) == email_key(referee.email)
        or referrer.external_id == referee.external_id
    ):
        return Rule.SELF_REFERRAL
    if has_ordered or referee.enrolled_at < now - timedelta(days=window_days):
        return Rule.ALREADY_MEMBER
    return None


def qualifies(order_total: Decimal, settings: Settings) -> bool:
    return order_total >= settings.min_order_total


def judge_conversion(
    settings: Settings, *, referrer_active: bool, in_period: int, lifetime: int
) -> tuple[Verdict, Rule | None]:
    """The referrer's standing when its referee converts: conversions already counted in the
    velocity period and in its lifetime (this one excluded)."""
    if not referrer_active:
        return Verdict.INVALID, Rule.REFERRER_NOT_ACTIVE
    if settings.lifetime_cap is not None and lifetime >= settings.lifetime_cap:
        return Verdict.INVALID, Rule.LIFETIME_CAP
    if settings.velocity_cap is not None and in_period >= settings.velocity_cap:
        if settings.velocity_action is VelocityAction.HOLD:
            return Verdict.SUSPICIOUS, Rule.VELOCITY_CAP
        return Verdict.INVALID, Rule.VELOCITY_CAP
    return Verdict.VALID, None


def still_attributes(retired_at: datetime | None, now: datetime, grace_days: int) -> bool:
    """A current code attributes; a retired one through its grace period."""
    return retired_at is None or now < retired_at + timedelta(days=grace_days)
