"""Insights forget an erased member: a reaction to `member.erased` in the erasing transaction
deletes its scores, predictions and reorder dates (derived from its behaviour: nothing of it
is kept). It is in no segment afterwards: segments hold ACTIVE members only."""

from __future__ import annotations

from backbone.uow import UnitOfWork
from domain.events import DomainEvent, MemberErased

_FORGET = """
WITH rfm AS (DELETE FROM member_rfm WHERE member_id = $1 AND program_id = $2),
prediction AS (DELETE FROM member_prediction WHERE member_id = $1 AND program_id = $2)
DELETE FROM member_reorder WHERE member_id = $1 AND program_id = $2
"""


async def forget_scores(event: DomainEvent, uow: UnitOfWork) -> None:
    assert isinstance(event, MemberErased)
    await uow.connection.execute_query(_FORGET, [event.member_id, event.program_id])
