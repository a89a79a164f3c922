"""Input strictness over GraphQL: one spelling per value, duplicates refused, problems reported
at the position the client sent them, and bad input changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from api.auth import Role
from tests.conftest import token
from tests.e2e.conftest import CREATE_PROGRAM, GraphQLClient
from tests.e2e.points_helpers import (
    ADMIN,
    AWARD,
    CONFIGURE,
    STORE,
    award_order,
    balance,
    errors,
    key,
    reverse,
    write,
)

pytestmark = pytest.mark.e2e

RULES = "configuration { earnRate } userErrors { field message code }"
RATE = "mutation($rate: Decimal!) { configurePoints(input: {earnRate: $rate}) { userErrors { code } } }"
RATE_RULES = (
    f"mutation($rate: Decimal!) {{ configurePoints(input: {{earnRate: $rate}}) {{ {RULES} }} }}"
)
BIRTHDAY = """mutation($day: Date) {
  enrollMember(input: {externalId: "bea", email: "bea@b.co", displayName: "Bea", birthday: $day}) {
    member { birthday }
  }
}"""
ENROLL_NAMED = """mutation($name: String!) {
  enrollMember(input: {externalId: "cy", email: "cy@b.co", displayName: $name}) {
    member { displayName }
    userErrors { field code }
  }
}"""
READ_RULES = "query { program { pointsConfiguration { earnRate events { name points } } } }"


async def configure_refused(gql: GraphQLClient, config: dict[str, Any]) -> list[dict[str, Any]]:
    data = await gql.ok(CONFIGURE, {"input": config}, bearer=ADMIN)
    payload = data["configurePoints"]
    assert payload["configuration"] is None, payload
    errors: list[dict[str, Any]] = payload["userErrors"]
    return errors


async def test_duplicate_event_names_are_refused_at_the_duplicate(
    gql: GraphQLClient, ann: str
) -> None:
    events = [{"name": "review_posted", "points": 5}, {"name": "review_posted", "points": 500}]
    errors = await configure_refused(gql, {"events": events})
    assert [(e["field"], e["code"]) for e in errors] == [
        (["input", "events", "1", "name"], "DUPLICATE_RULE")
    ]


@pytest.mark.parametrize(
    ("kind", "value"), [("sku", "A"), ("category", "shoes")], ids=["sku", "category"]
)
async def test_two_bonuses_for_one_target_are_refused(
    gql: GraphQLClient, ann: str, kind: str, value: str
) -> None:
    bonuses = [{"multiplier": "2", kind: value}, {"multiplier": "3", kind: value}]
    errors = await configure_refused(gql, {"bonuses": bonuses})
    assert [(e["field"], e["code"]) for e in errors] == [
        (["input", "bonuses", "1", kind], "DUPLICATE_RULE")
    ]


async def test_event_problems_sit_at_their_position_in_the_input(
    gql: GraphQLClient, ann: str
) -> None:
    events = [
        {"name": "ok_one", "points": 5},
        {"name": "ok_one", "points": 0},
        {"name": "Bad", "points": 1},
    ]
    errors = await configure_refused(gql, {"events": events})
    assert sorted(tuple(e["field"]) for e in errors) == [
        ("input", "events", "1", "name"),
        ("input", "events", "1", "points"),
        ("input", "events", "2", "name"),
    ]


async def raw_post(gql: GraphQLClient, body: str, bearer: str) -> dict[str, Any]:
    """A request body sent as written: JSON numbers with more digits than a float holds."""
    response = await gql.http.post(
        "/graphql",
        content=body,
        headers={"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def inline_rate(rate: str) -> str:
    """configurePoints with `rate` written into the document as is."""
    return f"mutation {{ configurePoints(input: {{earnRate: {rate}}}) {{ {RULES} }} }}"


def order_award(total: str) -> str:
    """awardPoints with `total` written into the document as is."""
    return (
        'mutation { awardPoints(input: {idempotencyKey: "k-1", externalId: "ann", source: '
        f'{{order: {{orderId: "o-1", total: {total}, currency: "EUR", lines: []}}}}}}) '
        "{ entry { points } userErrors { field code } } }"
    )


async def test_a_json_number_for_a_decimal_is_refused_before_it_rounds(
    gql: GraphQLClient, ann: str
) -> None:
    variables = '{"rate": 1.00000000000000000001}'  # more digits than a float holds
    body = f'{{"query": {json.dumps(RATE_RULES)}, "variables": {variables}}}'
    answer = await raw_post(gql, body, ADMIN)
    [error] = answer["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert "Send decimal amounts as strings" in error["message"]
    assert (await gql.ok(READ_RULES, bearer=ADMIN))["program"]["pointsConfiguration"] == {
        "earnRate": "1",
        "events": [],
    }


async def test_a_json_integer_for_a_decimal_is_exact(gql: GraphQLClient, ann: str) -> None:
    body = json.dumps({"query": RATE_RULES, "variables": {"rate": 3}})
    answer = await raw_post(gql, body, ADMIN)
    assert answer["data"]["configurePoints"] == {
        "configuration": {"earnRate": "3"},
        "userErrors": [],
    }


async def test_inline_decimals_keep_every_digit_they_were_written_with(
    gql: GraphQLClient, ann: str
) -> None:
    answer = await gql.ok(order_award("99.99999999999999999"), bearer=STORE)
    assert answer["awardPoints"] == {
        "entry": None,
        "userErrors": [{"field": ["input", "source", "order", "total"], "code": "INVALID_AMOUNT"}],
    }
    rate = await gql.ok(inline_rate("1.00000000000000000001"), bearer=ADMIN)
    assert [e["code"] for e in rate["configurePoints"]["userErrors"]] == ["INVALID_POINTS_CONFIG"]
    exact = await gql.ok(inline_rate("1.25"), bearer=ADMIN)
    assert exact["configurePoints"]["configuration"] == {"earnRate": "1.25"}
    assert (await gql.ok(order_award("12"), bearer=STORE))["awardPoints"]["entry"] == {"points": 15}


@pytest.mark.parametrize(
    "rate",
    ["1_000", "\u0661\u0662", " 1", "1 ", "+1", "1e2", "1E+2", "1.", ".5", "0x10", "NaN", "", "-"],
)
async def test_only_plain_decimal_spellings_are_accepted(
    gql: GraphQLClient, ann: str, rate: str
) -> None:
    body = await gql.post(RATE, {"rate": rate}, bearer=ADMIN)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert "Value cannot represent a Decimal" in error["message"]
    inline = await gql.post(inline_rate(json.dumps(rate)), bearer=ADMIN)
    assert inline["errors"][0]["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert (await gql.ok(READ_RULES, bearer=ADMIN))["program"]["pointsConfiguration"][
        "earnRate"
    ] == "1"


@pytest.mark.parametrize("zero", ["-0", "-0.00", "0.000"])
async def test_a_negative_zero_is_zero(gql: GraphQLClient, ann: str, zero: str) -> None:
    data = await gql.ok(RATE_RULES, {"rate": zero}, bearer=ADMIN)
    assert data["configurePoints"]["configuration"]["earnRate"] in {"0", "0.00", "0.000"}
    assert not data["configurePoints"]["configuration"]["earnRate"].startswith("-")


@pytest.mark.parametrize("day", ["20200101", "2020-W01-1", "2020-001", " 2020-01-01", "2020-1-1"])
async def test_only_calendar_dates_are_accepted(gql: GraphQLClient, ann: str, day: str) -> None:
    body = await gql.post(BIRTHDAY, {"day": day}, bearer=STORE)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert "Value cannot represent a Date" in error["message"]


async def test_a_calendar_date_is_accepted(gql: GraphQLClient, ann: str) -> None:
    data = await gql.ok(BIRTHDAY, {"day": "2000-02-29"}, bearer=STORE)
    assert data["enrollMember"]["member"]["birthday"] == "2000-02-29"


async def test_what_is_left_of_an_order_is_shown_at_the_currencys_precision(
    gql: GraphQLClient, ann: str
) -> None:
    await award_order(gql, ann, "o-9", "10.00")
    assert (await reverse(gql, "o-9", "r-1", "7.5"))["userErrors"] == []
    refused = await reverse(gql, "o-9", "r-2", "2.5100")
    assert refused["userErrors"] == [
        {
            "field": ["input", "amount"],
            "message": "Only EUR 2.50 of this order is left to return.",
            "code": "RETURN_EXCEEDS_ORDER",
        }
    ]


@pytest.mark.parametrize(
    "name",
    ["Ann\u200b", "\ufeffAnn", "A\ufffen", "An\uffff", "A\ufdd0n", "An\U0001ffff", "\u202eAnn"],
    ids=["zero width space", "BOM", "FFFE", "FFFF", "FDD0", "plane 1 non-character", "RLO"],
)
async def test_invisible_characters_are_refused_in_display_names(
    gql: GraphQLClient, ann: str, name: str
) -> None:
    enrolled = await gql.ok(
        ENROLL_NAMED, {"name": name}, bearer=STORE
    )  # a new member: nothing may be created
    assert enrolled["enrollMember"] == {
        "member": None,
        "userErrors": [{"field": ["input", "displayName"], "code": "INVALID_DISPLAY_NAME"}],
    }
    reason = {"manual": {"points": 5, "reason": f"Goodwill {name}"}}
    awarded = await write(
        gql, AWARD, {"idempotencyKey": key(), "externalId": ann, "source": reason}
    )
    assert errors(awarded) == ["INVALID_REASON"]
    assert (await balance(gql, ann))["available"] == 0


async def test_joiners_that_scripts_and_emoji_need_are_kept(gql: GraphQLClient, ann: str) -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467 \u0645\u200c\u06cc"
    enrolled = await gql.ok(ENROLL_NAMED, {"name": family}, bearer=STORE)
    assert enrolled["enrollMember"]["userErrors"] == []


@pytest.mark.parametrize("zone", ["localtime", "Factory", "posixrules"])
async def test_host_dependent_time_zones_are_refused(gql: GraphQLClient, zone: str) -> None:
    body = await gql.ok(
        CREATE_PROGRAM,
        {"input": {"name": "Acme", "currency": "EUR", "timezone": zone}},
        bearer=token(Role.ADMIN, "acme"),
    )
    assert body["createProgram"]["program"] is None
    assert [e["code"] for e in body["createProgram"]["userErrors"]] == ["INVALID_TIMEZONE"]
