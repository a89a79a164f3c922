"""Enrollment, profile updates and listing through GraphQL."""

from __future__ import annotations

import asyncio

import pytest

from api.auth import Role
from tests.conftest import token
from tests.e2e.conftest import ENROLL, GraphQLClient, enroll, provision

pytestmark = pytest.mark.e2e

LIST = "query($first: Int, $after: String) { members(first: $first, after: $after) { edges { cursor node { externalId } } pageInfo { hasNextPage hasPreviousPage endCursor } } }"
UPDATE = """mutation($input: UpdateMemberInput!) {
  updateMember(input: $input) { member { email displayName locale status } userErrors { field code } }
}"""
STORE = token(Role.STOREFRONT)
ADMIN = token(Role.ADMIN)


def _input(external_id: str = "c-1", **overrides: object) -> dict[str, object]:
    return {
        "input": {
            "externalId": external_id,
            "email": "ann@Example.COM",
            "displayName": " Ann ",
            "birthday": "1990-04-01",
            "locale": "pt-BR",
            **overrides,
        }
    }


async def _count(gql: GraphQLClient) -> int:
    data = await gql.ok(LIST, {"first": 100}, bearer=ADMIN)
    return len(data["members"]["edges"])


async def test_enroll_normalises_details(gql: GraphQLClient) -> None:
    await provision(gql)
    payload = (await gql.ok(ENROLL, _input(), bearer=STORE))["enrollMember"]
    assert payload["created"] is True
    member = payload["member"]
    assert member["email"] == "ann@example.com"
    assert member["displayName"] == "Ann"
    assert member["birthday"] == "1990-04-01"
    assert (member["locale"], member["status"]) == ("pt-BR", "ACTIVE")


async def test_duplicate_enroll_returns_the_same_member(gql: GraphQLClient) -> None:
    await provision(gql)
    first = (await gql.ok(ENROLL, _input(), bearer=STORE))["enrollMember"]
    again = (await gql.ok(ENROLL, _input(), bearer=STORE))["enrollMember"]
    assert again == {**first, "created": False}
    assert await _count(gql) == 1


async def test_concurrent_enrollments_of_one_customer_create_one_member(gql: GraphQLClient) -> None:
    await provision(gql)
    results = await asyncio.gather(*(gql.ok(ENROLL, _input(), bearer=STORE) for _ in range(20)))
    payloads = [r["enrollMember"] for r in results]
    assert all(p["userErrors"] == [] for p in payloads)
    assert len({p["member"]["id"] for p in payloads}) == 1
    assert sum(p["created"] for p in payloads) == 1
    assert await _count(gql) == 1


async def test_other_details_under_a_known_external_id_are_refused(gql: GraphQLClient) -> None:
    await provision(gql)
    first = (await gql.ok(ENROLL, _input(), bearer=STORE))["enrollMember"]
    clash = (await gql.ok(ENROLL, _input(email="other@example.com"), bearer=STORE))["enrollMember"]
    assert [(e["field"], e["code"]) for e in clash["userErrors"]] == [
        (["input", "externalId"], "DUPLICATE_EXTERNAL_ID")
    ]
    # The refusal names the member holding the externalId, unchanged, ready for updateMember.
    assert clash["member"] == first["member"]
    assert clash["created"] is False
    changed = await gql.ok(
        UPDATE, {"input": {"id": clash["member"]["id"], "email": "other@example.com"}}, bearer=STORE
    )
    assert changed["updateMember"]["member"]["email"] == "other@example.com"


async def test_invalid_input_reports_every_problem_and_writes_nothing(gql: GraphQLClient) -> None:
    await provision(gql)
    bad = _input(email="not-an-email", displayName="   ", birthday="2030-01-01", locale="english")
    payload = (await gql.ok(ENROLL, bad, bearer=STORE))["enrollMember"]
    assert payload["member"] is None
    assert {(tuple(e["field"]), e["code"]) for e in payload["userErrors"]} == {
        (("input", "email"), "INVALID_EMAIL"),
        (("input", "displayName"), "INVALID_DISPLAY_NAME"),
        (("input", "birthday"), "INVALID_BIRTHDAY"),
        (("input", "locale"), "INVALID_LOCALE"),
    }
    assert all(e["message"] for e in payload["userErrors"])
    bad_id = (await gql.ok(ENROLL, _input(external_id="has space"), bearer=STORE))["enrollMember"]
    assert bad_id["userErrors"][0]["code"] == "INVALID_EXTERNAL_ID"
    assert await _count(gql) == 0


async def test_enroll_before_the_program_exists_is_a_user_error(gql: GraphQLClient) -> None:
    payload = (await gql.ok(ENROLL, _input(), bearer=STORE))["enrollMember"]
    assert payload["userErrors"] == [
        {"field": None, "code": "PROGRAM_NOT_FOUND", "message": payload["userErrors"][0]["message"]}
    ]


async def test_update_member_changes_given_fields_only(gql: GraphQLClient) -> None:
    await provision(gql)
    member_id = await enroll(gql, "c-9")
    data = await gql.ok(
        UPDATE,
        {"input": {"id": member_id, "displayName": "Nina", "status": "SUSPENDED"}},
        bearer=STORE,
    )
    assert data["updateMember"] == {
        "member": {
            "email": "c-9@example.com",
            "displayName": "Nina",
            "locale": "en",
            "status": "SUSPENDED",
        },
        "userErrors": [],
    }


async def test_update_member_refuses_erasure_and_bad_ids(gql: GraphQLClient) -> None:
    await provision(gql)
    member_id = await enroll(gql, "c-9")
    erased = await gql.ok(UPDATE, {"input": {"id": member_id, "status": "ERASED"}}, bearer=STORE)
    assert erased["updateMember"]["userErrors"] == [
        {"field": ["input", "status"], "code": "INVALID_STATUS_CHANGE"}
    ]
    program_id = "UHJvZ3JhbTox"  # base64("Program:1"): a well-formed id of the wrong type
    wrong = await gql.ok(UPDATE, {"input": {"id": program_id, "displayName": "X"}}, bearer=STORE)
    assert wrong["updateMember"]["userErrors"] == [{"field": ["input", "id"], "code": "INVALID_ID"}]
    status = await gql.ok(UPDATE, {"input": {"id": member_id}}, bearer=STORE)
    assert status["updateMember"]["member"]["status"] == "ACTIVE"


async def test_members_connection_pages_by_cursor(gql: GraphQLClient) -> None:
    await provision(gql)
    for n in range(5):
        await enroll(gql, f"c-{n}")
    first = (await gql.ok(LIST, {"first": 2}, bearer=ADMIN))["members"]
    assert [e["node"]["externalId"] for e in first["edges"]] == ["c-0", "c-1"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    rest = (
        await gql.ok(LIST, {"first": 10, "after": first["pageInfo"]["endCursor"]}, bearer=ADMIN)
    )["members"]
    assert [e["node"]["externalId"] for e in rest["edges"]] == ["c-2", "c-3", "c-4"]
    assert rest["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"first": 101}, "between 1 and 100"),
        ({"first": 0}, "between 1 and 100"),
        ({"first": 5, "after": "bm90LWEtY3Vyc29y"}, "not a valid member cursor"),
    ],
)
async def test_members_connection_refuses_bad_arguments(
    gql: GraphQLClient, variables, message
) -> None:
    await provision(gql)
    body = await gql.post(LIST, variables, bearer=ADMIN)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in error["message"]
