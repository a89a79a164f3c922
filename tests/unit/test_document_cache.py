"""The parser and validation caches hold a bounded amount of documents, however many distinct
large ones arrive: each distinct 20 KB document used to keep some 3 MB until 1,024 had come."""

from __future__ import annotations

import gc
import itertools
import tracemalloc
import uuid

import pytest

from api import document_cache, limits
from api.document_cache import SizedCache
from api.schema import schema

pytestmark = pytest.mark.unit

_fresh = itertools.count()


def _document(fields: int) -> str:
    """Refused by validation (the field merging check, or the last field, which no type has)."""
    return "{ me { " + " ".join(["id"] * fields) + " nope } } # " + uuid.uuid4().hex


async def _send(document: str) -> None:
    result = await schema.execute(document)
    assert result.errors


def _traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


async def test_distinct_large_documents_keep_a_bounded_amount_of_memory() -> None:
    cacheable = 2300  # some 7 KiB of source, under the largest document cached
    await _send(_document(cacheable))
    tracemalloc.start()
    try:
        start = _traced()
        for _ in range(6):  # filling part of the budget: the cost of one cached document
            await _send(_document(cacheable))
        per_document = (_traced() - start) / 6
        for _ in range(24):
            await _send(_document(cacheable))
        for _ in range(5):  # some 20 KB each: never cached
            await _send(_document(4990))
        grown = _traced() - start
    finally:
        tracemalloc.stop()
    held = document_cache.PARSED_BUDGET // len(_document(cacheable)) + 1
    # Unbounded by size, the 35 documents would keep about 41 x per_document and more.
    assert grown < per_document * held * 1.5, (grown, per_document, held)
    for cache in (document_cache.parsed, limits.checked):
        assert cache.size <= cache.budget
        assert len(cache) <= cache.max_entries


def test_the_cache_evicts_the_least_recently_used_to_stay_within_its_budget() -> None:
    cache: SizedCache[str] = SizedCache(budget=10, max_entries=3, max_entry=6)
    cache.put("a", "A", 4)
    cache.put("b", "B", 4)
    assert cache.get("a") == "A"  # now the most recently used
    cache.put("c", "C", 4)  # 12 > 10: "b" goes
    assert (cache.get("b"), cache.get("a"), cache.get("c"), cache.size) == (None, "A", "C", 8)
    cache.put("big", "X", 7)  # larger than any entry may be: not kept, nothing evicted
    assert (cache.get("big"), len(cache), cache.size) == (None, 2, 8)
    cache.put("d", "D", 1)
    cache.put("e", "E", 1)  # four entries > 3: the oldest ("a") goes
    assert (cache.get("a"), len(cache), cache.size) == (None, 3, 6)
    cache.put("d", "D2", 2)  # replacing an entry accounts its new size only
    assert (cache.get("d"), cache.size) == ("D2", 7)
