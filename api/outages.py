"""Which failures mean "PostgreSQL or Redis cannot be reached now", rather than a bug.

Clients may retry those later (SERVICE_UNAVAILABLE, HTTP 503); anything else stays a bug.
"""

from __future__ import annotations

import asyncpg
import redis.exceptions
from graphql import GraphQLError

# OSError covers refused, reset and unreachable connections, DNS failures and timeouts
# (TimeoutError, which asyncio.TimeoutError is); tortoise's DBConnectionError is a ConnectionError.
_OUTAGES: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08, and a connection lost mid-query
    asyncpg.OperatorInterventionError,  # class 57: shutting down, starting up, statement timeout
    asyncpg.InsufficientResourcesError,  # class 53: too many connections, out of memory or disk
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)
# asyncpg reports a pool or connection closed under it only by these messages.
_CLOSED = ("pool is closed", "pool is closing", "connection is closed")


def is_outage(error: BaseException) -> bool:
    """True when `error`, or anything that caused it, says a server could not be reached."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, _OUTAGES):
            return True
        if isinstance(current, asyncpg.InterfaceError) and str(current) in _CLOSED:
            return True
        if isinstance(current, GraphQLError):
            pending.append(current.original_error)
        pending.extend((current.__cause__, current.__context__))
    return False
