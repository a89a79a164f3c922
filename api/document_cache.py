"""Caches of parsed and checked documents, bounded by the size of their source text.

Counting entries is not enough: a parsed document takes some 200 bytes per character of its
source (a 20 KB document of 5,000 fields, about 3 MB), so 1,024 entries of distinct large
documents grew a worker by gigabytes. Here every entry is accounted at its source's length, the
total stays within a budget, and documents too large to be worth keeping are not kept at all:
they are parsed for each request, which the token limit already bounds.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterator
from typing import Generic, TypeVar

from graphql import DocumentNode, parse
from strawberry.extensions import SchemaExtension

V = TypeVar("V")

MAX_ENTRIES = 1024
# Clients send the same few documents again and again, each well under a few KiB (GraphiQL's
# introspection query is 1.6 KiB); larger ones are rare enough to parse each time.
MAX_ENTRY_SOURCE = 8 * 1024
# Parsed documents: 128 KiB of source is some 25 MB of syntax trees at worst (tightly packed
# fields), hundreds of ordinary documents.
PARSED_BUDGET = 128 * 1024
# Checked documents keep only their text and verdict, detached from the syntax tree.
CHECKED_BUDGET = 1024 * 1024


class SizedCache(Generic[V]):
    """Least recently used entries evicted once their total size or their number passes a
    bound; an entry larger than `max_entry` is never stored."""

    def __init__(
        self, budget: int, max_entries: int = MAX_ENTRIES, max_entry: int = MAX_ENTRY_SOURCE
    ):
        self.budget, self.max_entries, self.max_entry = budget, max_entries, max_entry
        self.size = 0  # the accounted size of the entries held
        self._entries: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[0]

    def put(self, key: Hashable, value: V, size: int) -> None:
        if size > self.max_entry or size > self.budget:
            return
        previous = self._entries.pop(key, None)
        if previous is not None:
            self.size -= previous[1]
        self._entries[key] = (value, size)
        self.size += size
        while self.size > self.budget or len(self._entries) > self.max_entries:
            _, (_, evicted) = self._entries.popitem(last=False)
            self.size -= evicted


parsed: SizedCache[DocumentNode] = SizedCache(PARSED_BUDGET)


class DocumentParser(SchemaExtension):
    """Parses with the cache above; replaces strawberry's ParserCache, bounded by count only."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        options = context.parse_options
        # The options (the token limit) are part of the key: they decide whether parsing fails.
        key = (context.query, tuple(sorted(options.items())))
        document = parsed.get(key)
        if document is None and context.query:  # none: strawberry answers MissingQueryError
            document = parse(context.query, **options)
            parsed.put(key, document, len(context.query))
        context.graphql_document = document
        yield
