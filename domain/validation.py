"""Typed input problems: what a client did wrong, which field, and a stable code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal
from enum import StrEnum

# Where a problem sits in an input: a field name, or a path such as ('lines', '0', 'sku').
Field = str | tuple[str, ...]


class ErrorCode(StrEnum):
    """Stable machine-readable codes for expected failures, exposed as the GraphQL `UserErrorCode`."""

    INVALID_PROGRAM_KEY = "INVALID_PROGRAM_KEY"
    INVALID_NAME = "INVALID_NAME"
    INVALID_CURRENCY = "INVALID_CURRENCY"
    INVALID_TIMEZONE = "INVALID_TIMEZONE"
    INVALID_LOCALE = "INVALID_LOCALE"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_EXTERNAL_ID = "INVALID_EXTERNAL_ID"
    INVALID_DISPLAY_NAME = "INVALID_DISPLAY_NAME"
    INVALID_BIRTHDAY = "INVALID_BIRTHDAY"
    INVALID_STATUS_CHANGE = "INVALID_STATUS_CHANGE"
    INVALID_ID = "INVALID_ID"
    PROGRAM_NOT_FOUND = "PROGRAM_NOT_FOUND"
    PROGRAM_ALREADY_EXISTS = "PROGRAM_ALREADY_EXISTS"
    MEMBER_NOT_FOUND = "MEMBER_NOT_FOUND"
    DUPLICATE_EXTERNAL_ID = "DUPLICATE_EXTERNAL_ID"
    MEMBER_NOT_ACTIVE = "MEMBER_NOT_ACTIVE"
    ERASED_MEMBER = "ERASED_MEMBER"
    INVALID_POINTS_CONFIG = "INVALID_POINTS_CONFIG"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    POINTS_OUT_OF_RANGE = "POINTS_OUT_OF_RANGE"
    INVALID_ORDER = "INVALID_ORDER"
    INVALID_REASON = "INVALID_REASON"
    INVALID_IDEMPOTENCY_KEY = "INVALID_IDEMPOTENCY_KEY"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    UNKNOWN_EVENT = "UNKNOWN_EVENT"
    ALREADY_AWARDED = "ALREADY_AWARDED"
    ORDER_NOT_FOUND = "ORDER_NOT_FOUND"
    RETURN_EXCEEDS_ORDER = "RETURN_EXCEEDS_ORDER"
    RETURN_ID_REUSED = "RETURN_ID_REUSED"
    INSUFFICIENT_POINTS = "INSUFFICIENT_POINTS"
    CLAWBACK_DENIED = "CLAWBACK_DENIED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    DUPLICATE_RULE = "DUPLICATE_RULE"
    INVALID_TIERS = "INVALID_TIERS"
    TIER_NOT_FOUND = "TIER_NOT_FOUND"
    TIERS_NOT_CONFIGURED = "TIERS_NOT_CONFIGURED"
    INVALID_REWARD = "INVALID_REWARD"
    INVALID_REWARDS_CONFIG = "INVALID_REWARDS_CONFIG"
    INVALID_CODE = "INVALID_CODE"
    REWARD_NOT_FOUND = "REWARD_NOT_FOUND"
    REDEMPTION_NOT_FOUND = "REDEMPTION_NOT_FOUND"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    LIMIT_REACHED = "LIMIT_REACHED"
    TIER_REQUIRED = "TIER_REQUIRED"
    NOT_AVAILABLE = "NOT_AVAILABLE"
    HOLD_EXPIRED = "HOLD_EXPIRED"
    NOT_REFUNDABLE = "NOT_REFUNDABLE"
    INVALID_REDEMPTION_STATE = "INVALID_REDEMPTION_STATE"
    INVALID_WEBHOOK_URL = "INVALID_WEBHOOK_URL"
    INVALID_EVENT_TYPES = "INVALID_EVENT_TYPES"
    INVALID_DESCRIPTION = "INVALID_DESCRIPTION"
    WEBHOOK_SUBSCRIPTION_NOT_FOUND = "WEBHOOK_SUBSCRIPTION_NOT_FOUND"
    WEBHOOK_DELIVERY_NOT_FOUND = "WEBHOOK_DELIVERY_NOT_FOUND"
    UNKNOWN_PURPOSE = "UNKNOWN_PURPOSE"
    INVALID_PURPOSE = "INVALID_PURPOSE"
    PURPOSE_EXISTS = "PURPOSE_EXISTS"
    INVALID_CONSENT_CHANGE = "INVALID_CONSENT_CHANGE"
    NOT_WITHDRAWABLE = "NOT_WITHDRAWABLE"
    INVALID_CONSENT_SOURCE = "INVALID_CONSENT_SOURCE"
    INVALID_PREFERENCES = "INVALID_PREFERENCES"
    INVALID_REFERRAL_CODE = "INVALID_REFERRAL_CODE"
    INVALID_REFERRAL_CONFIG = "INVALID_REFERRAL_CONFIG"
    REFERRALS_NOT_CONFIGURED = "REFERRALS_NOT_CONFIGURED"
    ALREADY_REFERRED = "ALREADY_REFERRED"
    SELF_REFERRAL = "SELF_REFERRAL"
    REFEREE_ALREADY_MEMBER = "REFEREE_ALREADY_MEMBER"
    REFERRER_NOT_ACTIVE = "REFERRER_NOT_ACTIVE"
    REFERRAL_NOT_FOUND = "REFERRAL_NOT_FOUND"
    INVALID_REFERRAL_STATE = "INVALID_REFERRAL_STATE"
    INVALID_SCOPES = "INVALID_SCOPES"
    INVALID_RATE_LIMIT = "INVALID_RATE_LIMIT"
    INVALID_OVERLAP = "INVALID_OVERLAP"
    PARTNER_CLIENT_NOT_FOUND = "PARTNER_CLIENT_NOT_FOUND"
    PARTNER_CLIENT_REVOKED = "PARTNER_CLIENT_REVOKED"
    INVALID_POST = "INVALID_POST"
    POST_NOT_FOUND = "POST_NOT_FOUND"
    INVALID_MODERATION = "INVALID_MODERATION"
    INVALID_COMMUNITY_CONFIG = "INVALID_COMMUNITY_CONFIG"
    RATE_LIMITED = "RATE_LIMITED"
    OWN_POST = "OWN_POST"
    INVALID_CHALLENGE = "INVALID_CHALLENGE"
    CHALLENGE_NOT_FOUND = "CHALLENGE_NOT_FOUND"
    CHALLENGE_NOT_OPEN = "CHALLENGE_NOT_OPEN"
    INVALID_BADGE = "INVALID_BADGE"
    BADGE_NOT_FOUND = "BADGE_NOT_FOUND"
    INVALID_GIFT_CONFIG = "INVALID_GIFT_CONFIG"
    TRANSFERS_DISABLED = "TRANSFERS_DISABLED"
    TRANSFER_BELOW_MINIMUM = "TRANSFER_BELOW_MINIMUM"
    TRANSFER_ABOVE_MAXIMUM = "TRANSFER_ABOVE_MAXIMUM"
    TRANSFER_DAILY_SENT_CAP = "TRANSFER_DAILY_SENT_CAP"
    TRANSFER_DAILY_RECEIVED_CAP = "TRANSFER_DAILY_RECEIVED_CAP"
    MEMBERSHIP_TOO_RECENT = "MEMBERSHIP_TOO_RECENT"
    SELF_TRANSFER = "SELF_TRANSFER"
    RECIPIENT_UNAVAILABLE = "RECIPIENT_UNAVAILABLE"
    INVALID_TRANSFER_MESSAGE = "INVALID_TRANSFER_MESSAGE"
    INVALID_TRANSFER_SETTINGS = "INVALID_TRANSFER_SETTINGS"
    TRANSFER_NOT_FOUND = "TRANSFER_NOT_FOUND"
    TRANSFER_ALREADY_REVERSED = "TRANSFER_ALREADY_REVERSED"
    INVALID_SURVEY = "INVALID_SURVEY"
    INVALID_SURVEY_STATE = "INVALID_SURVEY_STATE"
    SURVEY_NOT_FOUND = "SURVEY_NOT_FOUND"
    SURVEY_NAME_TAKEN = "SURVEY_NAME_TAKEN"
    SURVEY_NOT_OPEN = "SURVEY_NOT_OPEN"
    INVALID_ANSWERS = "INVALID_ANSWERS"
    ALREADY_ANSWERED = "ALREADY_ANSWERED"
    INVALID_SEGMENT_RULES = "INVALID_SEGMENT_RULES"
    SEGMENT_NOT_FOUND = "SEGMENT_NOT_FOUND"
    SEGMENT_NAME_TAKEN = "SEGMENT_NAME_TAKEN"
    TOO_MANY_SEGMENTS = "TOO_MANY_SEGMENTS"
    INVALID_CAMPAIGN = "INVALID_CAMPAIGN"
    INVALID_CAMPAIGN_STATE = "INVALID_CAMPAIGN_STATE"
    CAMPAIGN_NOT_FOUND = "CAMPAIGN_NOT_FOUND"
    CAMPAIGN_NAME_TAKEN = "CAMPAIGN_NAME_TAKEN"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: the path of the field, a human message and a code."""

    field: tuple[str, ...]
    message: str
    code: ErrorCode


