"""A member's campaign deliveries in its data export, and what erasure leaves of them.

A delivery's occasion names what the member bought and when (`reorder:<sku>@<epoch>`): on
erasure it keeps only its kind (`reorder:erased:<delivery id>`, still unique), so the experiment
results (arm, status, exposure time: no personal data) still add up; a DEFERRED delivery, never
sent, is dropped, as an erased member is never reached again.
"""

from __future__ import annotations

from typing import Any

from backbone.uow import UnitOfWork
from domain.events import DomainEvent, MemberErased
from loyalty.export_parts import _rows

_OF_MEMBER = """
SELECT d.campaign_id, c.name AS campaign_name, d.occasion, d.arm, d.status, d.reason,
  d.created_at, d.delivered_at, d.due_at
FROM campaign_delivery d JOIN campaign c ON c.id = d.campaign_id
WHERE d.program_id = $1 AND d.member_id = $2 ORDER BY d.id
"""
_DROP_DEFERRED = "DELETE FROM campaign_delivery WHERE member_id = $1 AND status = 'DEFERRED'"
_FORGET_OCCASIONS = """
UPDATE campaign_delivery SET occasion = split_part(occasion, ':', 1) || ':erased:' || id
WHERE member_id = $1 AND occasion <> '' AND occasion NOT LIKE '%:erased:%'
"""


async def export_part(connection: Any, program_id: int, member_id: int) -> dict[str, Any]:
    """Every campaign decision about the member: sent, offered, held out, skipped, deferred."""
    return {"campaignDeliveries": await _rows(connection, _OF_MEMBER, program_id, member_id)}


async def forget_member(event: DomainEvent, uow: UnitOfWork) -> None:
    assert isinstance(event, MemberErased)
    await uow.connection.execute_query(_DROP_DEFERRED, [event.member_id])
    await uow.connection.execute_query(_FORGET_OCCASIONS, [event.member_id])
