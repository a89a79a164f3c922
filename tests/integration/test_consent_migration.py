"""Revision 0011 gives programs that existed before it the default purposes, and keeps the
consent ledger and the data-usage log append-only."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg
import pytest

from api.database import connection_params
from api.migrations import upgrade
from domain.consent import DEFAULT_PURPOSES

pytestmark = pytest.mark.integration


async def _run(url: str, *statements: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(**connection_params(url))
    try:
        rows: list[asyncpg.Record] = []
        for statement in statements:
            rows = await connection.fetch(statement)
        return rows
    finally:
        await connection.close()


def test_existing_programs_get_the_default_purposes(database_factory: Callable[[], str]) -> None:
    url = database_factory()
    upgrade(url, "0010")
    asyncio.run(
        _run(
            url,
            "INSERT INTO program (key, name, currency, timezone, default_locale, config_version,"
            " created_at, updated_at) VALUES ('old', 'Old', 'EUR', 'UTC', 'en', 0, now(), now())",
        )
    )
    upgrade(url, "0011")
    rows = asyncio.run(
        _run(url, "SELECT key, legal_basis, policy_version FROM consent_purpose ORDER BY id")
    )
    assert [(r["key"], r["legal_basis"], r["policy_version"]) for r in rows] == [
        (p.key, p.legal_basis.value, 1) for p in DEFAULT_PURPOSES if p.key != "referral_display"
    ]
    upgrade(url, "0013")  # which adds the purpose of referrals to existing programs
    rows = asyncio.run(_run(url, "SELECT key FROM consent_purpose ORDER BY id"))
    assert [r["key"] for r in rows] == [p.key for p in DEFAULT_PURPOSES]
    asyncio.run(
        _run(
            url,
            "INSERT INTO member (program_id, external_id, email, display_name, locale, status,"
            " created_at, updated_at) SELECT id, 'ann', 'a@example.com', 'A', 'en', 'ACTIVE',"
            " now(), now() FROM program",
            "INSERT INTO consent_record (program_id, member_id, purpose_key, granted,"
            " policy_version, source, actor, recorded_at)"
            " SELECT program_id, id, 'profiling', true, 1, 'APP', 'member', now() FROM member",
        )
    )
    for statement in ("UPDATE consent_record SET granted = false", "DELETE FROM consent_record"):
        with pytest.raises(asyncpg.RestrictViolationError):
            asyncio.run(_run(url, statement))
