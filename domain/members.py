"""Rules for members: who may be enrolled, with what details, and how their status may change."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.validation import (
    ErrorCode,
    InvalidInput,
    Problem,
    ProblemCollector,
    is_plain,
)

EXTERNAL_ID_MAX = 128
EMAIL_MAX = 254
DISPLAY_NAME_MAX = 100
OLDEST_BIRTH_YEAR = 1900

_EXTERNAL_ID = re.compile(rf"^[A-Za-z0-9._:@|/+-]{{1,{EXTERNAL_ID_MAX}}}$")
# Deliberately simple: one @, a dot-separated domain with a letter TLD, no spaces. Deliverability
# is the storefront's concern; this catches typos and injection, not every RFC 5322 corner.
_EMAIL = re.compile(
    r"^[^@\s\x00-\x1f\x7f-\x9f]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


EXTERNAL_ID_RULE = (
    f"externalId must be 1-{EXTERNAL_ID_MAX} characters of letters, digits and ._:@|/+-"
)


class MemberStatus(StrEnum):
    """Where a member stands: active members earn and spend; suspended ones are frozen."""

    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    ERASED = "ERASED"


@dataclass(frozen=True, slots=True)
class MemberDetails:
    """A member's validated, normalised personal details."""

    email: str
    display_name: str
    birthday: date | None
    locale: str


def normalise_email(email: str) -> str | None:
    """Lower-cases the domain (case-insensitive by RFC) but keeps the local part as given."""
    candidate = email.strip()
    if len(candidate) > EMAIL_MAX or not is_plain(candidate) or _EMAIL.fullmatch(candidate) is None:
        return None
    local, _, domain_part = candidate.rpartition("@")
    return f"{local}@{domain_part.lower()}"


def is_external_id(external_id: str) -> bool:
    return _EXTERNAL_ID.fullmatch(external_id) is not None


def require_external_id(external_id: str, field: tuple[str, ...] = ("externalId",)) -> None:
    """Refuse a malformed externalId at its input path, before anything looks it up."""
    if not is_external_id(external_id):
        raise InvalidInput(Problem(field, EXTERNAL_ID_RULE, ErrorCode.INVALID_EXTERNAL_ID))


def validate_details(
    *,
    email: str,
    display_name: str,
    birthday: date | None,
    locale: str,
    today: date,
    external_id: str | None = None,
) -> MemberDetails:
    """Check every personal detail (and an enrollment's externalId) at once; raises InvalidInput
    listing all problems."""
    problems = ProblemCollector()
    if external_id is not None and not is_external_id(external_id):
        problems.add("externalId", EXTERNAL_ID_RULE, ErrorCode.INVALID_EXTERNAL_ID)
    clean_email = normalise_email(email)
    if clean_email is None:
        problems.add("email", f"{email!r} is not a valid email address.", ErrorCode.INVALID_EMAIL)
    clean_name = problems.one_line_text(
        "displayName",
        display_name,
        max_length=DISPLAY_NAME_MAX,
        label="Display name",
        code=ErrorCode.INVALID_DISPLAY_NAME,
    )
    if birthday is not None and not (date(OLDEST_BIRTH_YEAR, 1, 1) <= birthday <= today):
        problems.add(
            "birthday",
            f"Birthday must be between {OLDEST_BIRTH_YEAR}-01-01 and today.",
            ErrorCode.INVALID_BIRTHDAY,
        )
    clean_locale = problems.locale("locale", locale)
    problems.raise_if_any()
    assert clean_email is not None
    assert clean_name is not None
    assert clean_locale is not None
    return MemberDetails(clean_email, clean_name, birthday, clean_locale)


def check_editable(status: MemberStatus) -> None:
    """An erased member's personal data is gone for good: nothing may write it back."""
    if status is MemberStatus.ERASED:
        raise InvalidInput(
            Problem(
                (),
                "This member's data was erased; it cannot be changed.",
                ErrorCode.MEMBER_NOT_ACTIVE,
            )
        )


def check_status_change(current: MemberStatus, wanted: MemberStatus) -> None:
    """Suspension is reversible; erasure is final and happens only through the erasure process."""
    if current is MemberStatus.ERASED or wanted is MemberStatus.ERASED:
        raise InvalidInput(
            Problem(
                ("status",),
                "Erased members cannot change status, and erasure has its own request.",
                ErrorCode.INVALID_STATUS_CHANGE,
            )
        )
