"""Consent rules: purposes, their legal basis, what holds by default, and the bounds of inputs.

Pure: no I/O. The consent area (consent/) stores a ledger of what members said; these rules say
what that ledger means.

The legal basis decides the default when a member has said nothing:
- CONSENT: off until granted (marketing, profiling, partner sharing);
- LEGITIMATE_INTEREST: on until the member objects, i.e. withdraws (personalization, analytics);
- CONTRACT: always on, never withdrawn (running the member's own account).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from domain.validation import ErrorCode, ProblemCollector, clean_text


class LegalBasis(StrEnum):
    CONSENT = "CONSENT"
    CONTRACT = "CONTRACT"
    LEGITIMATE_INTEREST = "LEGITIMATE_INTEREST"


class ConsentSource(StrEnum):
    """Where a member's consent was given or withdrawn."""

    APP = "APP"
    STOREFRONT = "STOREFRONT"
    PARTNER = "PARTNER"
    ADMIN = "ADMIN"


class DataCategory(StrEnum):
    """Kinds of personal data a use concerns."""

    CONTACT = "CONTACT"
    PURCHASE_HISTORY = "PURCHASE_HISTORY"
    LOYALTY_ACTIVITY = "LOYALTY_ACTIVITY"
    PROFILE = "PROFILE"
    PREFERENCES = "PREFERENCES"


# Which sources each token role may record (admins record what was given elsewhere, e.g. on paper).
SOURCES_BY_ROLE: dict[str, frozenset[ConsentSource]] = {
    "member": frozenset({ConsentSource.APP}),
    "storefront": frozenset({ConsentSource.STOREFRONT}),
    "partner": frozenset({ConsentSource.PARTNER}),
    "admin": frozenset(ConsentSource),
}
DEFAULT_SOURCE_BY_ROLE: dict[str, ConsentSource] = {
    "member": ConsentSource.APP,
    "storefront": ConsentSource.STOREFRONT,
    "partner": ConsentSource.PARTNER,
    "admin": ConsentSource.ADMIN,
}


@dataclass(frozen=True, slots=True)
class PurposeSpec:
    key: str
    description: str
    legal_basis: LegalBasis


# Every program starts with these (seeded when it is created; migration 0011 for older ones).
ACCOUNT = "account"
MARKETING_EMAIL = "marketing_email"
MARKETING_PUSH = "marketing_push"
MARKETING_SMS = "marketing_sms"
PERSONALIZATION = "personalization"
PROFILING = "profiling"
PARTNER_SHARING = "partner_sharing"
ANALYTICS = "analytics"
REFERRAL_DISPLAY = "referral_display"
DEFAULT_PURPOSES: tuple[PurposeSpec, ...] = (
    PurposeSpec(
        ACCOUNT,
        "Running your loyalty account: points, rewards, tiers and support by the program's staff.",
        LegalBasis.CONTRACT,
    ),
    PurposeSpec(MARKETING_EMAIL, "Offers and news by email.", LegalBasis.CONSENT),
    PurposeSpec(MARKETING_PUSH, "Offers and news by push notification.", LegalBasis.CONSENT),
    PurposeSpec(MARKETING_SMS, "Offers and news by text message.", LegalBasis.CONSENT),
    PurposeSpec(
        PERSONALIZATION,
        "Suggestions chosen from your points, tier and activity, such as rewards within reach.",
        LegalBasis.LEGITIMATE_INTEREST,
    ),
    PurposeSpec(
        PROFILING, "Segments and predictions built from your activity.", LegalBasis.CONSENT
    ),
    PurposeSpec(
        PARTNER_SHARING,
        "Sharing your personal data with the program's partners.",
        LegalBasis.CONSENT,
    ),
    PurposeSpec(
        ANALYTICS,
        "Statistics about how the program is used, to improve it.",
        LegalBasis.LEGITIMATE_INTEREST,
    ),
    PurposeSpec(
        REFERRAL_DISPLAY,
        "Showing your display name to the member who referred you.",
        LegalBasis.CONSENT,
    ),
)
DEFAULT_BASIS: dict[str, LegalBasis] = {p.key: p.legal_basis for p in DEFAULT_PURPOSES}

PURPOSE_KEY_MAX = 40
DESCRIPTION_MAX = 500
REASON_MAX = 200
MAX_CHANGES = 20
MAX_CATEGORIES = len(DataCategory)
FIRST_POLICY_VERSION = 1
_PURPOSE_KEY = re.compile(r"[a-z][a-z0-9_]{1,39}", re.ASCII)


def is_purpose_key(value: str) -> bool:
    """2-40 characters: a lower-case letter, then lower-case letters, digits or underscores."""
    return _PURPOSE_KEY.fullmatch(value) is not None


