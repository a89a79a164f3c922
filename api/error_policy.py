"""Every top-level error leaves with an `extensions.code`, or masked as "Unexpected error."

- GRAPHQL_PARSE_FAILED: the document is not GraphQL, or is over the token limit.
- GRAPHQL_VALIDATION_FAILED: the document does not fit the schema or the document limits (inline
  argument values of the wrong type included).
- BAD_USER_INPUT: variable values the schema refuses, or missing; also bad arguments refused by
  resolvers (api/relay.py).
- UNAUTHENTICATED, FORBIDDEN: raised by the permission checks (api/permissions.py).
- SERVICE_UNAVAILABLE: PostgreSQL or Redis could not be reached; retrying later may succeed.
- PERSISTED_QUERY_NOT_FOUND, PERSISTED_QUERY_MISMATCH, TRUSTED_DOCUMENT_REQUIRED: a document sent
  by an id the API does not know, with a hash that is not its own, or not trusted where only
  trusted documents run (api/trusted/resolution.py).

Anything else is a bug: logged with its traceback and masked, so no internals leak. Whether an
error is the client's is decided by the phase it comes from, not by its shape: graphql-core
attaches an `original_error` to variable-coercion errors too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from api.errors import ClientError, TopLevelCode
from api.outages import is_outage

log = logging.getLogger(__name__)

UNEXPECTED = "Unexpected error."
UNAVAILABLE = "The service is temporarily unavailable; retry later."
# Strawberry turns these into HTTP 400 answers; they must pass through untouched.
_HTTP_REFUSALS = (MissingQueryError, CannotGetOperationTypeError, InvalidOperationTypeError)


class ErrorPolicy(SchemaExtension):
    """Codes the client's mistakes by phase, outages as SERVICE_UNAVAILABLE, masks the rest."""

    def __init__(self) -> None:
        self._client_codes: dict[int, TopLevelCode] = {}

    def on_validate(self) -> Iterator[None]:
        yield
        errors = self.execution_context.pre_execution_errors or []
        self._mark(errors, TopLevelCode.GRAPHQL_VALIDATION_FAILED)

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None) or []
        # Errors without a path come before any field runs: the variables' values (a refusal
        # made before execution, THROTTLED, already has its code).
        self._mark(
            [e for e in errors if e.path is None and not isinstance(e, ClientError)],
            TopLevelCode.BAD_USER_INPUT,
        )

    def on_operation(self) -> Iterator[None]:
        try:
            yield
        except _HTTP_REFUSALS:
            raise
        except GraphQLError as error:  # the parser cache parses outside strawberry's own catch
            raise self._shown(error) from None
        except Exception as error:  # an extension failed outside any resolver
            raise self._shown(GraphQLError(str(error), original_error=error)) from None
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [self._shown(error) for error in result.errors]

    def _mark(self, errors: Iterable[GraphQLError], code: TopLevelCode) -> None:
        for error in errors:
            self._client_codes.setdefault(id(error), code)

    def _shown(self, error: GraphQLError) -> GraphQLError:
        code = self._client_codes.get(id(error))
        if isinstance(error, GraphQLSyntaxError):
            code = TopLevelCode.GRAPHQL_PARSE_FAILED
        if code is not None:
            return _with(error, error.message, code)
        if isinstance(error, ClientError) or isinstance(error.original_error, ClientError):
            return error
        if is_outage(error):
            log.warning("service unavailable at %s: %r", error.path, error.original_error)
            return _with(error, UNAVAILABLE, TopLevelCode.SERVICE_UNAVAILABLE)
        log.error("unexpected error in %s", error.path, exc_info=error.original_error or error)
        return _with(error, UNEXPECTED, None)


def _with(error: GraphQLError, message: str, code: TopLevelCode | None) -> GraphQLError:
    """The error as the client sees it: its place in the document, never its cause."""
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": code.value} if code is not None else None,
    )
