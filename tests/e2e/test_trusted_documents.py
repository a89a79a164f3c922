"""Trusted documents through HTTP: sent by documentId or APQ hash, refused when unknown or when
the hash is not the query's, the allow-list, and GET with ETag and 304 for polling apps."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from api.auth import TokenVerifier
from api.body_limit import BodyLimit
from api.conditional_get import ConditionalGet
from api.endpoint import LoyaltyGraphQL
from api.schema import schema
from api.trusted.registry import DOCUMENTS, TrustedDocuments, document_id
from backbone.bus import MessageBus
from loyalty.models import Member
from tests.conftest import AUTH
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.points_helpers import STORE, award_manual, member_token

pytestmark = pytest.mark.e2e

TRUSTED = TrustedDocuments.load(schema._schema)
STATUS = next(d for d in TRUSTED.documents if d.name == "mobile_status")
ENROLL = next(d for d in TRUSTED.documents if d.name == "storefront_enroll_member")
RAW_ME = "{ me { points { available } } }"


@pytest.fixture
async def acme(gql: GraphQLClient) -> None:
    await provision(gql)
    await enroll(gql, "ann")


async def _post(http: httpx.AsyncClient, body: dict[str, Any], bearer: str) -> dict[str, Any]:
    response = await http.post("/graphql", json=body, headers={"Authorization": f"Bearer {bearer}"})
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def _codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


def _enroll(external_id: str) -> dict[str, Any]:
    return {
        "input": {
            "externalId": external_id,
            "email": f"{external_id}@example.com",
            "displayName": external_id.title(),
        }
    }


def test_every_trusted_document_is_loaded_under_the_hash_of_its_file() -> None:
    files = sorted(DOCUMENTS.glob("*.graphql"))
    assert [d.name for d in TRUSTED.documents] == [path.stem for path in files]
    for document, path in zip(TRUSTED.documents, files, strict=True):
        assert document.id == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


async def test_a_document_sent_by_id_answers_as_its_text_does(
    client: httpx.AsyncClient, acme: None
) -> None:
    ann = member_token("ann")
    by_text = await _post(client, {"query": STATUS.text}, ann)
    by_id = await _post(client, {"documentId": STATUS.id}, ann)
    by_hash = await _post(
        client,
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": STATUS.id[7:]}}},
        ann,
    )
    assert "errors" not in by_text, by_text
    assert by_id["data"] == by_text["data"] == by_hash["data"]
    written = await _post(client, {"documentId": ENROLL.id, "variables": _enroll("bob")}, STORE)
    assert written["data"]["enrollMember"]["created"] is True


async def test_unknown_ids_and_wrong_hashes_run_nothing(
    client: httpx.AsyncClient, acme: None
) -> None:
    unknown = "sha256:" + "0" * 64
    not_found: list[dict[str, Any]] = [
        {"documentId": unknown},
        {"documentId": "mobile_status"},
        {"documentId": 42},
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}},
        {"extensions": {"persistedQuery": {"version": 2, "sha256Hash": STATUS.id[7:]}}},
    ]
    for body in not_found:
        refused = await _post(client, body, member_token("ann"))
        assert _codes(refused) == ["PERSISTED_QUERY_NOT_FOUND"], body
        assert refused["data"] is None
    apollo = await _post(
        client,
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}},
        member_token("ann"),
    )
    assert apollo["errors"][0]["message"] == "PersistedQueryNotFound"  # Apollo's clients retry
    # A hash that is not the query's: the mutation does not run.
    mismatched: list[dict[str, Any]] = [
        {"documentId": STATUS.id, "query": ENROLL.text, "variables": _enroll("cat")},
        {
            "query": ENROLL.text,
            "variables": _enroll("cat"),
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": STATUS.id[7:]}},
        },
    ]
    for body in mismatched:
        assert _codes(await _post(client, body, STORE)) == ["PERSISTED_QUERY_MISMATCH"]
    assert not await Member.filter(external_id="cat").exists()
    # A client's own document with its right hash runs (it is not remembered by hash).
    own = {"version": 1, "sha256Hash": document_id(RAW_ME)[7:]}
    ran = await _post(client, {"query": RAW_ME, "extensions": {"persistedQuery": own}}, STORE)
    assert _codes(ran) == ["FORBIDDEN"]  # ran: a storefront has no `me`


@pytest.fixture
async def allow_list(app: Starlette, bus: MessageBus) -> AsyncIterator[httpx.AsyncClient]:
    """The endpoint as LOYALTY_DOCUMENTS=trusted serves it, on the session's databases."""
    view = LoyaltyGraphQL(
        TokenVerifier(AUTH), bus, graphiql=False, documents=TRUSTED, trusted_only=True
    )
    only = Starlette(routes=[Route("/graphql", ConditionalGet(view), methods=["GET", "POST"])])
    only.state.redis = app.state.redis
    transport = httpx.ASGITransport(app=only)
    async with httpx.AsyncClient(transport=transport, base_url="http://loyalty.test") as http:
        yield http


