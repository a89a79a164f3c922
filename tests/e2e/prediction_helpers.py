"""Helpers for the predictions' end-to-end tests: orders with lines at chosen days, consent, the
job, and the member's predictions over GraphQL."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from tortoise import connections

from backbone.bus import MessageBus
from backbone.jobs import run_now
from domain.clock import FixedClock
from tests.conftest import START
from tests.e2e.conftest import GraphQLClient
from tests.e2e.points_helpers import STORE, award_order, member_token

JOB = "insights.predictions"
CONSENT = """mutation($input: UpdateConsentsInput!) {
  updateConsents(input: $input) { userErrors { field code } } }"""
FACTOR = "code label value reference effect direction"
PREDICTION = f"""{{ me {{
  prediction {{ churnProbability expectedOrdersNext90Days expectedNextOrderAt
    why {{ {FACTOR} }} modelVersion computedAt }}
  reorders(first: 10) {{ sku lastOrderedAt cycleDays dueAt orders why {{ {FACTOR} }} modelVersion }}
  recommendedProducts(first: 5) {{ sku confidence lift becauseOf }}
}} }}"""


def day(n: float) -> datetime:
    return START + timedelta(days=n)


async def consent(gql: GraphQLClient, external_id: str, purpose: str, granted: bool) -> None:
    changes = [{"purpose": purpose, "granted": granted}]
    data = await gql.ok(
        CONSENT, {"input": {"externalId": external_id, "changes": changes}}, bearer=STORE
    )
    assert data["updateConsents"]["userErrors"] == []


async def orders_on_days(
    gql: GraphQLClient, clock: FixedClock, plan: dict[str, list[tuple[float, list[str]]]]
) -> None:
    """Each member's orders (day, SKUs) placed in time order, the clock moved to each."""
    placed = sorted(
        (at, external_id, n, skus)
        for external_id, orders in plan.items()
        for n, (at, skus) in enumerate(orders)
    )
    for at, external_id, n, skus in placed:
        clock.set(day(at))
        lines = [{"sku": sku, "quantity": 1, "unitPrice": "5.00"} for sku in skus]
        total = f"{5 * len(skus)}.00"
        payload = await award_order(gql, external_id, f"{external_id}-{n}", total, lines=lines)
        assert payload["userErrors"] == [], payload


async def run_job(bus: MessageBus) -> Any:
    return (await run_now(bus, {JOB}))[JOB]


async def mine(gql: GraphQLClient, external_id: str) -> dict[str, Any]:
    data = await gql.ok(PREDICTION, bearer=member_token(external_id))
    found: dict[str, Any] = data["me"]
    return found


async def stored(table: str, external_id: str) -> int:
    [row] = await connections.get("default").execute_query_dict(
        f"SELECT count(*) AS n FROM {table} t JOIN member m ON m.id = t.member_id"  # noqa: S608 - test tables
        " WHERE m.external_id = $1",
        [external_id],
    )
    return int(row["n"])


class _Statements(logging.Handler):
    """Counts the statements Tortoise sends (it logs each at DEBUG)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += not str(record.msg).startswith(("Created connection", "Closed connection"))


async def statements(gql: GraphQLClient, query: str, bearer: str) -> int:
    """How many statements answering `query` costs."""
    logger = logging.getLogger("tortoise.db_client")
    counter, level = _Statements(), logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    try:
        await gql.ok(query, bearer=bearer)
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)
    return counter.count
