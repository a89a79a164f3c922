"""Depth and alias limits, computed once per distinct document.

Strawberry's QueryDepthLimiter and MaxAliasesLimiter add validation rules that run on every request
(about 0.9 ms each here, more than executing a small query). The same documents arrive again and
again, so the verdict is memoised by the document's text: a repeated query pays a dict lookup.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension

CACHE_SIZE = 1024


class DocumentLimits(SchemaExtension):
    """Refuses documents nested deeper than `max_depth` or with more than `max_aliases` aliases.
    Place it after ValidationCache so the GraphQL validation verdict is already known."""

    def __init__(self, *, max_depth: int, max_aliases: int) -> None:
        self.max_depth = max_depth
        self.max_aliases = max_aliases

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.query is not None:
            problem = _verdict(context.query, document, self.max_depth, self.max_aliases)
            if problem is not None:
                context.pre_execution_errors = [
                    *(context.pre_execution_errors or []),
                    GraphQLError(problem),
                ]
        yield


_verdicts: dict[tuple[str, int, int], str | None] = {}


def _verdict(query: str, document: DocumentNode, max_depth: int, max_aliases: int) -> str | None:
    key = (query, max_depth, max_aliases)
    if key not in _verdicts:
        if len(_verdicts) >= CACHE_SIZE:
            _verdicts.pop(next(iter(_verdicts)))  # oldest first: dicts keep insertion order
        _verdicts[key] = _judge(document, max_depth, max_aliases)
    return _verdicts[key]


def _judge(document: DocumentNode, max_depth: int, max_aliases: int) -> str | None:
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            name = definition.name.value if definition.name else "anonymous"
            depth, aliases = _measure(definition.selection_set, fragments, frozenset())
            if depth > max_depth:
                return f"'{name}' exceeds maximum operation depth of {max_depth}"
            if aliases > max_aliases:
                return f"{aliases} aliases found. Allowed: {max_aliases}"
    return None


def _measure(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    visiting: frozenset[str],
) -> tuple[int, int]:
    """(depth, aliases) of a selection set, following fragments; cycles count as nothing (the
    GraphQL validation that follows refuses them)."""
    if selection_set is None:
        return 0, 0
    depth, aliases = 0, 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            aliases += 1 if selection.alias else 0
            if selection.name.value.startswith("__"):
                # Introspection (GraphiQL's own query nests `ofType` 13 deep) is bounded by the
                # token limit instead, as depth limiters customarily do.
                continue
            inner_depth, inner_aliases = _measure(selection.selection_set, fragments, visiting)
            depth = max(depth, 1 + inner_depth)
            aliases += inner_aliases
        elif isinstance(selection, InlineFragmentNode):
            inner_depth, inner_aliases = _measure(selection.selection_set, fragments, visiting)
            depth, aliases = max(depth, inner_depth), aliases + inner_aliases
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in visiting:
                inner_depth, inner_aliases = _measure(
                    fragments[name].selection_set, fragments, visiting | {name}
                )
                depth, aliases = max(depth, inner_depth), aliases + inner_aliases
    return depth, aliases
