"""An admin's review of a held conversion: approve grants both rewards now (conversion.grant),
reject records why; audited either way."""

from __future__ import annotations

from backbone.uow import UnitOfWork
from domain.events import ReferralRejected
from domain.referrals import Rule, Status
from domain.validation import ErrorCode, InvalidInput, Problem
from loyalty.referrals import store
from loyalty.referrals.commands import ReviewReferral
from loyalty.referrals.conversion import SET_STATUS, grant

_FIND = "SELECT referrer_id, referee_id FROM referral WHERE program_id = $1 AND id = $2"
_LOCK_BOTH = """
SELECT id FROM member WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE
"""
_HELD = """
SELECT id, referrer_id, referee_id, status, order_id, hold_rule FROM referral
WHERE program_id = $1 AND id = $2 FOR UPDATE
"""


def _no_referral() -> InvalidInput:
    return InvalidInput(
        Problem(("id",), "No such referral in this program.", ErrorCode.REFERRAL_NOT_FOUND)
    )


async def review_referral(command: ReviewReferral, uow: UnitOfWork) -> int:
    """Approve (both rewards, now) or reject a held conversion; both members locked first, in
    ascending order."""
    program_id = command.program.id
    async with uow:
        found = await uow.connection.execute_query_dict(_FIND, [program_id, command.referral_id])
        if not found:
            raise _no_referral()
        members = sorted({found[0]["referrer_id"], found[0]["referee_id"]})
        await uow.connection.execute_query_dict(_LOCK_BOTH, [members])
        [referral] = await uow.connection.execute_query_dict(
            _HELD, [program_id, command.referral_id]
        )
        if referral["status"] != Status.HELD.value:
            raise InvalidInput(
                Problem(
                    ("id",),
                    "This referral is not held for review.",
                    ErrorCode.INVALID_REFERRAL_STATE,
                )
            )
        settings = await store.load_settings(uow.connection, program_id)
        assert settings is not None  # a held referral was judged under settings
        now = uow.now()
        rule = referral["hold_rule"] or Rule.VELOCITY_CAP.value
        await store.audit(
            uow.connection,
            program_id,
            rule=rule,
            verdict="APPROVED" if command.approve else "REJECTED",
            actor=command.actor,
            at=now,
            referral_id=referral["id"],
            referrer_id=referral["referrer_id"],
            referee_id=referral["referee_id"],
        )
        if command.approve:
            await grant(uow, program_id, referral, referral["order_id"], settings)
        else:
            await uow.connection.execute_query_dict(
                SET_STATUS, [referral["id"], Status.REJECTED.value, rule, None, now]
            )
            uow.record(
                ReferralRejected(
                    program_id=program_id,
                    member_id=referral["referee_id"],
                    referral_id=referral["id"],
                    referrer_id=referral["referrer_id"],
                    rule=rule,
                )
            )
    return command.referral_id
