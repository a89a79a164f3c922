"""The size of a GraphQL document with its fragments expanded, in time linear in its text.

Fragments may spread other fragments several times each, so expanding spreads one by one costs
fan-out**levels: a 900-byte document of 22 levels took seconds. Here each definition's own
selections are walked once, then each fragment's measure is computed once from those of the
fragments it spreads, spread fragments first; operations combine the finished measures.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

# Counts stop growing here: a fragment bomb's copies would otherwise be numbers of hundreds of
# digits, and any limit worth enforcing is far below.
CEILING = 1_000_000


@dataclass(frozen=True, slots=True)
class Measure:
    """A selection set as execution would see it with every spread replaced by its fragment."""

    depth: int  # deepest nesting of fields; introspection subtrees (`__schema`...) not counted
    aliases: int  # aliased fields, every copy counted
    fields: int  # fields, every copy counted, introspection included


class FragmentCycle(Exception):
    """A fragment spreads itself, directly or through others; such a document has no size."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


@dataclass(slots=True)
class _Own:
    """One definition's own selections, and the spreads still to be added to them."""

    depth: int = 0
    aliases: int = 0
    fields: int = 0
    # (fragment, number of fields around the spread); None inside introspection, whose depth
    # is bounded by the token limit instead, as depth limiters customarily do.
    spreads: list[tuple[str, int | None]] = field(default_factory=list)


def measure_operations(
    document: DocumentNode,
) -> Iterator[tuple[OperationDefinitionNode, Measure]]:
    """Each operation of `document` with its measure; FragmentCycle if fragments spread in a
    circle. Spreads of unknown fragments count as nothing: validation refuses them."""
    fragments = {
        d.name.value: _own(d.selection_set)
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    measured: dict[str, Measure] = {}
    for name in _spread_first(fragments):
        measured[name] = _combine(fragments[name], measured)
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            yield definition, _combine(_own(definition.selection_set), measured)


def _own(selection_set: SelectionSetNode) -> _Own:
    own = _Own()
    # (selection set, fields around it); None once inside introspection
    pending: list[tuple[SelectionSetNode, int | None]] = [(selection_set, 0)]
    while pending:
        selections, around = pending.pop()
        for selection in selections.selections:
            if isinstance(selection, FragmentSpreadNode):
                own.spreads.append((selection.name.value, around))
            elif isinstance(selection, InlineFragmentNode):
                pending.append((selection.selection_set, around))
            elif isinstance(selection, FieldNode):
                own.fields += 1
                own.aliases += 1 if selection.alias else 0
                introspection = selection.name.value.startswith("__")
                inner = None if around is None or introspection else around + 1
                if inner is not None:
                    own.depth = max(own.depth, inner)
                if selection.selection_set is not None:
                    pending.append((selection.selection_set, inner))
    return own


def _spread_first(fragments: dict[str, _Own]) -> list[str]:
    """Fragment names ordered so that every fragment comes after those it spreads."""
    order: list[str] = []
    done: set[str] = set()
    for root in fragments:
        if root in done:
            continue
        path = [(root, iter(fragments[root].spreads))]
        on_path = {root}
        while path:
            name, spreads = path[-1]
            for spread, _ in spreads:
                if spread in on_path:
                    raise FragmentCycle(spread)
                if spread in fragments and spread not in done:
                    path.append((spread, iter(fragments[spread].spreads)))
                    on_path.add(spread)
                    break
            else:
                path.pop()
                on_path.discard(name)
                done.add(name)
                order.append(name)
    return order


def _combine(own: _Own, measured: dict[str, Measure]) -> Measure:
    depth, aliases, fields = own.depth, own.aliases, own.fields
    for name, around in own.spreads:
        spread = measured.get(name)
        if spread is None:
            continue
        if around is not None:
            depth = max(depth, around + spread.depth)
        aliases = min(CEILING, aliases + spread.aliases)
        fields = min(CEILING, fields + spread.fields)
    return Measure(depth=depth, aliases=min(CEILING, aliases), fields=min(CEILING, fields))
