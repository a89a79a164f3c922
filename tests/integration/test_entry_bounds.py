"""The database keeps every figure of a ledger entry readable by a 32-bit GraphQL Int, as the
code does (domain.ledger.apply): a figure that slips past the code still cannot be stored."""

from __future__ import annotations

import json

import pytest
from tortoise import connections
from tortoise.exceptions import OperationalError

from backbone.bus import MessageBus
from domain.clock import FixedClock
from domain.ledger import MAX_POINTS
from loyalty.commands import CreateProgram

pytestmark = pytest.mark.integration

INSERT = """
INSERT INTO points_entry (program_id, member_id, kind, points, available_delta, pending_delta,
  debt_delta, lifetime_delta, available_after, pending_after, debt_after, lifetime_after,
  reason_code, reason, actor, explanation, created_at)
VALUES ($1, $2, 'ADJUST', $3, 0, 0, 0, 0, 0, 0, 0, 0, 'ADJUSTMENT', 'x', 'test', $4, $5)
"""


@pytest.mark.parametrize(
    ("points", "line"), [(MAX_POINTS + 1, 0), (0, MAX_POINTS + 1), (0, -MAX_POINTS - 1)]
)
async def test_an_entry_or_explanation_line_beyond_32_bits_is_refused(
    db: None, bus: MessageBus, clock: FixedClock, points: int, line: int
) -> None:
    program = await bus.handle(
        CreateProgram(key="acme", name="Acme", currency="EUR", timezone="UTC", default_locale="en")
    )
    explanation = json.dumps({"lines": [{"code": "BASE", "label": "x", "points": line}]})
    with pytest.raises(OperationalError, match=r"points_entry_(explanation_)?bounds"):
        await connections.get("default").execute_query(
            INSERT, [program.id, 1, points, explanation, clock.now()]
        )
