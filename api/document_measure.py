"""The size and cost of a GraphQL document with its fragments expanded, in time linear in its text.

Fragments may spread other fragments several times each, so expanding spreads one by one costs
fan-out**levels: a 900-byte document of 22 levels took seconds. Here each definition's own
selections are walked once, then each fragment's measure is computed once from those of the
fragments it spreads, spread fragments first; operations combine the finished measures.

The cost is the number of nodes the document could return: each field counts 1, and the selection
of a connection (a field with a `first` or `last` argument, or named like a field of the schema
that takes one: its page is then the default) counts once per item of its page, so
thirty aliased `ledger(first: 100)` cost 30 x 100 x their fields while selecting only a few.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)

from api.relay import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

# Counts stop growing here: a fragment bomb's copies would otherwise be numbers of hundreds of
# digits, and any limit worth enforcing is far below.
CEILING = 1_000_000


@dataclass(frozen=True, slots=True)
class Measure:
    """A selection set as execution would see it with every spread replaced by its fragment."""

    depth: int  # deepest nesting of fields; introspection subtrees (`__schema`...) not counted
    aliases: int  # aliased fields, every copy counted
    fields: int  # fields, every copy counted, introspection included
    cost: int  # nodes it could return: fields, those inside a connection once per item
    schemas: int  # `__schema` fields, every copy counted
    types: int  # `__type` fields, every copy counted
    # A page size is a variable: the cost holds for these variables' values only.
    variable_pages: bool = False


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
    cost: int = 0
    schemas: int = 0
    types: int = 0
    variable_pages: bool = False
    # (fragment, number of fields around the spread, items per copy of the spread: the product
    # of the enclosing connections' page sizes); the number of fields is None inside
    # introspection, whose depth is bounded by the token limit instead, as depth limiters
    # customarily do.
    spreads: list[_Spread] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Spread:
    name: str
    around: int | None
    copies: int


@dataclass(frozen=True, slots=True)
class _Pages:
    """How to read a connection's page size: the request's variables, else the defaults the
    operations declare for them, else the schema's default."""

    variables: Mapping[str, object] | None  # None: not known yet, counted as 1 (a lower bound)
    defaults: Mapping[str, int]
    connections: frozenset[str]

    def size(self, selection: FieldNode, own: _Own) -> int | None:
        """Items of `selection`'s page, None if it is no connection. Sizes outside 1..100 are
        refused by the resolvers; counting them as 1 or 100 keeps the cost an upper bound."""
        sizes = [
            self._value(a.value, own) for a in selection.arguments or () if a.name.value in _PAGED
        ]
        if sizes:
            return max(1, min(MAX_PAGE_SIZE, max(sizes)))
        return DEFAULT_PAGE_SIZE if selection.name.value in self.connections else None

    def _value(self, value: object, own: _Own) -> int:
        if isinstance(value, IntValueNode):
            return min(int(value.value), MAX_PAGE_SIZE)
        if isinstance(value, VariableNode):
            own.variable_pages = True
            if self.variables is None:
                return 1
            name = value.name.value
            given = self.variables.get(name, self.defaults.get(name))
            if isinstance(given, int) and not isinstance(given, bool):
                return given
        return DEFAULT_PAGE_SIZE  # null, absent or not a number (which validation refuses)


_PAGED = ("first", "last")


def measure_operations(
    document: DocumentNode,
    variables: Mapping[str, object] | None = None,
    connections: frozenset[str] = frozenset(),
) -> Iterator[tuple[OperationDefinitionNode, Measure]]:
    """Each operation of `document` with its measure, page sizes read from `variables` (if None,
    variable page sizes count as 1), fields
    named in `connections` paged even without arguments (by name: no types needed); FragmentCycle if fragments spread in a circle. Spreads of unknown fragments count as
    nothing: validation refuses them."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    # Fragments are measured once for all operations: a variable's largest declared default.
    defaults: dict[str, int] = {}
    for operation in operations:
        for definition in operation.variable_definitions or ():
            default = definition.default_value
            if isinstance(default, IntValueNode):
                name = definition.variable.name.value
                defaults[name] = max(defaults.get(name, 0), min(int(default.value), CEILING))
    pages = _Pages(variables, defaults, connections)
    fragments = {
        d.name.value: _own(d.selection_set, pages)
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    measured: dict[str, Measure] = {}
    for name in _spread_first(fragments):
        measured[name] = _combine(fragments[name], measured)
    for operation in operations:
        yield operation, _combine(_own(operation.selection_set, pages), measured)


def _own(selection_set: SelectionSetNode, pages: _Pages) -> _Own:
    own = _Own()
    # (selection set, fields around it or None once inside introspection, items per copy)
    pending: list[tuple[SelectionSetNode, int | None, int]] = [(selection_set, 0, 1)]
    while pending:
        selections, around, copies = pending.pop()
        for selection in selections.selections:
            if isinstance(selection, FragmentSpreadNode):
                own.spreads.append(_Spread(selection.name.value, around, copies))
            elif isinstance(selection, InlineFragmentNode):
                pending.append((selection.selection_set, around, copies))
            elif isinstance(selection, FieldNode):
                name = selection.name.value
                own.fields += 1
                own.cost = min(CEILING, own.cost + copies)
                own.aliases += 1 if selection.alias else 0
                own.schemas += name == "__schema"
                own.types += name == "__type"
                introspection = name.startswith("__")
                inner = None if around is None or introspection else around + 1
                if inner is not None:
                    own.depth = max(own.depth, inner)
                if selection.selection_set is not None:
                    page = pages.size(selection, own)
                    inside = copies if page is None else min(CEILING, copies * page)
                    pending.append((selection.selection_set, inner, inside))
    return own


def _spread_first(fragments: dict[str, _Own]) -> list[str]:
    """Fragment names ordered so that every fragment comes after those it spreads."""
    order: list[str] = []
    done: set[str] = set()
    for root in fragments:
        if root in done:
            continue
        path = [(root, iter(s.name for s in fragments[root].spreads))]
        on_path = {root}
        while path:
            name, spreads = path[-1]
            for spread in spreads:
                if spread in on_path:
                    raise FragmentCycle(spread)
                if spread in fragments and spread not in done:
                    path.append((spread, iter(s.name for s in fragments[spread].spreads)))
                    on_path.add(spread)
                    break
            else:
                path.pop()
                on_path.discard(name)
                done.add(name)
                order.append(name)
    return order


def _combine(own: _Own, measured: dict[str, Measure]) -> Measure:
    depth, aliases, fields, cost = own.depth, own.aliases, own.fields, own.cost
    schemas, types, variable_pages = own.schemas, own.types, own.variable_pages
    for spread in own.spreads:
        inner = measured.get(spread.name)
        if inner is None:
            continue
        if spread.around is not None:
            depth = max(depth, spread.around + inner.depth)
        aliases = min(CEILING, aliases + inner.aliases)
        fields = min(CEILING, fields + inner.fields)
        cost = min(CEILING, cost + spread.copies * inner.cost)
        schemas = min(CEILING, schemas + inner.schemas)
        types = min(CEILING, types + inner.types)
        variable_pages = variable_pages or inner.variable_pages
    return Measure(
        depth=depth,
        aliases=min(CEILING, aliases),
        fields=min(CEILING, fields),
        cost=cost,
        schemas=schemas,
        types=types,
        variable_pages=variable_pages,
    )
