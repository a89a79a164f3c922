"""A member's campaign gifts in its data export. Erasure leaves them as they are: like ledger
entries, a gift holds ids and points only, and the campaign's gift account must still add up."""

from __future__ import annotations

from typing import Any

from loyalty.export_parts import _rows

_OF_MEMBER = """
SELECT g.campaign_id, g.delivery_id, g.points, g.entry_id, g.created_at AS given_at
FROM campaign_gift g WHERE g.program_id = $1 AND g.member_id = $2 ORDER BY g.id
"""


async def export_part(connection: Any, program_id: int, member_id: int) -> dict[str, Any]:
    """Every gift campaigns gave the member, with the ledger entry that credited it."""
    return {"campaignGifts": await _rows(connection, _OF_MEMBER, program_id, member_id)}
