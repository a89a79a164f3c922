"""Partner clients, pure: their scopes, names, credential formats and token lifetimes.

A partner integrates through OAuth 2 client credentials (RFC 6749 §4.4): an admin registers a
client with some scopes, the partner trades the client's id and secret at /oauth/token for a
short-lived token, and every field a partner may use names the scope it needs.

Client secrets are 32 random bytes (256 bits). Stored as a SHA-256 digest, not with a slow
password hash: a slow hash protects guessable secrets, and nothing can guess 256 random bits; a
fast digest keeps the token endpoint cheap to call.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta
from enum import StrEnum

from domain.validation import ErrorCode, InvalidInput, Problem, clean_text


class Scope(StrEnum):
    """What a partner's token may do; the value is the OAuth scope token."""

    REFERRALS_WRITE = "referrals:write"  # attributeReferral
    REFERRALS_READ = "referrals:read"  # the referrals it brought
    MEMBERS_READ = "members:read"  # partnerMember: the members it brought or that share with it
    EVENTS_READ = "events:read"  # the program's event log, member ids only with consent
    WEBHOOKS_MANAGE = "webhooks:manage"  # its own webhook subscriptions and deliveries


CLIENT_ID_PREFIX = "pc_"
SECRET_PREFIX = "pcs_"  # noqa: S105 - a prefix, not a secret
NAME_MAX = 100
# Long enough to hold any RFC 6749 scope request of the scopes there are, refused beyond.
SCOPE_PARAMETER_MAX = 200
TOKEN_TTL_DEFAULT = timedelta(minutes=15)
TOKEN_TTL_MIN = timedelta(minutes=1)
TOKEN_TTL_MAX = timedelta(hours=1)
# After a rotation the previous secret keeps working this long (clients deploy the new one).
OVERLAP_DEFAULT = timedelta(hours=24)
OVERLAP_MAX = timedelta(days=30)
# The current secret and the two before it, at most, work at any time.
LIVE_SECRETS_MAX = 3


def new_client_id() -> str:
    return CLIENT_ID_PREFIX + secrets.token_hex(10)


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def hint(secret: str) -> str:
    """The last characters of a secret, shown so an admin can tell which one a partner holds."""
    return "…" + secret[-4:]


def is_client_id(text: str) -> bool:
    body = text[len(CLIENT_ID_PREFIX) :]
    return (
        text.startswith(CLIENT_ID_PREFIX)
        and len(body) == 20
        and all(c in "0123456789abcdef" for c in body)
    )


def clean_name(name: str, field: tuple[str, ...] = ("name",)) -> str:
    cleaned = clean_text(name, max_length=NAME_MAX)
    if cleaned is None:
        raise InvalidInput(
            Problem(
                field,
                f"A client name is 1-{NAME_MAX} printable characters.",
                ErrorCode.INVALID_NAME,
            )
        )
    return cleaned


def clean_scopes(scopes: Iterable[str], field: tuple[str, ...] = ("scopes",)) -> tuple[str, ...]:
    """The scopes an admin grants: at least one, each a known scope; sorted, without repeats."""
    given = list(scopes)
    known = {scope.value for scope in Scope}
    unknown = [scope for scope in given if scope not in known]
    if not given or unknown or len(given) > len(known) * 2:
        listed = ", ".join(sorted(known))
        raise InvalidInput(
            Problem(field, f"Scopes are one or more of: {listed}.", ErrorCode.INVALID_SCOPES)
        )
    return tuple(sorted(set(given)))


def requested_scopes(parameter: str | None, granted: Iterable[str]) -> tuple[str, ...] | None:
    """The scopes a token request asks for (RFC 6749 §3.3: space-delimited, case-sensitive), all
    of the client's when it names none; None when it asks for one the client was not granted."""
    allowed = set(granted)
    if parameter is None:
        return tuple(sorted(allowed))
    asked = set(parameter.split(" ")) - {""}
    if not asked or len(parameter) > SCOPE_PARAMETER_MAX or not asked <= allowed:
        return None
    return tuple(sorted(asked))


def clean_overlap(hours: int | None, field: tuple[str, ...] = ("overlapHours",)) -> timedelta:
    if hours is None:
        return OVERLAP_DEFAULT
    limit = int(OVERLAP_MAX.total_seconds() // 3600)
    if not 0 <= hours <= limit:
        raise InvalidInput(
            Problem(
                field,
                f"The overlap is 0-{limit} hours (0: the old secret stops at once).",
                ErrorCode.INVALID_OVERLAP,
            )
        )
    return timedelta(hours=hours)


# What partners see of the event log (the `events` query and their webhooks): nothing about
# other partners' clients and endpoints, and of each event only what the members it concerns
# consent to share (partner_sharing).
# campaign.*: the program's own instructions to its messaging provider (whom to message, about
# which product), never a partner's business.
HIDDEN_FROM_PARTNERS = ("partner.", "webhook.", "campaign.")
# Events that instruct the program's own systems to contact the member: useless without whom, so
# the program's own webhook subscriptions (never partners', by the line above) get the member's
# id. The member consented to be messaged on the event's channel when it was decided.
ADDRESSED_TO_MEMBER = ("campaign.message_due",)
# Payload fields naming another member than the event's own: kept only if that member shares.
MEMBER_KEY_FIELDS = ("referrerId", "authorId")
# Payload fields describing the member's activity (its balance, its order references).
ACTIVITY_FIELDS = ("availableAfter", "sourceRef")


def shown_to_partners(event_type: str) -> bool:
    return not event_type.startswith(HIDDEN_FROM_PARTNERS)


def partner_payload(
    payload: dict[str, object], *, member_shares: bool, sharing: set[int]
) -> dict[str, object]:
    """The payload a partner may see: member keys of members who do not share become null, and
    activity fields are dropped unless the event's member shares."""
    seen: dict[str, object] = {}
    for name, value in payload.items():
        if name in ACTIVITY_FIELDS and not member_shares:
            continue
        if name in MEMBER_KEY_FIELDS and value not in sharing:
            value = None
        seen[name] = value
    return seen


def members_named(payload: dict[str, object]) -> set[int]:
    """The member keys a payload names besides the event's own member."""
    return {v for name in MEMBER_KEY_FIELDS if isinstance(v := payload.get(name), int)}