async def test_the_allow_list_runs_trusted_documents_only(
    allow_list: httpx.AsyncClient, acme: None
) -> None:
    refused = await _post(
        allow_list,
        {"query": "mutation($input: EnrollMemberInput!) { enrollMember(input: $input) "
         "{ created } }", "variables": _enroll("dan")},
        STORE,
    )  # fmt: skip
    assert _codes(refused) == ["TRUSTED_DOCUMENT_REQUIRED"]
    assert not await Member.filter(external_id="dan").exists()
    by_id = await _post(allow_list, {"documentId": ENROLL.id, "variables": _enroll("dan")}, STORE)
    assert by_id["data"]["enrollMember"]["created"] is True
    by_text = await _post(allow_list, {"query": STATUS.text}, member_token("ann"))
    assert "errors" not in by_text


async def test_get_answers_with_an_etag_and_304_until_the_answer_changes(
    client: httpx.AsyncClient, gql: GraphQLClient, acme: None
) -> None:
    headers = {"Authorization": f"Bearer {member_token('ann')}"}
    first = await client.get("/graphql", params={"documentId": STATUS.id}, headers=headers)
    assert first.status_code == 200
    assert first.json()["data"]["me"]["points"]["available"] == 0
    tag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    again = await client.get(
        "/graphql", params={"documentId": STATUS.id}, headers={**headers, "If-None-Match": tag}
    )
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", tag)

    await award_manual(gql, "ann", 40)  # the member's points changed: so does the answer
    changed = await client.get(
        "/graphql", params={"documentId": STATUS.id}, headers={**headers, "If-None-Match": tag}
    )
    assert changed.status_code == 200
    assert changed.json()["data"]["me"]["points"]["available"] == 40
    assert changed.headers["etag"] != tag


async def test_get_runs_no_other_document(client: httpx.AsyncClient, acme: None) -> None:
    headers = {"Authorization": f"Bearer {STORE}"}
    raw = await client.get("/graphql", params={"query": RAW_ME}, headers=headers)
    assert _codes(raw.json()) == ["TRUSTED_DOCUMENT_REQUIRED"]
    mutation = await client.get(
        "/graphql",
        params={"documentId": ENROLL.id, "variables": json.dumps(_enroll("eve"))},
        headers=headers,
    )
    assert mutation.status_code in (400, 405)  # no mutation travels in a URL
    assert not await Member.filter(external_id="eve").exists()


async def test_a_query_string_over_the_body_limit_is_refused_unread() -> None:
    async def never(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("reached the app")

    limited = Starlette(routes=[Route("/graphql", BodyLimit(never, 4096), methods=["GET"])])
    transport = httpx.ASGITransport(app=limited)
    async with httpx.AsyncClient(transport=transport, base_url="http://loyalty.test") as http:
        long = await http.get("/graphql", params={"documentId": STATUS.id, "x": "a" * 5000})
    assert long.status_code == 414
