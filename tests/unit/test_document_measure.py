"""A document's size with its fragments expanded, computed without expanding them."""

from __future__ import annotations

import pytest
from graphql import get_introspection_query, parse

from api.document_measure import CEILING, FragmentCycle, Measure, measure_operations

pytestmark = pytest.mark.unit


def _measure(
    document: str,
    variables: dict[str, object] | None = None,
    connections: frozenset[str] = frozenset(),
) -> list[Measure]:
    return [m for _, m in measure_operations(parse(document), variables, connections)]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("{ a { b c: d } }", Measure(depth=2, aliases=1, fields=3, cost=3, schemas=0, types=0)),
        (
            "{ a { ...F ...F } x: e } fragment F on A { b { c: d } }",
            Measure(depth=3, aliases=3, fields=6, cost=6, schemas=0, types=0),
        ),
        (
            "{ ...G } fragment G on Q { a { ...F } } fragment F on A { ... on A { b { c } } }",
            Measure(depth=3, aliases=0, fields=3, cost=3, schemas=0, types=0),
        ),
        # Introspection counts for fields and aliases, not depth (its types nest `ofType`).
        (
            "{ __schema { t: types { ...T } } } fragment T on __Type { ofType { ofType { name } } }",
            Measure(depth=0, aliases=1, fields=5, cost=5, schemas=1, types=0),
        ),
        ("{ a ...Unknown }", Measure(depth=1, aliases=0, fields=1, cost=1, schemas=0, types=0)),
    ],
)
def test_fragments_count_as_if_expanded(document: str, expected: Measure) -> None:
    assert _measure(document) == [expected]


def test_each_operation_is_measured_on_its_own() -> None:
    document = "query A { a } query B { b { c } ...F } fragment F on Q { d }"
    assert _measure(document) == [Measure(1, 0, 1, 1, 0, 0), Measure(2, 0, 3, 3, 0, 0)]


def test_copies_multiply_without_being_made_and_stop_at_the_ceiling() -> None:
    levels = " ".join(f"fragment F{i} on Q {{ ...F{i + 1} ...F{i + 1} }}" for i in range(60))
    [measure] = _measure(f"{{ ...F0 }} {levels} fragment F60 on Q {{ a: b }}")
    assert measure == Measure(1, CEILING, CEILING, CEILING, 0, 0)
    [exact] = _measure(f"{{ ...F50 }} {levels} fragment F60 on Q {{ a: b }}")
    assert exact.fields == 2**10


@pytest.mark.parametrize(
    "fragments",
    [
        "fragment A on Q { ...A }",
        "fragment A on Q { b ...B } fragment B on Q { c { ...A } }",
        "fragment A on Q { ...B } fragment B on Q { ...C } fragment C on Q { x ...B }",
    ],
)
def test_fragment_cycles_are_found(fragments: str) -> None:
    with pytest.raises(FragmentCycle):
        _measure(f"{{ ...A }} {fragments}")


def test_long_chains_need_no_recursion() -> None:
    chain = " ".join(f"fragment F{i} on Q {{ f{i} {{ ...F{i + 1} }} }}" for i in range(3000))
    [measure] = _measure(f"{{ ...F0 }} {chain} fragment F3000 on Q {{ end }}")
    assert measure == Measure(3001, 0, 3001, 3001, 0, 0)


@pytest.mark.parametrize(
    ("document", "variables", "cost"),
    [
        # The connection counts once, its selection once per item: 1 + 100 x (edges node id).
        ("{ ledger(first: 100) { edges { node { id } } } }", None, 301),
        ("{ ledger(last: 7) { edges { cursor } } }", None, 15),
        # A connection of the schema without page size: its default (20); out of range: 1..100.
        ("{ ledger { edges { cursor } } }", None, 41),
        ("{ ledger(first: 100000) { edges { cursor } } }", None, 201),
        ("{ ledger(first: 0) { edges { cursor } } }", None, 3),
        # Variables: the request's value, else the declared default, else the schema's.
        ("query($n: Int) { ledger(first: $n) { edges { cursor } } }", {"n": 50}, 101),
        ("query($n: Int = 5) { ledger(first: $n) { edges { cursor } } }", {}, 11),
        # Before the request's variables are known: 1, so only what any values refuse is.
        ("query($n: Int = 5) { ledger(first: $n) { edges { cursor } } }", None, 3),
        ("query($n: Int) { ledger(first: $n) { edges { cursor } } }", {"n": None}, 41),
        # Connections multiply, through fragments too, and aliases each count.
        (
            "{ members(first: 10) { edges { node { ...L } } } }"
            " fragment L on Member { ledger(first: 10) { edges { cursor } } }",
            None,
            1 + 10 * (2 + 1 + 10 * 2),
        ),
        ("{ a: ledger(first: 100) { x } b: ledger(first: 100) { x } }", None, 2 * 101),
    ],
)
def test_connections_count_their_selection_once_per_item(
    document: str, variables: dict[str, object] | None, cost: int
) -> None:
    [measure] = _measure(document, variables, frozenset({"ledger"}))
    assert measure.cost == cost
    assert measure.variable_pages == ("$" in document)


def test_the_audited_documents_cost_what_they_could_return() -> None:
    member = (
        "{ me { "
        + " ".join(
            f"l{i}: ledger(first: 100) {{ edges {{ node {{ id reason points }} }} }}"
            for i in range(30)
        )
        + " } }"
    )
    assert _measure(member)[0].cost == 1 + 30 * (1 + 100 * 5)
    # Introspection selects no connection: it costs its fields.
    [introspection] = _measure(get_introspection_query(descriptions=True))
    assert introspection.cost == introspection.fields
    assert (introspection.schemas, introspection.types) == (1, 0)


def test_introspection_copies_are_counted_through_aliases_and_fragments() -> None:
    aliased = " ".join(f"s{i}: __schema {{ ...S }}" for i in range(30))
    types = " ".join(f't{i}: __type(name: "Query") {{ name }}' for i in range(3))
    [measure] = _measure(
        f"{{ {aliased} ...T ...T }} fragment T on Query {{ {types} }}"
        " fragment S on __Schema { types { name } }"
    )
    assert (measure.schemas, measure.types) == (30, 6)
