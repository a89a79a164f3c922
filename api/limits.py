"""Document limits, checked before GraphQL validation, then validation itself; both memoised.

A document is first measured (api/document_measure.py, linear in its text whatever its shape)
against depth, alias, expanded-field, introspection-copy and cost limits, so nothing after it
ever walks a fragment bomb, and nothing runs that would answer megabytes. Only then is it
validated. Both verdicts are memoised (in a cache bounded by the documents' size): the same
documents arrive again and again, and strawberry's QueryDepthLimiter and MaxAliasesLimiter cost
more per request than executing a small query. A cost that depends on the variables' values
is judged again for each request.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, TokenKind
from graphql.validation.rules import overlapping_fields_can_be_merged
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from api.document_cache import CHECKED_BUDGET, SizedCache
from api.document_measure import FragmentCycle, Measure, measure_operations

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
    max_cost: int  # nodes an operation could return, connections counted per item
    max_schemas: int  # `__schema` selections per operation, fragments expanded
    max_types: int  # `__type` selections per operation, fragments expanded


class DocumentLimits(SchemaExtension):
    """Refuses documents too deep, with too many aliases, expanding to too many fields or
    introspection copies, or that could return too many nodes, and requests whose variables
    take the document past the token or cost limit; validates the rest.
    Replaces strawberry's ValidationCache, which would validate first."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.query is not None:
            schema = context.schema._schema
            connections = connection_fields(schema)
            rules = tuple(context.validation_rules)
            verdict = _verdict(context.query, document, self.limits, connections, schema, rules)
            problem = verdict.problem
            if problem is None and verdict.variable_pages:
                # The cached verdict counted variable page sizes as 1; now their values are known.
                variables = context.variables or {}
                problem, _ = _judge(document, self.limits, connections, variables)
            spare = self.limits.max_tokens - verdict.tokens
            if problem is None and _tokens_of(context.variables or {}, spare) > spare:
                problem = (
                    f"The document and its variables contain more than"
                    f" {self.limits.max_tokens} tokens."
                )
            context.pre_execution_errors = (
                [GraphQLError(problem)] if problem is not None else list(verdict.errors)
            )
        yield


@dataclass(frozen=True, slots=True)
class _Verdict:
    problem: str | None  # a limit the document exceeds whatever its variables
    tokens: int
    variable_pages: bool  # the cost depends on the variables: judged again for each request
    errors: tuple[GraphQLError, ...]  # validation's, when no limit is exceeded


# Keyed by the text, accounted at its length: entries hold no syntax tree (see _detached).
checked: SizedCache[_Verdict] = SizedCache(CHECKED_BUDGET)


@functools.cache
def connection_fields(schema: GraphQLSchema) -> frozenset[str]:
    """Names of the fields taking a page size: paged (at the default) even when not given one."""
    return frozenset(
        name
        for named in schema.type_map.values()
        for name, definition in (getattr(named, "fields", None) or {}).items()
        if not named.name.startswith("__")
        and {"first", "last"} & set(getattr(definition, "args", None) or ())
    )


def _verdict(
    query: str,
    document: DocumentNode,
    limits: Limits,
    connections: frozenset[str],
    schema: GraphQLSchema,
    rules: tuple[type[ASTValidationRule], ...],
) -> _Verdict:
    key = (query, limits, connections, schema, rules)
    verdict = checked.get(key)
    if verdict is None:
        problem, variable_pages = _judge(document, limits, connections, None)
        errors = (
            () if problem else tuple(map(_detached, validate_document(schema, document, rules)))
        )
        verdict = _Verdict(problem, _document_tokens(document), variable_pages, errors)
        checked.put(key, verdict, len(query))
    return verdict


# graphql-core's message when the field-merging budget (or the interpreter's recursion, which
# the depth limit forestalls) runs out: true, but no help to the client.
_ABORTED = "Validation aborted."
REPETITIVE = (
    "This document repeats the same fields too often to be checked; select each field once or"
    " use fewer copies of the fragment."
)


def _detached(error: GraphQLError) -> GraphQLError:
    """The error as located in the source, without its nodes: a node reaches every token of
    the document, which would stay in memory for as long as the verdict. Says why validation
    was aborted."""
    message = REPETITIVE if error.message == _ABORTED else error.message
    return GraphQLError(
        message, source=error.source, positions=error.positions, extensions=error.extensions
    )


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


def _judge(
    document: DocumentNode,
    limits: Limits,
    connections: frozenset[str],
    variables: dict[str, object] | None,
) -> tuple[str | None, bool]:
    """Why `document` is refused (None if it is not), and whether its cost depends on the
    variables. Without them (None) variable page sizes count as 1: that verdict refuses only
    what any values would."""
    variable_pages = False
    try:
        for operation, measure in measure_operations(document, variables, connections):
            name = operation.name.value if operation.name else "anonymous"
            variable_pages = variable_pages or measure.variable_pages
            problem = _problem(name, measure, limits)
            if problem is not None:
                return problem, variable_pages
    except FragmentCycle as cycle:
        return f"Cannot spread fragment '{cycle.name}' within itself.", False
    return None, variable_pages


def _problem(name: str, measure: Measure, limits: Limits) -> str | None:
    if measure.fields > limits.max_fields:
        return (
            f"'{name}' selects more than {limits.max_fields} fields once its fragments are expanded"
        )
    if measure.depth > limits.max_depth:
        return f"'{name}' exceeds maximum operation depth of {limits.max_depth}"
    if measure.aliases > limits.max_aliases:
        return f"{measure.aliases} aliases found. Allowed: {limits.max_aliases}"
    if measure.schemas > limits.max_schemas or measure.types > limits.max_types:
        # Each copy answers the whole schema again: a second of CPU for thirty of them.
        return (
            f"'{name}' selects `__schema` {measure.schemas} times and `__type`"
            f" {measure.types} times once its fragments are expanded; at most"
            f" {limits.max_schemas} and {limits.max_types} are allowed."
        )
    if measure.cost > limits.max_cost:
        return (
            f"'{name}' could return up to {measure.cost} nodes (each connection's"
            f" selection counted once per item of its page: `first`, `last` or 20);"
            f" at most {limits.max_cost} are allowed."
        )
    return None