class InvalidInput(Exception):
    """Raised by a rule or a service when an input cannot be accepted; carries every problem found."""

    def __init__(self, *problems: Problem) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


class ProblemCollector:
    """Gathers every problem of one input so a client can fix them all in one round trip."""

    def __init__(self, at: tuple[str, ...] = ()) -> None:
        """`at` is where the checked object sits in the input, e.g. ('source', 'order')."""
        self._at = at
        self._problems: list[Problem] = []

    def add(self, field: Field, message: str, code: ErrorCode) -> None:
        path = (field,) if isinstance(field, str) else field
        self._problems.append(Problem((*self._at, *path), message, code))

    def reference(
        self, field: Field, value: str, *, max_length: int, label: str, code: ErrorCode
    ) -> bool:
        """Whether `value` is an acceptable reference (see is_reference); records why not."""
        if is_reference(value, max_length=max_length):
            return True
        self.add(
            field,
            f"{label} must be 1-{max_length} printable characters on one line, as is.",
            code,
        )
        return False

    def decimal(
        self,
        field: Field,
        value: Decimal,
        *,
        low: Decimal,
        high: Decimal,
        scale: int,
        label: str,
        code: ErrorCode,
    ) -> bool:
        """Whether `value` is from `low` to `high` with at most `scale` decimals; records why not."""
        digits = len(str(int(high)))
        if is_bounded_decimal(value, integer_digits=digits, scale=scale) and low <= value <= high:
            return True
        self.add(field, f"{label} must be {low} to {high} with at most {scale} decimals.", code)
        return False

    def one_line_text(
        self, field: str, value: str, *, max_length: int, label: str, code: ErrorCode
    ) -> str | None:
        """The cleaned text, or None after recording why it is not acceptable."""
        text = clean_text(value, max_length=max_length)
        if text is None:
            self.add(field, f"{label} must be 1-{max_length} characters on one line.", code)
        return text

    def locale(self, field: str, value: str) -> str | None:
        """The tag in its canonical case (`PT-br` gives `pt-BR`), or None after recording why not."""
        tag = canonical_locale(value)
        if tag is None:
            self.add(
                field,
                f"{value!r} is not a locale tag such as en or pt-BR.",
                ErrorCode.INVALID_LOCALE,
            )
        return tag

    def raise_if_any(self) -> None:
        if self._problems:
            raise InvalidInput(*self._problems)


