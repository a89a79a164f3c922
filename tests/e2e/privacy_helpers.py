"""Helpers for the export and erasure end-to-end tests."""

from __future__ import annotations

import json
from typing import Any

from api.auth import Role
from tests.conftest import token
from tests.e2e.conftest import GraphQLClient

ADMIN = token(Role.ADMIN)
ERRORS = "userErrors { field message code }"
EXPORT = f"""mutation($input: RequestDataExportInput!) {{
  requestDataExport(input: $input) {{
    export {{ id memberId createdAt expiresAt downloadPath }} {ERRORS} }} }}"""
ERASE = f"""mutation($input: RequestErasureInput!) {{
  requestErasure(input: $input) {{ memberId erasedAt alreadyErased {ERRORS} }} }}"""


async def request_export(gql: GraphQLClient, bearer: str, **choice: Any) -> dict[str, Any]:
    data = await gql.ok(EXPORT, {"input": choice}, bearer=bearer)
    payload: dict[str, Any] = data["requestDataExport"]
    return payload


async def erase(gql: GraphQLClient, bearer: str = ADMIN, **choice: Any) -> dict[str, Any]:
    data = await gql.ok(ERASE, {"input": choice}, bearer=bearer)
    payload: dict[str, Any] = data["requestErasure"]
    return payload


async def download(gql: GraphQLClient, path: str, bearer: str | None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    response = await gql.http.get(path, headers=headers)
    body = (
        response.json()
        if response.headers.get("content-type", "").startswith("application/json")
        else response.text
    )
    return response.status_code, body


async def exported(gql: GraphQLClient, bearer: str, **choice: Any) -> dict[str, Any]:
    """Request an export and download it with the same token."""
    payload = await request_export(gql, bearer, **choice)
    assert payload["userErrors"] == [], payload
    status, document = await download(gql, payload["export"]["downloadPath"], bearer)
    assert status == 200, document
    found: dict[str, Any] = document
    return found


def mentions(document: Any, *needles: str) -> list[str]:
    text = json.dumps(document)
    return [needle for needle in needles if needle in text]
