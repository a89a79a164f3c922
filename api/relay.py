"""Relay conventions: opaque cursors and page sizes capped at 100 (Shopify/GitHub style)."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from strawberry import relay

from api.errors import ClientError, TopLevelCode

MAX_PAGE_SIZE = 100


class _Keyed(Protocol):
    @property
    def id(self) -> int: ...


R = TypeVar("R", bound=_Keyed)
N = TypeVar("N", bound=relay.Node)
C = TypeVar("C", bound=relay.Connection[Any])
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


_KEY = re.compile(r"[1-9][0-9]{0,18}")
_MAX_KEY = 2**63 - 1  # PostgreSQL bigint


def parse_key(text: str) -> int | None:
    """A database key written in ASCII digits and within bigint range; None for anything else
    (so one row never has two spellings, and nothing reaches the database that it would refuse)."""
    if _KEY.fullmatch(text) is None:
        return None
    key = int(text)
    return key if key <= _MAX_KEY else None


def decode_global_id(global_id: str, type_name: str) -> int | None:
    """The key inside an opaque global id of `type_name`; None when it is malformed or another type."""
    try:
        decoded = relay.GlobalID.from_id(global_id)
    except ValueError:  # GlobalIDValueError, base64 and UTF-8 errors are all ValueErrors
        return None
    # Base64 decoding skips characters outside its alphabet (a NUL, a newline): only the id as
    # the API writes it names the row, so no other spelling reaches it.
    if decoded.type_name != type_name or str(decoded) != global_id:
        return None
    return parse_key(decoded.node_id)


def keyset_connection(
    connection: type[C],
    rows: Sequence[R],
    limit: int,
    kind: str,
    to_node: Callable[[R], N],
    *,
    after: str | None,
) -> C:
    """A connection page from `limit + 1` rows fetched in key order: the extra row only tells
    whether another page follows (no COUNT query)."""
    page = rows[:limit]
    edges = [relay.Edge(cursor=encode_cursor(kind, row.id), node=to_node(row)) for row in page]
    return connection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=len(rows) > limit,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


def encode_cursor(kind: str, key: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode()


def decode_cursor(cursor: str | None, kind: str) -> int | None:
    """The key inside a cursor made by `encode_cursor(kind, ...)`; BAD_USER_INPUT if it is not one."""
    if cursor is None:
        return None
    try:
        prefix, _, key = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        parsed = parse_key(key) if prefix == kind else None
        if parsed is not None and encode_cursor(kind, parsed) == cursor:  # as written, only
            return parsed
    except ValueError:  # binascii.Error and UnicodeDecodeError included
        pass
    raise ClientError(f"`after` is not a valid {kind} cursor.", TopLevelCode.BAD_USER_INPUT)
