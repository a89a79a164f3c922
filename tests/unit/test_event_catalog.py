"""The README's event catalog says what domain/events.py records: every type, with its payload.

Clients filter and subscribe by these names and read these fields, so a new event type or field
must not ship undocumented, nor a removed one stay documented.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from domain.events import EVENT_TYPES, DomainEvent, MemberUpdated

pytestmark = pytest.mark.unit

README = Path(__file__).resolve().parents[2] / "README.md"
# Who an event concerns is not payload: the API gives it as the event's memberId.
NOT_PAYLOAD = {"program_id", "member_id"}
_ROW = re.compile(r"^\| `(?P<type>[a-z_.]+)` \|(?P<when>[^|]+)\|(?P<payload>[^|]+)\|$")


def _section() -> str:
    text = README.read_text()
    start = text.index("\n## Event log\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def _catalog() -> list[tuple[str, list[str]]]:
    """(type, payload fields) for each row of the section's table."""
    rows = [_ROW.match(line) for line in _section().splitlines()]
    return [(row["type"], re.findall(r"`([A-Za-z]+)`", row["payload"])) for row in rows if row]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _payload_fields(event: type[DomainEvent]) -> list[str]:
    return [_camel(item.name) for item in dataclasses.fields(event) if item.name not in NOT_PAYLOAD]


def test_the_readme_lists_every_event_type_once() -> None:
    assert sorted(name for name, _ in _catalog()) == sorted(EVENT_TYPES)


def test_the_readme_gives_each_event_its_payload_fields() -> None:
    documented = dict(_catalog())
    for name, event in EVENT_TYPES.items():
        assert documented.get(name) == _payload_fields(event), name


def test_every_payload_field_is_explained() -> None:
    explained = set(re.findall(r"`([A-Za-z]+)`: ", _section()))
    fields = {field for _, fields in _catalog() for field in fields}
    assert fields <= explained, fields - explained


def test_the_payload_fields_match_what_an_event_says() -> None:
    """The dataclass fields read above are what payload() writes, keys as in the API."""
    event = MemberUpdated(program_id=1, member_id=2, changed=("email",))
    assert list(event.payload()) == _payload_fields(MemberUpdated)
