"""The loyalty area forgets an erased member: a reaction to `member.erased`, in the erasing
transaction (consent/erasure.py owns the request, the tombstones and the event).

The profile is pseudonymised (email, name, birthday, locale, and the storefront's externalId,
replaced by `erased:<random>` so neither the storefront's id nor the member's token resolves any
more); free texts an admin wrote about the member (tier assignment notes) are cleared; records of
which member token wrote an entry or a redemption lose the externalId. Ledger entries, balances,
lots, tier buckets, redemptions and codes stay as they are: they hold no personal data, and the
program's totals and `loyalty audit` still add up.
"""

from __future__ import annotations

from backbone.uow import UnitOfWork
from domain.events import DomainEvent, MemberErased
from domain.members import MemberStatus
from domain.privacy import ERASED_DISPLAY_NAME, erased_email, erased_external_id, pseudonym

MEMBER_ACTOR = "member"

_FORGET_PROFILE = """
UPDATE member m SET external_id = $3, email = $4, display_name = $5, birthday = NULL,
       locale = p.default_locale, status = $6, updated_at = $7
  FROM program p
 WHERE m.id = $1 AND m.program_id = $2 AND p.id = m.program_id
RETURNING 1
"""


async def forget_member(event: DomainEvent, uow: UnitOfWork) -> None:
    assert isinstance(event, MemberErased)
    connection, member_id, program_id = uow.connection, event.member_id, event.program_id
    rows = await connection.execute_query_dict(
        "SELECT external_id FROM member WHERE id = $1 AND program_id = $2", [member_id, program_id]
    )
    if not rows:
        return
    written_by = f"{MEMBER_ACTOR}:{rows[0]['external_id']}"
    alias = pseudonym()
    await connection.execute_query(
        _FORGET_PROFILE,
        [
            member_id,
            program_id,
            erased_external_id(alias),
            erased_email(alias),
            ERASED_DISPLAY_NAME,
            MemberStatus.ERASED.value,
            uow.now(),
        ],
    )
    await connection.execute_query(
        "UPDATE points_entry SET actor = $2 WHERE member_id = $1 AND actor = $3",
        [member_id, MEMBER_ACTOR, written_by],
    )
    await connection.execute_query(
        "UPDATE reward_redemption SET actor = $2 WHERE member_id = $1 AND actor = $3",
        [member_id, MEMBER_ACTOR, written_by],
    )
    # The member token's idempotency keys name it; it writes nothing any more.
    await connection.execute_query(
        "DELETE FROM idempotency_key WHERE program_id = $1 AND client = $2",
        [program_id, written_by],
    )
    await connection.execute_query(
        "UPDATE tier_history SET note = NULL WHERE member_id = $1 AND note IS NOT NULL",
        [member_id],
    )
    await connection.execute_query(
        "UPDATE member_tier SET assigned_reason = NULL"
        " WHERE member_id = $1 AND assigned_reason IS NOT NULL",
        [member_id],
    )