def allowed(basis: LegalBasis, granted: bool | None) -> bool:
    """Whether data may be used for a purpose of `basis`, the member's latest say being `granted`
    (None: it said nothing)."""
    if basis is LegalBasis.CONTRACT:
        return True
    if granted is None:
        return basis is LegalBasis.LEGITIMATE_INTEREST
    return granted


def needs_reconsent(
    basis: LegalBasis, granted: bool | None, version: int | None, current: int
) -> bool:
    """A consent given under an older policy version than the purpose's current one still holds
    until the member answers again, but the member must be asked: it needs re-consent."""
    return (
        basis is LegalBasis.CONSENT
        and granted is True
        and version is not None
        and version < current
    )


@dataclass(frozen=True, slots=True)
class ConsentChange:
    purpose: str
    granted: bool


def validate_changes(changes: list[ConsentChange]) -> None:
    """1-20 changes, each naming a well-formed purpose at most once."""
    problems = ProblemCollector()
    if not 1 <= len(changes) <= MAX_CHANGES:
        problems.add(
            "changes",
            f"Give 1 to {MAX_CHANGES} consent changes.",
            ErrorCode.INVALID_CONSENT_CHANGE,
        )
    seen: set[str] = set()
    for index, change in enumerate(changes[:MAX_CHANGES]):
        if not is_purpose_key(change.purpose):
            problems.add(
                ("changes", str(index), "purpose"),
                "A purpose key is 2-40 lower-case letters, digits or underscores.",
                ErrorCode.UNKNOWN_PURPOSE,
            )
        elif change.purpose in seen:
            problems.add(
                ("changes", str(index), "purpose"),
                f"Purpose {change.purpose!r} is named twice.",
                ErrorCode.INVALID_CONSENT_CHANGE,
            )
        seen.add(change.purpose)
    problems.raise_if_any()


def validate_purpose(key: str, description: str) -> str:
    """The cleaned description of a new purpose; every problem at once."""
    problems = ProblemCollector()
    if not is_purpose_key(key):
        problems.add(
            "key",
            "A purpose key is 2-40 lower-case letters, digits or underscores, starting with a letter.",
            ErrorCode.INVALID_PURPOSE,
        )
    text = problems.one_line_text(
        "description",
        description,
        max_length=DESCRIPTION_MAX,
        label="The description",
        code=ErrorCode.INVALID_PURPOSE,
    )
    problems.raise_if_any()
    assert text is not None
    return text


def validate_description(description: str) -> str:
    """A purpose's description: 1-500 characters on one line."""
    problems = ProblemCollector()
    text = problems.one_line_text(
        "description",
        description,
        max_length=DESCRIPTION_MAX,
        label="The description",
        code=ErrorCode.INVALID_PURPOSE,
    )
    problems.raise_if_any()
    assert text is not None
    return text


def clean_reason(reason: str) -> str:
    """A data use's short reason, one line of at most REASON_MAX characters (cut, never refused:
    reasons are written by the system, not by clients)."""
    text = clean_text(reason, max_length=10_000) or "unspecified"
    return text[:REASON_MAX]


CATEGORY_WORDS: dict[DataCategory, str] = {
    DataCategory.CONTACT: "contact details",
    DataCategory.PURCHASE_HISTORY: "purchase history",
    DataCategory.LOYALTY_ACTIVITY: "loyalty activity",
    DataCategory.PROFILE: "profile",
    DataCategory.PREFERENCES: "preferences",
}
# Who used the data, by the actor's role (`role:subject`, or `system:<part>` for the program's
# own services).
_ACTOR_WORDS = {
    "system": "the program's {0}",
    "admin": "the program's staff ({0})",
    "storefront": "the storefront {0}",
    "partner": "the partner {0}",
    "member": "you",
}
SYSTEM_PARTS = {
    "rewards.within_reach": "reward suggestions",
    "insights.predictions": "predictions",
    "insights.recommendations": "product recommendations",
}


def describe_actor(actor: str) -> str:
    role, _, subject = actor.partition(":")
    if role == "system":
        subject = SYSTEM_PARTS.get(subject, subject)
    return _ACTOR_WORDS.get(role, "{0}").format(subject)


def describe_use(actor: str, purpose: str, categories: list[DataCategory], reason: str) -> str:
    """A data use in plain words, e.g. "The program's reward suggestions used your loyalty
    activity for personalization: ..."."""
    words = [CATEGORY_WORDS[c] for c in categories] or ["data"]
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    who = describe_actor(actor)
    return (
        f"{who[0].upper()}{who[1:]} used your {listed} for {purpose.replace('_', ' ')}: {reason}."
    )
