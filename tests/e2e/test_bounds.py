"""Limits that must agree end to end: every subject a token may carry can write, and every number
the API stores is one every client can read back."""

from __future__ import annotations

import pytest

from api.auth import Role
from domain.validation import SUBJECT_MAX
from tests.conftest import token
from tests.e2e.conftest import GraphQLClient
from tests.e2e.points_helpers import (
    ADJUST,
    AWARD,
    REDEEM,
    award_order,
    configure,
    errors,
    key,
    ledger,
    write,
)

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("role", [Role.STOREFRONT, Role.ADMIN])
async def test_a_token_with_the_longest_subject_can_write(
    gql: GraphQLClient, ann: str, role: Role
) -> None:
    bearer = token(role, subject="s" * SUBJECT_MAX)
    grant = {"manual": {"points": 10, "reason": "Goodwill"}}
    awarded = await write(
        gql, AWARD, {"idempotencyKey": key(), "externalId": ann, "source": grant}, bearer=bearer
    )
    spent = await write(
        gql, REDEEM, {"idempotencyKey": key(), "externalId": ann, "points": 3}, bearer=bearer
    )
    assert (errors(awarded), errors(spent)) == ([], [])
    if role is Role.ADMIN:
        adjusted = await write(
            gql,
            ADJUST,
            {"idempotencyKey": key(), "externalId": ann, "points": -1, "reason": "Fix"},
            bearer=bearer,
        )
        assert errors(adjusted) == []
    assert [entry["points"] for entry in await ledger(gql, ann)][-2:] == [-3, 10]


async def test_a_longer_subject_is_unauthenticated(gql: GraphQLClient, ann: str) -> None:
    bearer = token(Role.STOREFRONT, subject="s" * (SUBJECT_MAX + 1))
    body = await gql.post(
        "mutation($input: RedeemPointsInput!) { redeemPoints(input: $input) { replayed } }",
        {"input": {"idempotencyKey": key(), "externalId": ann, "points": 1}},
        bearer=bearer,
    )
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_an_award_whose_explanation_a_client_cannot_read_is_refused(
    gql: GraphQLClient, ann: str
) -> None:
    # Capped to 100 points, but the order's BASE line alone would be ~1e16: no GraphQL Int.
    await configure(gql, earnRate="10000", cap={"period": "DAY", "maxPoints": 100})
    refused = await award_order(gql, ann, "o-1", "999999999999.99")
    assert (refused["entry"], errors(refused)) == (None, ["POINTS_OUT_OF_RANGE"])
    uncapped = await award_order(gql, ann, "o-2", "214748.37")  # 2147483700 points at 10000
    assert errors(uncapped) == ["POINTS_OUT_OF_RANGE"]
    assert await ledger(gql, ann) == []
    fits = await award_order(gql, ann, "o-3", "10.00")
    assert (fits["entry"]["points"], errors(fits)) == (100, [])
    assert [entry["points"] for entry in await ledger(gql, ann)] == [100]
