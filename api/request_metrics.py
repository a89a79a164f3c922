"""What a GraphQL request is called in the metrics, and how it ended.

The `operation` label never carries a client's text as it came: a series per distinct name would
let any client grow the metrics without bound. A trusted document's operation keeps its name
(api/trusted/documents/); any other document is named by its root field (`awardPoints`), or
`multiple` when it selects several, `introspection` for `__schema`/`__type`, and `other` when it
cannot be read. The names are those of this schema, so the series are bounded by it.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
)
from strawberry.types import ExecutionResult

from api.document_cache import SizedCache
from api.errors import TopLevelCode
from api.schema import MAX_TOKENS
from api.trusted.registry import TrustedDocuments
from backbone.metrics import GRAPHQL_REQUESTS

OTHER = "other"
# Labels of recently seen documents: a label costs a parse the first time only.
_LABELS_BUDGET = 256 * 1024

# Outcomes, worst first: a request with several kinds of errors counts as the worst.
ERROR = "error"  # a fault of ours or an outage (masked errors have no code)
UNAUTHENTICATED = "unauthenticated"
THROTTLED = "throttled"
REFUSED = "refused"  # the document, its variables or the caller's rights were refused
USER_ERROR = "user_error"  # a mutation answered with userErrors
OK = "ok"

# The rate limiter's top-level code (spelled out: a request over its quota is not our fault).
THROTTLED_CODE = "THROTTLED"
# Codes of errors that are the client's doing (or its quota's), not the service's.
_KNOWN_CODES = {code.value for code in TopLevelCode} - {TopLevelCode.SERVICE_UNAVAILABLE.value}
_KNOWN_CODES.add(THROTTLED_CODE)


class OperationNames:
    """The `operation` label of a document, bounded by the schema and the trusted documents."""

    def __init__(self, schema: GraphQLSchema, documents: TrustedDocuments) -> None:
        self._trusted = {document.operation for document in documents.documents}
        roots = (schema.query_type, schema.mutation_type)
        self._fields = {name for root in roots if root is not None for name in root.fields}
        self._labels: SizedCache[str] = SizedCache(_LABELS_BUDGET)

    def label(self, query: str | None, operation_name: str | None) -> str:
        if not query:
            return OTHER
        key = (query, operation_name)
        found = self._labels.get(key)
        if found is None:
            found = self._read(query, operation_name)
            self._labels.put(key, found, len(query))
        return found

    def _read(self, query: str, operation_name: str | None) -> str:
        try:
            document = parse(query, max_tokens=MAX_TOKENS)
        except GraphQLError:
            return OTHER
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        chosen = [
            o
            for o in operations
            if operation_name is None or (o.name is not None and o.name.value == operation_name)
        ]
        if len(chosen) != 1:
            return OTHER
        [operation] = chosen
        if operation.name is not None and operation.name.value in self._trusted:
            return operation.name.value
        selections = operation.selection_set.selections
        if not all(isinstance(s, FieldNode) for s in selections):
            return OTHER  # fragments at the root: rare, and not worth following here
        names = {s.name.value for s in selections if isinstance(s, FieldNode)} - {"__typename"}
        if names and names <= {"__schema", "__type"}:
            return "introspection"
        if not names or not names <= self._fields:
            return OTHER
        return names.pop() if len(names) == 1 else "multiple"


def outcome(result: ExecutionResult | None) -> str:
    """How a request ended; None: it raised (a 400 refusal is counted by the caller)."""
    if result is None:
        return ERROR
    codes = {(error.extensions or {}).get("code") for error in result.errors or []}
    if not codes <= _KNOWN_CODES:  # SERVICE_UNAVAILABLE, or masked: no code
        return ERROR
    if TopLevelCode.UNAUTHENTICATED.value in codes:
        return UNAUTHENTICATED
    if THROTTLED_CODE in codes:
        return THROTTLED
    if codes:
        return REFUSED
    return USER_ERROR if _has_user_errors(result.data) else OK


def _has_user_errors(data: dict[str, Any] | None) -> bool:
    """A root field's payload with userErrors (mutations put them there)."""
    return any(
        isinstance(payload, dict) and bool(payload.get("userErrors"))
        for payload in (data or {}).values()
    )


def observe(operation: str, ended: str, seconds: float) -> None:
    GRAPHQL_REQUESTS.labels(operation, ended).observe(seconds)