# A token's subject is a client id or a member's externalId. A write records its actor as
# `role:subject`, in columns of ACTOR_MAX characters: every subject a token may carry can write.
SUBJECT_MAX = 200
ROLE_MAX = 16
ACTOR_MAX = ROLE_MAX + 1 + SUBJECT_MAX


def actor(role: str, subject: str) -> str:
    """The actor a write records for a verified token's role and subject."""
    if not 0 < len(role) <= ROLE_MAX or not 0 < len(subject) <= SUBJECT_MAX:
        raise ValueError(f"no actor for role {role!r} and a subject of {len(subject)} characters")
    return f"{role}:{subject}"


# C0 and C1 controls plus Unicode line/paragraph separators: none belong in one-line text. Nor
# does an unpaired surrogate (a JSON "\ud800"): no UTF-8 driver or client can encode it. Nor
# what shows nothing yet makes two texts differ or reorders what is shown: zero-width space,
# BOM, bidi embedding/override/isolate controls; nor non-characters (U+FDD0-U+FDEF and the last
# two code points of every plane), which Unicode reserves for programs' own use. ZWNJ and ZWJ
# (U+200C, U+200D) stay: emoji sequences and some scripts need them.
_NONCHARACTERS = r"\ufdd0-\ufdef" + "".join(
    rf"\U{plane:04x}fffe\U{plane:04x}ffff" for plane in range(17)
)
_UNFIT_CHARS = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\u200b\ufeff\u202a-\u202e\u2066-\u2069"
    + _NONCHARACTERS
    + "]"
)
# Digits and exponents beyond these are no amount or rate anyone means; refused unread.
DECIMAL_DIGITS_MAX = 40
# The one spelling of a decimal: Python's Decimal() would also take "1_000", " 1", "+1", "1e2" and
# non-ASCII digits ("١٢"), so one amount could arrive in many forms that log and hash apart.
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?", re.ASCII)
# The one spelling of a date: date.fromisoformat also takes "20200101" and "2020-W01-1".
_CALENDAR_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
# BCP 47 tags are case-insensitive: any case is accepted, then written in the canonical case.
_LOCALE = re.compile(
    r"([a-z]{2,3})(?:-([a-z]{4}))?(?:-([a-z]{2}|[0-9]{3}))?", re.IGNORECASE | re.ASCII
)


