"""GraphQL enums built from the domain's plain Python enums, with a description for every value.

The domain stays free of Strawberry, so the descriptions clients read live here, and a missing one
is a start-up error rather than a silent gap in the published schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

import strawberry


def described_enum(
    python_enum: type[Enum], *, name: str, description: str, values: Mapping[str, str]
) -> Any:
    """`python_enum` as a GraphQL enum called `name`, each value described by `values`."""
    missing = {member.name for member in python_enum} - set(values)
    if missing:
        raise ValueError(f"{name}: no description for {sorted(missing)}")
    graphql_enum: Any = strawberry.enum(python_enum, name=name, description=description)
    for value in graphql_enum.__strawberry_definition__.values:
        value.description = values[value.name]
    return graphql_enum
