"""A revoked partner client's endpoints stop with it: in the revocation's own transaction, its
webhook subscriptions are paused (with the reason shown to admins) and the deliveries still
waiting for them are failed, so nothing more is sent to a partner the program has cut off."""

from __future__ import annotations

from backbone.uow import UnitOfWork
from domain.events import DomainEvent, PartnerClientRevoked

REASON = "The partner client that owns it was revoked."
_PAUSE = """
UPDATE webhook_subscription SET active = false, disabled_reason = $3
WHERE program_id = $1 AND owner = $2 AND active
RETURNING id
"""
_FAIL_WAITING = """
UPDATE webhook_delivery SET status = 'failed', finished_at = $2
WHERE subscription_id = ANY($1::bigint[]) AND status = 'pending'
"""


async def on_client_revoked(event: DomainEvent, uow: UnitOfWork) -> None:
    assert isinstance(event, PartnerClientRevoked)
    owner = f"partner:{event.client_id}"
    paused = await uow.connection.execute_query_dict(_PAUSE, [event.program_id, owner, REASON])
    if paused:
        await uow.connection.execute_query(
            _FAIL_WAITING, [[row["id"] for row in paused], uow.now()]
        )
