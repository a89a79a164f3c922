"""Helpers for the points end-to-end tests: the points mutations and reads over GraphQL."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from api.auth import Role
from loyalty.models import Program
from loyalty.points.audit import audit_program
from tests.conftest import token
from tests.e2e.conftest import GraphQLClient

STORE = token(Role.STOREFRONT)
ADMIN = token(Role.ADMIN)

BALANCE = "available pending debt lifetimeEarned"
ENTRY = (
    "id kind points reasonCode reason sourceReference explanation { code label points }"
    f" balanceAfter {{ {BALANCE} }}"
)
PAYLOAD = (
    f"entry {{ {ENTRY} }} balance {{ {BALANCE} }} replayed userErrors {{ field message code }}"
)


def _mutation(name: str, input_type: str) -> str:
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {PAYLOAD} }} }}"


AWARD = _mutation("awardPoints", "AwardPointsInput")
REDEEM = _mutation("redeemPoints", "RedeemPointsInput")
REVERSE = _mutation("reverseOrder", "ReverseOrderInput")
ADJUST = _mutation("adjustPoints", "AdjustPointsInput")
CONFIGURE = """mutation($input: ConfigurePointsInput!) {
  configurePoints(input: $input) {
    configuration { earnRate rounding pendingDays clawbackPolicy cap { period maxPoints } }
    userErrors { field message code }
  }
}"""
POINTS = f"""query($days: Int!) {{
  me {{ points {{ {BALANCE} expiringSoon(withinDays: $days) {{ points expiresOn expiresAt }} }} }}
}}"""
LEDGER = f"""query($first: Int, $after: String) {{
  me {{ ledger(first: $first, after: $after) {{
    edges {{ cursor node {{ {ENTRY} }} }}
    pageInfo {{ hasNextPage hasPreviousPage endCursor }}
  }} }}
}}"""


def key() -> str:
    return f"k-{uuid.uuid4().hex}"


def member_token(external_id: str, program: str = "acme") -> str:
    return token(Role.MEMBER, program, subject=external_id)


async def configure(gql: GraphQLClient, **config: Any) -> dict[str, Any]:
    data = await gql.ok(CONFIGURE, {"input": config}, bearer=ADMIN)
    payload: dict[str, Any] = data["configurePoints"]
    assert payload["userErrors"] == [], payload
    return payload


async def write(
    gql: GraphQLClient, mutation: str, input: dict[str, Any], *, bearer: str = STORE
) -> dict[str, Any]:
    """Run one points mutation; returns its payload (entry, balance, replayed, userErrors)."""
    data = await gql.ok(mutation, {"input": input}, bearer=bearer)
    [payload] = data.values()
    result: dict[str, Any] = payload
    return result


async def award_manual(
    gql: GraphQLClient, external_id: str, points: int, *, idem: str | None = None
) -> dict[str, Any]:
    source = {"manual": {"points": points, "reason": "Goodwill"}}
    return await write(
        gql, AWARD, {"idempotencyKey": idem or key(), "externalId": external_id, "source": source}
    )


async def award_order(
    gql: GraphQLClient,
    external_id: str,
    order_id: str,
    total: str,
    *,
    lines: list[dict[str, Any]] | None = None,
    currency: str = "EUR",
    idem: str | None = None,
) -> dict[str, Any]:
    order = {"orderId": order_id, "total": total, "currency": currency, "lines": lines or []}
    return await write(
        gql,
        AWARD,
        {"idempotencyKey": idem or key(), "externalId": external_id, "source": {"order": order}},
    )


async def award_event(
    gql: GraphQLClient, external_id: str, name: str, reference: str = ""
) -> dict[str, Any]:
    source = {"event": {"name": name, "reference": reference}}
    return await write(
        gql, AWARD, {"idempotencyKey": key(), "externalId": external_id, "source": source}
    )


async def redeem(
    gql: GraphQLClient, external_id: str, points: int, *, idem: str | None = None
) -> dict[str, Any]:
    return await write(
        gql, REDEEM, {"idempotencyKey": idem or key(), "externalId": external_id, "points": points}
    )


async def reverse(
    gql: GraphQLClient,
    order_id: str,
    return_id: str,
    amount: str,
    *,
    currency: str = "EUR",
    idem: str | None = None,
) -> dict[str, Any]:
    return await write(
        gql,
        REVERSE,
        {
            "idempotencyKey": idem or key(),
            "orderId": order_id,
            "returnId": return_id,
            "amount": amount,
            "currency": currency,
        },
    )


async def points(gql: GraphQLClient, external_id: str, within_days: int = 30) -> dict[str, Any]:
    data = await gql.ok(POINTS, {"days": within_days}, bearer=member_token(external_id))
    summary: dict[str, Any] = data["me"]["points"]
    return summary


async def balance(gql: GraphQLClient, external_id: str) -> dict[str, int]:
    summary = await points(gql, external_id)
    return {k: summary[k] for k in ("available", "pending", "debt", "lifetimeEarned")}


async def ledger(gql: GraphQLClient, external_id: str, page: int = 100) -> list[dict[str, Any]]:
    """Every ledger entry of the member, newest first, following the cursors."""
    nodes: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        data = await gql.ok(
            LEDGER, {"first": page, "after": after}, bearer=member_token(external_id)
        )
        connection = data["me"]["ledger"]
        nodes.extend(edge["node"] for edge in connection["edges"])
        if not connection["pageInfo"]["hasNextPage"]:
            return nodes
        after = connection["pageInfo"]["endCursor"]


def errors(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["userErrors"]]


def lines(entry: dict[str, Any]) -> list[tuple[str, int]]:
    return [(line["code"], line["points"]) for line in entry["explanation"]]


def bal(available: int, pending: int = 0, debt: int = 0, lifetime: int = 0) -> dict[str, int]:
    return {"available": available, "pending": pending, "debt": debt, "lifetimeEarned": lifetime}


def assert_running_sums(entries: list[dict[str, Any]]) -> None:
    """Newest first: each entry's balanceAfter.available is the previous one's plus its delta
    for entries that move `available` one to one (EARN without pending/debt, REDEEM)."""
    for newer, older in itertools.pairwise(entries):
        step = newer["balanceAfter"]["available"] - older["balanceAfter"]["available"]
        assert step == newer["points"], (newer, older)


async def assert_ledger_audits_clean(program: str = "acme") -> None:
    """The ledger audit (balances = sum of entries, lots cover balances) finds nothing."""
    found = await Program.get(key=program)
    assert await audit_program(found.id) == []
