"""Request ids and the access log, as production writes them: every request answers with its
`X-Request-ID`, and every GraphQL request leaves one JSON line naming its operation, program,
client, duration and outcome, with no token and nothing personal in it."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api.auth import Role
from api.logs import configure_logging, reset_logging
from loyalty import programs
from tests.conftest import token
from tests.e2e.conftest import ENROLL, GraphQLClient, provision

pytestmark = pytest.mark.e2e

GENERATED = re.compile(r"[0-9a-f]{32}")
EXTERNAL_ID = "cust-7Qz31"
EMAIL = "ada.lovelace@example.com"
NAME = "Ada Lovelace"
STATUS = "query MemberStatus { me { id externalId email points { available } } }"


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """Production's configuration, writing to a buffer for the duration of the test."""
    root = logging.getLogger()
    level = root.level
    buffer = io.StringIO()
    configure_logging(json=True, level="INFO", stream=buffer)
    yield buffer
    reset_logging()
    root.setLevel(level)


def lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    """Every line written, each of which must be one JSON object."""
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def access_line(buffer: io.StringIO, request_id: str) -> dict[str, Any]:
    [line] = [
        line
        for line in lines(buffer)
        if line.get("event") == "graphql request" and line.get("request_id") == request_id
    ]
    return line


async def post(
    client: httpx.AsyncClient, body: dict[str, Any], bearer: str | None = None, **headers: str
) -> httpx.Response:
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    return await client.post("/graphql", json=body, headers=headers)


async def test_a_request_without_an_id_is_given_a_fresh_one(client: httpx.AsyncClient) -> None:
    first = await post(client, {"query": "{ __typename }"}, token(Role.ADMIN))
    second = await post(client, {"query": "{ __typename }"}, token(Role.ADMIN))
    health = await client.get("/healthz")
    ids = [r.headers["x-request-id"] for r in (first, second, health)]
    assert all(GENERATED.fullmatch(i) for i in ids), ids
    assert len(set(ids)) == 3


async def test_a_safe_id_sent_by_the_caller_is_kept(
    client: httpx.AsyncClient, json_logs: io.StringIO
) -> None:
    response = await post(
        client, {"query": "{ __typename }"}, token(Role.ADMIN), **{"X-Request-ID": "edge-42.a_B"}
    )
    assert response.headers.get_list("x-request-id") == ["edge-42.a_B"]
    assert access_line(json_logs, "edge-42.a_B")["status"] == 200


@pytest.mark.parametrize(
    "hostile",
    ["x" * 129, "abc\ndef", 'abc", "admin": true', "a b", "", "caf\xe9"],
)
async def test_an_unsafe_id_is_replaced(
    client: httpx.AsyncClient, json_logs: io.StringIO, hostile: str
) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers=[
            (b"Authorization", f"Bearer {token(Role.ADMIN)}".encode()),
            (b"X-Request-ID", hostile.encode("latin-1")),
        ],
    )
    [given] = response.headers.get_list("x-request-id")
    assert GENERATED.fullmatch(given), given
    assert access_line(json_logs, given)["outcome"] == "ok"
    assert hostile not in json_logs.getvalue() or hostile == ""


async def test_the_access_line_names_the_request_but_nothing_personal(
    client: httpx.AsyncClient, gql: GraphQLClient, json_logs: io.StringIO
) -> None:
    await provision(gql)
    storefront = token(Role.STOREFRONT, subject="web-shop")
    enrolled = await post(
        client,
        {
            "query": ENROLL,
            "operationName": "Enroll",
            "variables": {
                "input": {
                    "externalId": EXTERNAL_ID,
                    "email": EMAIL,
                    "displayName": NAME,
                    "birthday": "1990-12-10",
                }
            },
        },
        storefront,
    )
    member = token(Role.MEMBER, subject=EXTERNAL_ID)
    status = await post(client, {"query": STATUS}, member)
    assert status.json()["data"]["me"]["email"] == EMAIL

    line = access_line(json_logs, status.headers["x-request-id"])
    assert line["level"] == "info"
    assert line["logger"] == "api.access"
    assert line["operation"] == "MemberStatus"
    assert line["program"] == "acme"
    assert line["client_role"] == "member"
    assert re.fullmatch(r"member:[0-9a-f]{12}", line["client"])
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] > 0
    assert (line["outcome"], line["status"], line["method"]) == ("ok", 200, "POST")
    assert "timestamp" in line

    writing = access_line(json_logs, enrolled.headers["x-request-id"])
    assert (writing["operation"], writing["client_role"]) == ("Enroll", "storefront")
    assert writing["client"] == "web-shop"  # a client's id is no one's personal data

    written = json_logs.getvalue()
    for secret in (member, storefront, EXTERNAL_ID, EMAIL, NAME, "1990-12-10"):
        assert secret not in written


