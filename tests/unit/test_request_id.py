"""Which X-Request-ID values a caller may choose, and what the API makes when it may not."""

from __future__ import annotations

import re

import pytest

from api.request_id import accepted_request_id, new_request_id

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "value",
    ["a", "req-42", "7f3c0a9e2b1d4c5e8f6a7b8c9d0e1f2a", "trace.v1_X-9", "x" * 128],
)
def test_bounded_tokens_of_safe_characters_are_accepted(value: str) -> None:
    assert accepted_request_id(value) == value


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "x" * 129,
        "abc\n",
        "abc\ndef",
        "a b",
        "a\tb",
        'a"b',
        "id{injected}",
        "café",
        "a\x00b",
        "line\r\nX-Admin: 1",
    ],
)
def test_anything_else_is_refused(value: str | None) -> None:
    assert accepted_request_id(value) is None


def test_new_ids_are_fresh_hex_tokens_that_would_be_accepted() -> None:
    first, second = new_request_id(), new_request_id()
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second
    assert accepted_request_id(first) == first
