"""Typed input problems: what a client did wrong, which field, and a stable code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


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

    def add(self, field: str, message: str, code: ErrorCode) -> None:
        self._problems.append(Problem((*self._at, field), message, code))

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


# C0 and C1 controls plus Unicode line/paragraph separators: none belong in one-line text.
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# BCP 47 tags are case-insensitive: any case is accepted, then written in the canonical case.
_LOCALE = re.compile(
    r"([a-z]{2,3})(?:-([a-z]{4}))?(?:-([a-z]{2}|[0-9]{3}))?", re.IGNORECASE | re.ASCII
)


def clean_text(value: str, *, max_length: int) -> str | None:
    """Trimmed single-line text of 1..max_length characters, or None when it is not acceptable."""
    text = value.strip()
    if not text or len(text) > max_length or _CONTROL_CHARS.search(text):
        return None
    return text


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
