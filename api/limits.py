"""Document limits, checked before GraphQL validation, then validation itself; both memoised.

A document is first measured (api/document_measure.py, linear in its text whatever its shape)
against depth, alias and expanded-field limits, so nothing after it ever walks a fragment bomb.
Only then is it validated. Both verdicts are memoised: the same documents arrive again and again,
and strawberry's QueryDepthLimiter and MaxAliasesLimiter cost more per request than executing a
small query.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

from graphql import DocumentNode, GraphQLError, TokenKind
from graphql.validation.rules import overlapping_fields_can_be_merged
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from api.document_measure import FragmentCycle, measure_operations

CACHE_SIZE = 1024

# graphql-core compares every pair of fields sharing a response name (OverlappingFieldsCanBeMerged)
# and aborts with "Validation aborted." once its budget is spent. Its default, 500,000 units, is
# about a second of one CPU here (800 copies of `program { key }` fit in the token limit). This is
# some 40 ms, about what validating a document at the token limit costs anyway; 30 fragments
# selecting the same five fields of one object spend 7,500, GraphiQL's introspection query none.
FIELD_MERGING_BUDGET = 25_000
overlapping_fields_can_be_merged.MAX_COMPLEXITY_BUDGET = FIELD_MERGING_BUDGET


@dataclass(frozen=True, slots=True)
class Limits:
    max_depth: int
    max_aliases: int
    max_fields: int  # after expanding fragments
    max_tokens: int  # the document's and its variables' together


class DocumentLimits(SchemaExtension):
    """Refuses documents too deep, with too many aliases or expanding to too many fields, and
    requests whose variables take the document past the token limit; validates the rest.
    Replaces strawberry's ValidationCache, which would validate first."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.query is not None:
            verdict = _verdict(context.query, document, self.limits)
            problem = verdict.problem
            spare = self.limits.max_tokens - verdict.tokens
            if problem is None and _tokens_of(context.variables or {}, spare) > spare:
                problem = (
                    f"The document and its variables contain more than"
                    f" {self.limits.max_tokens} tokens."
                )
            context.pre_execution_errors = (
                [GraphQLError(problem)]
                if problem is not None
                else _validate(context.schema._schema, document, context.validation_rules)
            )
        yield


@dataclass(frozen=True, slots=True)
class _Verdict:
    problem: str | None
    tokens: int


_validate = functools.lru_cache(maxsize=CACHE_SIZE)(validate_document)
_verdicts: dict[tuple[str, Limits], _Verdict] = {}


def _verdict(query: str, document: DocumentNode, limits: Limits) -> _Verdict:
    key = (query, limits)
    if key not in _verdicts:
        if len(_verdicts) >= CACHE_SIZE:
            _verdicts.pop(next(iter(_verdicts)))  # oldest first: dicts keep insertion order
        _verdicts[key] = _Verdict(_judge(document, limits), _document_tokens(document))
    return _verdicts[key]


def _document_tokens(document: DocumentNode) -> int:
    """The parsed text's tokens as the parser's limit counts them: comments aside."""
    count, token = 0, document.loc.start_token.next if document.loc else None
    while token is not None and token.kind is not TokenKind.EOF:
        if token.kind is not TokenKind.COMMENT:
            count += 1
        token = token.next
    return count


def _tokens_of(variables: object, enough: int) -> int:
    """The tokens `variables` would take written inline in the document (`{`, key, `:`, value,
    `}`...), counted until more than `enough` are found."""
    count, pending = 0, [variables]
    while pending and count <= enough:
        value = pending.pop()
        if isinstance(value, dict):
            count += 2 + 2 * len(value)
            pending.extend(value.values())
        elif isinstance(value, list):
            count += 2
            pending.extend(value)
        else:
            count += 1
    return count


def _judge(document: DocumentNode, limits: Limits) -> str | None:
    try:
        for operation, measure in measure_operations(document):
            name = operation.name.value if operation.name else "anonymous"
            if measure.fields > limits.max_fields:
                return (
                    f"'{name}' selects more than {limits.max_fields} fields once its fragments"
                    " are expanded"
                )
            if measure.depth > limits.max_depth:
                return f"'{name}' exceeds maximum operation depth of {limits.max_depth}"
            if measure.aliases > limits.max_aliases:
                return f"{measure.aliases} aliases found. Allowed: {limits.max_aliases}"
    except FragmentCycle as cycle:
        return f"Cannot spread fragment '{cycle.name}' within itself."
    return None
