"""How failures reach clients.

Expected failures of a mutation are `userErrors` in its payload (HTTP 200, typed codes). Top-level
GraphQL errors are reserved for authentication, authorisation and bad query arguments, each with an
`extensions.code`; anything else is a bug and is masked so no internals leak.
"""

from __future__ import annotations

import logging
from enum import StrEnum

import strawberry
from graphql import GraphQLError

from domain.validation import ErrorCode, InvalidInput

log = logging.getLogger(__name__)

UserErrorCode = strawberry.enum(
    ErrorCode, description="Why an input was refused. Stable: clients may switch on these codes."
)


@strawberry.type(description="A problem with a mutation's input. Nothing was changed.")
class UserError:
    field: list[str] | None = strawberry.field(
        description="Path to the input field at fault, e.g. ['input', 'email']; null if general."
    )
    message: str = strawberry.field(description="What is wrong, for a human.")
    code: UserErrorCode = strawberry.field(description="What is wrong, for a program.")  # type: ignore[valid-type]


def user_errors(error: InvalidInput) -> list[UserError]:
    """Every problem of a refused input, with field paths rooted at the mutation's `input`."""
    return [
        UserError(field=["input", *p.field] if p.field else None, message=p.message, code=p.code)
        for p in error.problems
    ]


class TopLevelCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    BAD_USER_INPUT = "BAD_USER_INPUT"


class ClientError(GraphQLError):
    """A top-level error meant for the client: shown as is, never masked."""

    def __init__(self, message: str, code: TopLevelCode) -> None:
        super().__init__(message, extensions={"code": code.value})


def should_mask(error: GraphQLError) -> bool:
    """Mask everything but our client errors and GraphQL's own syntax/validation messages."""
    original = error.original_error
    if original is None or isinstance(original, ClientError):
        return False
    log.error("unexpected error in %s", error.path, exc_info=original)
    return True
