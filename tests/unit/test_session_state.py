"""Pooled connections go back to the pool without a reset (api/database.py `keep_session`), so no
code may leave state on a session: a session-level SET, LISTEN, an open cursor or a session
advisory lock would leak into whichever request gets the connection next."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
AREAS = ("api", "backbone", "consent", "domain", "loyalty")
SESSION_STATE = re.compile(
    r"pg_advisory_lock\s*\(|pg_advisory_lock_shared\s*\(|\bLISTEN\s+\w|\bDECLARE\s+\w+\s+(?:\w+\s+)*CURSOR"
    r"|[\"';]\s*SET\s+(?:SESSION\s+)?(?!LOCAL\b)[a-z_.]+\s*(?:=|TO\b)",
    re.IGNORECASE,
)


def test_no_code_leaves_state_on_a_pooled_session() -> None:
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0).strip()}"
        for area in AREAS
        for path in (ROOT / area).rglob("*.py")
        for match in SESSION_STATE.finditer(path.read_text())
    ]
    assert found == []


def test_the_check_sees_what_it_looks_for() -> None:
    for leak in ('"SET statement_timeout = 0"', "LISTEN events", "SELECT pg_advisory_lock(1)"):
        assert SESSION_STATE.search(leak), leak
    for fine in (
        '"SET LOCAL lock_timeout = 10"',
        "UPDATE t SET a = 1",
        "SELECT pg_advisory_xact_lock(1)",
    ):
        assert not SESSION_STATE.search(fine), fine
