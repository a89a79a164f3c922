"""Rules of erasure: what an erased member's identity becomes, and how a tombstone names it.

A tombstone keeps a salted digest (HMAC-SHA256 under a secret key) of an erased member's
normalised email and externalId, never the values: enrolling the same identity again is refused,
yet a leaked table reveals nothing without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from enum import StrEnum

ERASED_DISPLAY_NAME = "Erased member"
ERASED_EXTERNAL_ID_PREFIX = "erased:"
ERASED_EMAIL_DOMAIN = "erased.invalid"  # RFC 2606: never a deliverable address


class TombstoneKind(StrEnum):
    EMAIL = "email"
    EXTERNAL_ID = "external_id"


def tombstone_digest(key: bytes, kind: TombstoneKind, value: str) -> str:
    """The hex HMAC of one normalised identifier; the kind is part of the message."""
    normalised = value.strip().lower() if kind is TombstoneKind.EMAIL else value
    return hmac.new(key, f"{kind.value}\x00{normalised}".encode(), hashlib.sha256).hexdigest()


def pseudonym() -> str:
    """A fresh random pseudonym: it links to nothing, not even the member's id."""
    return secrets.token_hex(12)


def erased_external_id(alias: str) -> str:
    return f"{ERASED_EXTERNAL_ID_PREFIX}{alias}"


def erased_email(alias: str) -> str:
    return f"{alias}@{ERASED_EMAIL_DOMAIN}"
