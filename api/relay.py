"""Relay conventions: opaque cursors and page sizes capped at 100 (Shopify/GitHub style)."""

from __future__ import annotations

import base64
import binascii

from api.errors import ClientError, TopLevelCode

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
FIRST = f"How many items to return, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE})."
AFTER = "Return items after this cursor (a previous page's endCursor)."


def page_size(first: int | None, connection: str) -> int:
    """Validate `first`: a clear BAD_USER_INPUT error outside 1..100, never a silent clamp."""
    if first is None:
        return DEFAULT_PAGE_SIZE
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise ClientError(
            f"`first` on `{connection}` must be between 1 and {MAX_PAGE_SIZE}, got {first}.",
            TopLevelCode.BAD_USER_INPUT,
        )
    return first


def encode_cursor(kind: str, key: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode()


def decode_cursor(cursor: str | None, kind: str) -> int | None:
    """The key inside a cursor made by `encode_cursor(kind, ...)`; BAD_USER_INPUT if it is not one."""
    if cursor is None:
        return None
    try:
        prefix, _, key = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if prefix == kind:
            return int(key)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ClientError(f"`after` is not a valid {kind} cursor.", TopLevelCode.BAD_USER_INPUT)
