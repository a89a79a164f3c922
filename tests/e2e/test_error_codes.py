"""Every top-level error carries an `extensions.code` a client can act on. A client's mistake is
shown with its message and never logged as a server error; a bug is masked and logged."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from api import limits
from api.auth import Role
from loyalty import programs
from tests.conftest import token
from tests.e2e.conftest import GraphQLClient, provision

pytestmark = pytest.mark.e2e

ADMIN = token(Role.ADMIN)
MEMBERS = "query($first: Int) { members(first: $first) { edges { cursor } } }"
ENROLL = """mutation($birthday: Date) {
  enrollMember(input: {externalId: "a", email: "a@b.co", displayName: "A", birthday: $birthday}) {
    created
  }
}"""
RATE = "mutation($rate: Decimal!) { configurePoints(input: {earnRate: $rate}) { userErrors { code } } }"
ROUNDING = "mutation($rounding: RoundingMode!) { configurePoints(input: {rounding: $rounding}) { userErrors { code } } }"
NODE = "query($id: ID!) { node(id: $id) { id } }"


def _logged_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """What the service logged at ERROR or above during the test."""
    return [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    ("document", "variables", "message"),
    [
        (MEMBERS, {"first": "ten"}, "Int cannot represent non-integer value: 'ten'"),
        (ENROLL, {"birthday": "2020-13-45"}, "Value cannot represent a Date"),
        (RATE, {"rate": "abc"}, "Value cannot represent a Decimal"),
        (ROUNDING, {"rounding": "SIDEWAYS"}, "'SIDEWAYS' does not exist in 'RoundingMode'"),
        (NODE, {}, "'ID!' to be provided"),
        (NODE, {"id": None}, "'ID!' not to be None"),
        (MEMBERS, {"first": {"nested": [1]}}, "Int cannot represent non-integer value"),
    ],
    ids=["int", "date", "decimal", "enum", "missing", "null", "object"],
)
async def test_bad_variable_values_are_the_clients_mistake(
    gql: GraphQLClient,
    caplog: pytest.LogCaptureFixture,
    document: str,
    variables: dict[str, Any],
    message: str,
) -> None:
    await provision(gql)
    body = await gql.post(document, variables, bearer=ADMIN)
    assert body["data"] is None
    [error] = body["errors"]
    assert message in error["message"], error
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert _logged_errors(caplog) == []


@pytest.mark.parametrize(
    ("document", "code", "message"),
    [
        ("{ program { key ", "GRAPHQL_PARSE_FAILED", "Syntax Error"),
        ("{ program { " + "key " * 6000 + "} }", "GRAPHQL_PARSE_FAILED", "more than 5000 tokens"),
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED", "Cannot query field 'nope'"),
        ('{ members(first: "ten") { edges { cursor } } }', "GRAPHQL_VALIDATION_FAILED", "Int"),
        (
            'mutation { configurePoints(input: {earnRate: "abc"}) { userErrors { code } } }',
            "GRAPHQL_VALIDATION_FAILED",
            "Value cannot represent a Decimal",
        ),
        ("query($unused: Int) { program { key } }", "GRAPHQL_VALIDATION_FAILED", "$unused"),
        ("{ " + "program { " * 13 + "key" + " }" * 14, "GRAPHQL_VALIDATION_FAILED", "depth"),
    ],
    ids=["syntax", "tokens", "unknown field", "argument type", "inline decimal", "unused", "depth"],
)
async def test_documents_the_schema_refuses_say_why_with_a_code(
    gql: GraphQLClient,
    caplog: pytest.LogCaptureFixture,
    document: str,
    code: str,
    message: str,
) -> None:
    body = await gql.post(document, bearer=ADMIN)
    assert body["data"] is None
    [error] = body["errors"]
    assert message in error["message"], error
    assert error["extensions"] == {"code": code}
    assert _logged_errors(caplog) == []


async def test_bugs_stay_masked_and_are_logged(
    gql: GraphQLClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(key: str) -> None:
        raise KeyError("internal detail")

    monkeypatch.setattr(programs, "find_program", broken)
    body = await gql.post(
        "query($key: String!) { memberByExternalId(externalId: $key) { id } }",
        {"key": "c-1"},
        bearer=ADMIN,
    )
    assert body["errors"] == [
        {
            "message": "Unexpected error.",
            "locations": [{"line": 1, "column": 24}],
            "path": ["memberByExternalId"],
        }
    ]
    [record] = _logged_errors(caplog)
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], KeyError)


async def test_a_bug_outside_any_resolver_is_masked_too(
    gql: GraphQLClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("postgresql://secret@db")

    monkeypatch.setattr(limits, "_judge", broken)  # a bug in the document limits, say
    body = await gql.post("{ program { never: key } }", bearer=ADMIN)
    assert body == {"data": None, "errors": [{"message": "Unexpected error."}]}
    [record] = _logged_errors(caplog)
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)
