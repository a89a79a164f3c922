"""What reaches /graphql before any GraphQL: bodies that are not a GraphQL request get 400, bodies
over the size limit 413 before they are read in full, and variables count in the token limit."""

from __future__ import annotations

import itertools
import json
import statistics
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from api.auth import Role
from api.settings import DEFAULT_MAX_BODY_BYTES
from tests.conftest import token
from tests.e2e.conftest import GraphQLClient, provision

pytestmark = pytest.mark.e2e

ADMIN = {"Authorization": f"Bearer {token(Role.ADMIN)}"}
JSON = {"Content-Type": "application/json"}
QUERY = "{ program { key } }"

NOT_GRAPHQL_REQUESTS = {
    "zero": b"0",
    "null": b"null",
    "a string": b'"x"',
    "true": b"true",
    "an empty list": b"[]",
    "invalid UTF-8": b'{"query": "\xff\xfe"}',
    "arrays 1,000 deep": b"[" * 1000 + b"]" * 1000,
    "objects 1,000 deep": b'{"a":' * 1000 + b"1" + b"}" * 1000,
    "variables 1,000 deep": b'{"query": "{ program { key } }", "variables": {"a":'
    + b"[" * 1000
    + b"]" * 1000
    + b"}}",
    "not JSON": b"{query",
    "query a number": b'{"query": 5}',
    "variables a string": b'{"query": "{ program { key } }", "variables": "x"}',
    "variables a list": b'{"query": "{ program { key } }", "variables": [1]}',
    "operationName a number": b'{"query": "{ program { key } }", "operationName": 5}',
    "operationName an object": b'{"query": "{ program { key } }", "operationName": {}}',
    "extensions a number": b'{"query": "{ program { key } }", "extensions": 1}',
}


@pytest.mark.parametrize("body", NOT_GRAPHQL_REQUESTS.values(), ids=NOT_GRAPHQL_REQUESTS.keys())
@pytest.mark.parametrize("headers", [{}, ADMIN], ids=["anonymous", "admin"])
async def test_bodies_that_are_no_graphql_request_get_400(
    client: httpx.AsyncClient, body: bytes, headers: dict[str, str]
) -> None:
    response = await client.post("/graphql", content=body, headers={**JSON, **headers})
    assert response.status_code == 400, response.text


def _padded(size: int) -> bytes:
    """A valid request of exactly `size` bytes: a query followed by spaces."""
    start = json.dumps({"query": QUERY})[:-2].encode()
    return start + b" " * (size - len(start) - 2) + b'"}'


async def test_a_body_at_the_limit_is_served(client: httpx.AsyncClient) -> None:
    body = _padded(DEFAULT_MAX_BODY_BYTES)
    response = await client.post("/graphql", content=body, headers={**JSON, **ADMIN})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("headers", [{}, ADMIN], ids=["anonymous", "admin"])
async def test_a_declared_oversized_body_is_refused_unread(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    # 15 MB took 12 s to be parsed, then refused.
    started = time.perf_counter()
    response = await client.post(
        "/graphql", content=_padded(15_000_000), headers={**JSON, **headers}
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 413, response.text
    trivial = await _seconds(client, QUERY)
    assert elapsed < 50 * trivial


async def test_a_streamed_oversized_body_is_refused_as_it_arrives(
    client: httpx.AsyncClient,
) -> None:
    chunk, chunks_sent = b" " * 4096, itertools.count()

    async def endless() -> AsyncIterator[bytes]:
        yield b'{"query": "' + QUERY.encode()
        while next(chunks_sent) < 10_000:  # 40 MB if nobody stops reading
            yield chunk

    response = await client.post("/graphql", content=endless(), headers={**JSON, **ADMIN})
    assert response.status_code == 413, response.text
    assert next(chunks_sent) * len(chunk) < 2 * DEFAULT_MAX_BODY_BYTES


async def test_variables_count_in_the_token_limit(gql: GraphQLClient) -> None:
    await provision(gql)
    award = "mutation($input: AwardPointsInput!) { awardPoints(input: $input) { replayed } }"
    # 900 lines of 3 fields: 900 * (2 + 3 * 3) tokens, were they written inline.
    lines = [{"sku": f"s{i}", "quantity": 1, "unitPrice": "1"} for i in range(900)]
    variables: dict[str, Any] = {
        "input": {
            "idempotencyKey": "k",
            "externalId": "nobody",
            "source": {"order": {"orderId": "1", "total": "1", "currency": "EUR", "lines": lines}},
        }
    }
    body = await gql.post(award, variables, bearer=token(Role.STOREFRONT))
    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"] == "The document and its variables contain more than 5000 tokens."
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    variables["input"]["source"]["order"]["lines"] = lines[:10]
    body = await gql.post(award, variables, bearer=token(Role.STOREFRONT))
    assert "errors" not in body, body


async def _seconds(client: httpx.AsyncClient, query: str, headers: dict[str, str] = ADMIN) -> float:
    times = []
    for _ in range(5):
        started = time.perf_counter()
        await client.post("/graphql", json={"query": query}, headers=headers)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def test_anonymous_documents_are_parsed_within_the_token_limit(
    client: httpx.AsyncClient,
) -> None:
    """Development lets anonymous introspection through; finding out whether a document is one
    must not parse more than a token holder's document is (30,000 tokens fit in the body)."""
    fresh = itertools.count()

    def huge() -> str:
        return f"query Q{next(fresh)} {{ " + "a " * 30_000 + "}"

    anonymous = await _timed(client, huge, {})
    with_token = await _timed(client, huge, ADMIN)
    assert anonymous < 3 * with_token, (anonymous, with_token)


async def _timed(
    client: httpx.AsyncClient, document: Callable[[], str], headers: dict[str, str]
) -> float:
    times = []
    for _ in range(5):
        text = document()
        started = time.perf_counter()
        response = await client.post("/graphql", json={"query": text}, headers=headers)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    return statistics.median(times)
