"""The published contract: schema.graphql is current, everything is described, bugs are masked."""

from __future__ import annotations

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
)

from api.auth import Role
from api.cli import SCHEMA_FILE
from api.schema import schema
from loyalty import programs
from tests.conftest import token
from tests.e2e.conftest import GraphQLClient

pytestmark = pytest.mark.e2e


def test_schema_file_is_up_to_date() -> None:
    assert SCHEMA_FILE.read_text() == schema.as_str() + "\n", "run `make schema` and commit it"


def _undescribed() -> list[str]:
    missing: list[str] = []
    for name, graphql_type in schema._schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Boolean", "ID", "Float"}:
            continue
        if not graphql_type.description:
            missing.append(name)
        if isinstance(
            graphql_type, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType
        ):
            for field_name, field in graphql_type.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
        if isinstance(graphql_type, GraphQLEnumType):
            missing.extend(
                f"{name}.{v}" for v, value in graphql_type.values.items() if not value.description
            )
    return missing


def test_every_type_field_argument_and_enum_value_is_described() -> None:
    assert _undescribed() == []


async def test_unexpected_errors_are_masked(
    gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(key: str) -> None:
        raise RuntimeError("connection string postgresql://secret@db leaked")

    monkeypatch.setattr(programs, "find_program", broken)
    body = await gql.post("{ program { key } }", bearer=token(Role.ADMIN))
    assert body["errors"] == [
        {
            "message": "Unexpected error.",
            "locations": [{"line": 1, "column": 3}],
            "path": ["program"],
        }
    ]
    assert "secret" not in str(body)


async def test_abusive_documents_are_refused_before_execution(gql: GraphQLClient) -> None:
    aliases = " ".join(f"a{i}: program {{ key }}" for i in range(40))
    body = await gql.post(f"{{ {aliases} }}", bearer=token(Role.ADMIN))
    assert "aliases" in body["errors"][0]["message"]
