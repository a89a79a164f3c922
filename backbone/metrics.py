"""The service's Prometheus metrics that code below the HTTP layer records (GET /metrics serves
them: api/metrics.py).

With PROMETHEUS_MULTIPROC_DIR set before prometheus_client is first imported (`loyalty serve`
does it), every process writes its values to files in that folder and a scrape sums them over
the processes, whichever worker answers it.

Ledger entries count only once their transaction commits: a unit of work nested in another
transaction (a savepoint: the relay's consumers) hands its entries to the outermost one, and they
count when that one commits, never for a batch rolled back and delivered again.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar, Token

from prometheus_client import Counter, Histogram

from domain.events import POSTED_BY_KIND, DomainEvent

# Requests take about a millisecond: finer buckets below 10 ms than prometheus_client's own.
REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

GRAPHQL_REQUESTS = Histogram(
    "loyalty_graphql_request_seconds",
    "GraphQL requests by operation and outcome, and how long they took.",
    ["operation", "outcome"],
    buckets=REQUEST_BUCKETS,
)
USER_ERRORS = Counter(
    "loyalty_user_errors_total", "userErrors returned by mutations, by code.", ["code"]
)
LEDGER_ENTRIES = Counter(
    "loyalty_ledger_entries_total", "Ledger entries committed, by kind.", ["kind"]
)
WEBHOOK_DELIVERIES = Counter(
    "loyalty_webhook_deliveries_total",
    "Webhook delivery attempts by outcome: delivered, retrying (failed, tried again later) or"
    " failed (given up).",
    ["outcome"],
)
RATE_LIMITS_UNCHECKED = Counter(
    "loyalty_rate_limits_unchecked_total",
    "Requests let through unthrottled because Redis could not be reached (fail open).",
)
SCRAPE_ERRORS = Counter(
    "loyalty_metrics_scrape_errors_total",
    "Scrapes that could not read the database's figures (those series were left out).",
)

_KIND_OF_EVENT: dict[type[DomainEvent], str] = {
    event: kind.value for kind, event in POSTED_BY_KIND.items()
}
# Entries of savepoints released inside the current outermost transaction, not yet committed.
_held: ContextVar[list[str] | None] = ContextVar("loyalty_held_ledger_entries", default=None)


class LedgerCount:
    """The ledger entries of one transaction, counted when the outermost one commits."""

    def __init__(self, *, nested: bool) -> None:
        self._token: Token[list[str] | None] | None = None if nested else _held.set([])

    def done(self, events: Iterable[DomainEvent], *, committed: bool) -> None:
        kinds = [k for e in events if (k := _KIND_OF_EVENT.get(type(e))) is not None]
        if self._token is not None:  # the outermost transaction: what it and its savepoints wrote
            held = _held.get() or []
            _held.reset(self._token)
            if committed:
                _count([*held, *kinds])
        elif committed:
            outer = _held.get()
            if outer is None:  # inside a transaction opened elsewhere: counted as released
                _count(kinds)
            else:
                outer.extend(kinds)


def _count(kinds: Iterable[str]) -> None:
    for kind in kinds:
        LEDGER_ENTRIES.labels(kind).inc()