async def test_the_same_member_is_the_same_pseudonym(
    client: httpx.AsyncClient, gql: GraphQLClient, json_logs: io.StringIO
) -> None:
    await provision(gql)
    ids = []
    for subject in ("m-1", "m-1", "m-2"):
        response = await post(client, {"query": STATUS}, token(Role.MEMBER, subject=subject))
        ids.append(response.headers["x-request-id"])
    first, again, other = (access_line(json_logs, i)["client"] for i in ids)
    assert first == again != other


@pytest.mark.parametrize(
    ("body", "operation"),
    [
        ({"query": "{ program { key } me { id } }"}, "program,me"),
        ({"query": "{ a: program { key } b: program { name } }"}, "program"),
        ({"query": f"query {'Q' * 65} {{ program {{ key }} }}"}, "program"),
        ({"query": "query Named { program { key } }", "operationName": "Named"}, "Named"),
        ({"query": "query { program { key } }", "operationName": "No\nSuch"}, "anonymous"),
    ],
)
async def test_operations_are_named_by_a_bounded_label(
    client: httpx.AsyncClient,
    json_logs: io.StringIO,
    body: dict[str, Any],
    operation: str,
) -> None:
    response = await post(client, body, token(Role.ADMIN))
    assert access_line(json_logs, response.headers["x-request-id"])["operation"] == operation


async def test_outcomes_tell_refusals_user_errors_and_http_failures_apart(
    client: httpx.AsyncClient, gql: GraphQLClient, json_logs: io.StringIO
) -> None:
    await provision(gql)
    anonymous = await post(client, {"query": STATUS, "operationName": "MemberStatus"})
    line = access_line(json_logs, anonymous.headers["x-request-id"])
    assert (line["outcome"], line["codes"], line["operation"]) == (
        "errors",
        ["UNAUTHENTICATED"],
        "MemberStatus",
    )
    assert (line["client"], line["client_role"], line["program"]) == (None, None, None)

    refused = await post(
        client,
        {
            "query": ENROLL,
            "variables": {"input": {"externalId": "x-1", "email": "nope", "displayName": "X"}},
        },
        token(Role.STOREFRONT),
    )
    assert access_line(json_logs, refused.headers["x-request-id"])["outcome"] == "user_errors"

    broken = await client.post(
        "/graphql",
        content=b"{not json",
        headers={"Content-Type": "application/json", "X-Request-ID": "bad-json-1"},
    )
    assert broken.status_code == 400
    line = access_line(json_logs, "bad-json-1")
    assert (line["outcome"], line["status"], line["operation"]) == ("http_400", 400, "anonymous")


async def test_a_bug_is_one_json_line_with_its_traceback(
    client: httpx.AsyncClient,
    json_logs: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(key: str) -> None:
        raise KeyError("internal detail")

    monkeypatch.setattr(programs, "find_program", broken)
    response = await post(client, {"query": "{ program { key } }"}, token(Role.ADMIN))
    assert response.json()["errors"][0]["message"] == "Unexpected error."
    request_id = response.headers["x-request-id"]
    [error] = [line for line in lines(json_logs) if line["level"] == "error"]
    assert error["logger"] == "api.error_policy"
    assert error["request_id"] == request_id
    assert error["event"].startswith("unexpected error in")
    assert "Traceback (most recent call last)" in error["exception"]
    assert "KeyError: 'internal detail'" in error["exception"]
    assert access_line(json_logs, request_id)["outcome"] == "errors"
