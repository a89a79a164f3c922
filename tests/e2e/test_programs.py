"""Provisioning and configuring a program (tenant) through GraphQL."""

from __future__ import annotations

import pytest

from api.auth import Role
from tests.conftest import token
from tests.e2e.conftest import CREATE_PROGRAM, GraphQLClient

pytestmark = pytest.mark.e2e

ADMIN = token(Role.ADMIN, "acme")
UPDATE = """mutation($input: UpdateProgramInput!) {
  updateProgram(input: $input) { program { name timezone defaultLocale currency } userErrors { field code } }
}"""


def _create(**overrides: str) -> dict[str, object]:
    return {
        "input": {
            "name": "Acme Rewards",
            "currency": "EUR",
            "timezone": "Europe/Paris",
            "defaultLocale": "fr-FR",
            **overrides,
        }
    }


async def test_create_program_for_the_token_tenant(gql: GraphQLClient) -> None:
    data = await gql.ok(CREATE_PROGRAM, _create(), bearer=ADMIN)
    assert data["createProgram"] == {
        "program": {
            "key": "acme",
            "name": "Acme Rewards",
            "currency": "EUR",
            "timezone": "Europe/Paris",
            "defaultLocale": "fr-FR",
        },
        "userErrors": [],
    }
    read = await gql.ok("{ program { key currency } }", bearer=token(Role.STOREFRONT, "acme"))
    assert read["program"] == {"key": "acme", "currency": "EUR"}


async def test_create_program_retry_is_idempotent_and_conflict_is_refused(
    gql: GraphQLClient,
) -> None:
    first = await gql.ok(CREATE_PROGRAM, _create(), bearer=ADMIN)
    again = await gql.ok(CREATE_PROGRAM, _create(), bearer=ADMIN)
    assert again == first
    clash = await gql.ok(CREATE_PROGRAM, _create(currency="USD"), bearer=ADMIN)
    assert clash["createProgram"]["program"] is None
    assert clash["createProgram"]["userErrors"][0]["code"] == "PROGRAM_ALREADY_EXISTS"
    read = await gql.ok("{ program { currency } }", bearer=ADMIN)
    assert read["program"]["currency"] == "EUR"


async def test_invalid_program_input_reports_every_problem_and_writes_nothing(
    gql: GraphQLClient,
) -> None:
    bad = _create(name="", currency="EURO", timezone="Europe", defaultLocale="french")
    data = await gql.ok(CREATE_PROGRAM, bad, bearer=ADMIN)
    assert {(tuple(e["field"]), e["code"]) for e in data["createProgram"]["userErrors"]} == {
        (("input", "name"), "INVALID_NAME"),
        (("input", "currency"), "INVALID_CURRENCY"),
        (("input", "timezone"), "INVALID_TIMEZONE"),
        (("input", "defaultLocale"), "INVALID_LOCALE"),
    }
    assert (await gql.ok("{ program { key } }", bearer=ADMIN))["program"] is None


async def test_token_with_an_invalid_program_key_is_refused(gql: GraphQLClient) -> None:
    body = await gql.post(CREATE_PROGRAM, _create(), bearer=token(Role.ADMIN, "Not A Slug"))
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "program" in body["errors"][0]["message"]


async def test_update_program_changes_settings_but_never_currency(gql: GraphQLClient) -> None:
    await gql.ok(CREATE_PROGRAM, _create(), bearer=ADMIN)
    data = await gql.ok(UPDATE, {"input": {"timezone": "America/New_York"}}, bearer=ADMIN)
    assert data["updateProgram"] == {
        "program": {
            "name": "Acme Rewards",
            "timezone": "America/New_York",
            "defaultLocale": "fr-FR",
            "currency": "EUR",
        },
        "userErrors": [],
    }
    body = await gql.post(
        'mutation { updateProgram(input: {currency: "USD"}) { userErrors { code } } }', bearer=ADMIN
    )
    assert "currency" in body["errors"][0]["message"]  # not even part of the input type


async def test_update_before_provisioning_is_a_user_error(gql: GraphQLClient) -> None:
    data = await gql.ok(UPDATE, {"input": {"name": "X"}}, bearer=ADMIN)
    assert data["updateProgram"]["userErrors"] == [{"field": None, "code": "PROGRAM_NOT_FOUND"}]
