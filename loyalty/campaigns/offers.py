"""A campaign's offer, given to a member it was delivered to (SENT or OFFERED, never HELD_OUT).

The delivery row is itself the member's entitlement to a points multiplier or a reward
discount: the award and the redemption read it (inside the offer's window) when they happen
(held_offers.py), so nothing more is written here for them. A gift is credited now, once per
delivery, as a transfer: the campaign's gift account (a program-level account counting what
it gave) is debited and the member's ledger credited by the ledger's single writer.

Lock order (backbone/locks.py): the member first (FOR NO KEY UPDATE, by open_account), then the
campaign's gift account by one upsert. Under the member's lock a second delivery run sees the
first one's gift and gives nothing; the unique delivery refuses it anyway.

A member's gifts are in its data export; erasure leaves them as they are: like ledger entries,
a gift holds ids and points only, and the campaign's gift account must still add up.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from backbone.uow import UnitOfWork
from domain.campaigns import OfferKind
from domain.ledger import ExplanationLine, earn
from domain.members import MemberStatus
from domain.offers import gift_fits, gift_label, gift_source_ref
from loyalty.export_parts import _rows
from loyalty.models import Program
from loyalty.points.account import open_account
from loyalty.programs import ref

if TYPE_CHECKING:
    from loyalty.campaigns.models import Campaign

log = logging.getLogger(__name__)
ACTOR = "system:campaigns"
REASON_CODE = "CAMPAIGN_GIFT"

_GIVEN = "SELECT 1 FROM campaign_gift WHERE delivery_id = $1"
_OF_MEMBER = """
SELECT g.campaign_id, g.delivery_id, g.points, g.entry_id, g.created_at AS given_at
FROM campaign_gift g WHERE g.program_id = $1 AND g.member_id = $2 ORDER BY g.id
"""
# The account's debit and the gift that names the member's credit, in one statement.
_DEBIT_AND_RECORD = """
WITH account AS (
  INSERT INTO campaign_gift_account (campaign_id, program_id, given_points, gifts)
  VALUES ($1, $2, $3, 1)
  ON CONFLICT (campaign_id) DO UPDATE SET
    given_points = campaign_gift_account.given_points + EXCLUDED.given_points,
    gifts = campaign_gift_account.gifts + 1
  RETURNING id
)
INSERT INTO campaign_gift
  (program_id, account_id, campaign_id, delivery_id, member_id, points, entry_id, created_at)
SELECT $2, account.id, $1, $4, $5, $3, $6, $7 FROM account
"""


async def grant_on_delivery(
    uow: UnitOfWork, campaign: Campaign, member_id: int, delivery_id: int
) -> None:
    """Give `campaign`'s offer to `member_id` for the delivery `delivery_id`, inside the
    delivery's unit of work. Only a gift writes anything; a member no longer active gets none."""
    if campaign.offer_kind != OfferKind.GIFT or not campaign.offer_points:
        return
    account = await open_account(
        uow, campaign.program_id, member_id=member_id, actor=ACTOR, all_lots=False
    )
    assert account is not None  # only a skip_locked open finds no account
    if account.status is not MemberStatus.ACTIVE:
        return
    if await uow.connection.execute_query_dict(_GIVEN, [delivery_id]):
        return
    await account.settle_due()
    program = ref(await Program.get(id=campaign.program_id, using_db=uow.connection))
    points, label = campaign.offer_points, gift_label()
    posting = earn(
        account.balance,
        points,
        lines=(ExplanationLine(REASON_CODE, label, points),),
        activates_at=None,
        expires_at=program.points.expiry.expires_at(account.now, program.timezone),
    )
    if not gift_fits(account.balance, posting):
        log.warning("campaign %s: no gift for member %s, beyond its bounds", campaign.id, member_id)
        return
    posted = await account.post(
        posting,
        reason_code=REASON_CODE,
        reason=label,
        source_ref=gift_source_ref(delivery_id),
    )
    await uow.connection.execute_query_dict(
        _DEBIT_AND_RECORD,
        [campaign.id, campaign.program_id, points, delivery_id, member_id, posted.entry_id,
         account.now],
    )  # fmt: skip


async def export_part(connection: Any, program_id: int, member_id: int) -> dict[str, Any]:
    """Every gift campaigns gave the member, with the ledger entry that credited it."""
    return {"campaignGifts": await _rows(connection, _OF_MEMBER, program_id, member_id)}