def clean_text(value: str, *, max_length: int) -> str | None:
    """Trimmed single-line text of 1..max_length characters, or None when it is not acceptable."""
    text = value.strip()
    if not text or len(text) > max_length or not is_plain(text):
        return None
    return text


def is_plain(text: str) -> bool:
    """No control character, line separator, unpaired surrogate, invisible or bidi control, or
    non-character anywhere in `text`."""
    return _UNFIT_CHARS.search(text) is None


def is_reference(value: str, *, max_length: int) -> bool:
    """An id a client chose (an order, a return, a SKU, an idempotency key): 1..max_length
    printable characters on one line, taken exactly as given (no surrounding spaces to trim,
    so one reference never has two spellings)."""
    return clean_text(value, max_length=max_length) == value


def plain_decimal(text: str) -> Decimal | None:
    """The decimal `text` spells in the plain form `-?digits(.digits)?`, or None. Negative zero is
    zero: "-0" would otherwise be stored and shown as "-0". Digits and scale are judged later, by
    the rule of the field (is_bounded_decimal); the length is bounded by the request's."""
    if _PLAIN_DECIMAL.fullmatch(text) is None:
        return None
    value = Decimal(text)
    return abs(value) if value.is_zero() else value


def calendar_date(text: str) -> date | None:
    """The date `text` spells as YYYY-MM-DD, or None (also for a day that does not exist)."""
    if _CALENDAR_DATE.fullmatch(text) is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:  # 2021-02-29, month 13
        return None


def decimal_key(value: Decimal) -> str:
    """One text for equal decimals (10.0 and 10.00 give 10), exact and safe for anything a client
    sends: a NaN or 1E+1000000 (refused later) is kept as written, never computed with."""
    if not is_bounded_decimal(value, integer_digits=DECIMAL_DIGITS_MAX, scale=DECIMAL_DIGITS_MAX):
        return str(value)
    return format(value.normalize(Context(prec=2 * DECIMAL_DIGITS_MAX)), "f")


def is_bounded_decimal(value: Decimal, *, integer_digits: int, scale: int) -> bool:
    """A finite decimal with at most `integer_digits` digits before the point and `scale` after
    it (trailing zeros aside), judged from its digits alone: no context rounds it first (so
    1.0000000000000000000000000000001 is not taken for 1) and no arithmetic touches it (so
    1E+1000000 or 0E-1000000 overflow nothing)."""
    if not value.is_finite():  # NaN, sNaN and infinities
        return False
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    if len(digits) > DECIMAL_DIGITS_MAX or abs(exponent) > DECIMAL_DIGITS_MAX:
        return False
    text = "".join(map(str, digits))
    significant = text.rstrip("0")
    if not significant:  # zero
        return True
    exponent += len(text) - len(significant)
    return -exponent <= scale and len(significant) + exponent <= integer_digits


def canonical_locale(value: str) -> str | None:
    """A BCP 47 tag of the common shape (language, optional script, optional region) in its
    canonical case: `zh-hant-tw` gives `zh-Hant-TW`; None for anything else."""
    match = _LOCALE.fullmatch(value)
    if match is None:
        return None
    language, script, region = match.groups()
    parts = [
        language.lower(),
        script.title() if script else None,
        region.upper() if region else None,
    ]
    return "-".join(part for part in parts if part)
