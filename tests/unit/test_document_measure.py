"""A document's size with its fragments expanded, computed without expanding them."""

from __future__ import annotations

import pytest
from graphql import parse

from api.document_measure import CEILING, FragmentCycle, Measure, measure_operations

pytestmark = pytest.mark.unit


def _measure(document: str) -> list[Measure]:
    return [measure for _, measure in measure_operations(parse(document))]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("{ a { b c: d } }", Measure(depth=2, aliases=1, fields=3)),
        (
            "{ a { ...F ...F } x: e } fragment F on A { b { c: d } }",
            Measure(depth=3, aliases=3, fields=6),
        ),
        (
            "{ ...G } fragment G on Q { a { ...F } } fragment F on A { ... on A { b { c } } }",
            Measure(depth=3, aliases=0, fields=3),
        ),
        # Introspection counts for fields and aliases, not depth (its types nest `ofType`).
        (
            "{ __schema { t: types { ...T } } } fragment T on __Type { ofType { ofType { name } } }",
            Measure(depth=0, aliases=1, fields=5),
        ),
        ("{ a ...Unknown }", Measure(depth=1, aliases=0, fields=1)),
    ],
)
def test_fragments_count_as_if_expanded(document: str, expected: Measure) -> None:
    assert _measure(document) == [expected]


def test_each_operation_is_measured_on_its_own() -> None:
    document = "query A { a } query B { b { c } ...F } fragment F on Q { d }"
    assert _measure(document) == [Measure(1, 0, 1), Measure(2, 0, 3)]


def test_copies_multiply_without_being_made_and_stop_at_the_ceiling() -> None:
    levels = " ".join(f"fragment F{i} on Q {{ ...F{i + 1} ...F{i + 1} }}" for i in range(60))
    [measure] = _measure(f"{{ ...F0 }} {levels} fragment F60 on Q {{ a: b }}")
    assert measure == Measure(depth=1, aliases=CEILING, fields=CEILING)
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
    assert measure == Measure(depth=3001, aliases=0, fields=3001)
