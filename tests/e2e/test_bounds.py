"""Limits that must agree end to end: every subject a token may carry can write, and every number
the API stores is one every client can read back."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import GraphQLClient
from tests.e2e.points_helpers import (
    award_order,
    configure,
    errors,
    ledger,
)

pytestmark = pytest.mark.e2e


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
