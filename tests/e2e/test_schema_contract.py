"""The published contract: schema.graphql is current, everything is described, bugs are masked."""

from __future__ import annotations

import re

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
from tests.e2e.partner_helpers import partner

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


def _root_fields() -> list[tuple[str, str, set[str]]]:
    """(root type, field, roles its description names) for every root field."""
    fields = []
    for root in (schema._schema.query_type, schema._schema.mutation_type):
        assert root is not None
        for name, field in root.fields.items():
            described = re.search(
                r"Roles: ([a-z, ]+)\.(?: Partner scope: [a-z:, ]+\.)?$", field.description or ""
            )
            assert described, f"{root.name}.{name} does not say which roles may call it"
            fields.append((root.name, name, set(described.group(1).split(", "))))
    return fields


def test_every_root_field_says_which_roles_may_call_it() -> None:
    assert {role for _, _, roles in _root_fields() for role in roles} <= {r.value for r in Role}


@pytest.mark.parametrize("role", list(Role))
async def test_the_roles_described_are_the_roles_admitted(gql: GraphQLClient, role: Role) -> None:
    """Each query field answers a caller whose role its description names, and refuses the rest
    with FORBIDDEN (required arguments get placeholder values of their type)."""
    placeholders = {"ID": '"TWVtYmVyOjE="', "String": '"x"', "Int": "1"}
    # A partner's token carries every scope: the roles, not the scopes, are under test here.
    bearer = await partner(gql, "c-1") if role is Role.PARTNER else token(role, subject="c-1")
    for root, name, roles in _root_fields():
        if root != "Query":
            continue
        field = schema._schema.query_type.fields[name]  # type: ignore[union-attr]
        arguments = ", ".join(
            f"{arg}: {placeholders[str(a.type).rstrip('!')]}"
            for arg, a in field.args.items()
            if str(a.type).endswith("!")
        )
        selection = f"{name}({arguments})" if arguments else name
        body = await gql.post(f"{{ {selection} {{ __typename }} }}", bearer=bearer)
        codes = [error["extensions"]["code"] for error in body.get("errors", [])]
        assert (codes == ["FORBIDDEN"]) == (role.value not in roles), (name, role, body)
