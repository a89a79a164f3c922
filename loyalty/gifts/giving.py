"""Giving one due gift, inside a unit of work: the rules decide, the budget account pays, the
ledger's single writer credits the member.

Lock order (backbone/locks.py): the member first (its account, FOR NO KEY UPDATE), then the gift's
own row (FOR UPDATE, still PENDING: of two job runs, the second finds it decided and does
nothing), then the program-level budget account by one conditional UPDATE (`remaining >= n`), so
concurrent gifts never overspend it and never hold it past that statement. The program row is
never locked. Without budget, consent or cap the gift is SKIPPED with its reason, recorded in
the same row (and a `gift.skipped` event), so it is never tried again for that trigger.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from backbone.uow import UnitOfWork
from consent.published import use_if_allowed
from domain import gifts as rules
from domain.consent import PERSONALIZATION, DataCategory
from domain.events import GiftGiven, GiftSkipped
from domain.ledger import ExplanationLine, earn
from domain.members import MemberStatus
from loyalty.gifts.settings import SETTING, settings_of
from loyalty.models import Program
from loyalty.points.account import Account, open_account
from loyalty.programs import ref

ACTOR = "system:gifts"
REASON_CODE = "GIFT"

_PENDING = f"""
SELECT g.id AS gift_id, g.member_id, g.occasion, g.trigger, s.id AS setting_id, {SETTING}
FROM gift g JOIN gift_setting s ON s.id = g.setting_id
WHERE g.id = $1 AND g.status = 'PENDING' FOR UPDATE OF g
"""  # noqa: S608 - a constant column list
_GIVEN_IN_PERIOD = """
SELECT count(*) AS n FROM gift
WHERE member_id = $1 AND kind = $2 AND period_start = $3 AND status = 'GIVEN'
"""
_OPEN_BUDGET = """
INSERT INTO gift_budget (program_id, setting_id, period, period_start, total, remaining)
VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (setting_id, period, period_start) DO NOTHING
"""
# The debit: only while enough is left, so concurrent gifts queue on the row for one statement
# and none takes the account below zero (the CHECK gift_budget_remaining refuses it anyway).
_DEBIT = """
UPDATE gift_budget SET remaining = remaining - $4
WHERE setting_id = $1 AND period = $2 AND period_start = $3 AND remaining >= $4
RETURNING id, total, remaining
"""
_SKIPPED = """
UPDATE gift SET status = 'SKIPPED', skip_reason = $2, period_start = $3, decided_at = $4
WHERE id = $1
"""
_GIVEN = """
UPDATE gift SET status = 'GIVEN', points = $2, budget_id = $3, entry_id = $4, period_start = $5,
  decided_at = $6
WHERE id = $1
"""


async def give(
    uow: UnitOfWork, program_id: int, member_id: int, gift_id: int
) -> rules.Status | None:
    """Decide the pending gift `gift_id` of `member_id`: given or skipped; None when another
    run decided it already."""
    account = await open_account(uow, program_id, member_id=member_id, actor=ACTOR, all_lots=False)
    assert account is not None
    rows = await uow.connection.execute_query_dict(_PENDING, [gift_id])
    if not rows:
        return None
    gift = rows[0]
    settings = settings_of(gift)
    program = ref(await Program.get(id=program_id, using_db=uow.connection))
    today = account.now.astimezone(ZoneInfo(program.timezone)).date()
    period = rules.period_start(settings.budget_period, today)
    reason = rules.skip_reason(
        settings,
        member_active=account.status is MemberStatus.ACTIVE,
        consented=await _consented(uow, account, settings),
        given_in_period=await _given_in_period(uow, account, settings, period),
    )
    if reason is None and (budget := await _debit(uow, program_id, gift, settings, period)):
        await account.settle_due()
        await _credit(uow, account, program, gift, settings, budget, period)
        return rules.Status.GIVEN
    reason = reason or rules.SkipReason.BUDGET_SPENT
    await uow.connection.execute_query_dict(_SKIPPED, [gift_id, reason.value, period, account.now])
    uow.record(
        GiftSkipped(
            program_id=program_id,
            member_id=member_id,
            gift_id=gift_id,
            kind=settings.kind.value,
            reason=reason.value,
        )
    )
    return rules.Status.SKIPPED


async def _consented(uow: UnitOfWork, account: Account, settings: rules.GiftSettings) -> bool:
    """Only a personalised gift asks (and logs its use of the member's activity)."""
    if not settings.needs_personalization:
        return True
    return await use_if_allowed(
        uow.connection,
        program_id=account.program_id,
        member_id=account.member_id,
        purpose=PERSONALIZATION,
        categories=(DataCategory.LOYALTY_ACTIVITY, DataCategory.PURCHASE_HISTORY),
        actor=ACTOR,
        reason=f"A personalised {settings.kind.lower().replace('_', '-')} gift",
        at=account.now,
    )


async def _given_in_period(
    uow: UnitOfWork, account: Account, settings: rules.GiftSettings, period: Any
) -> int:
    if settings.member_cap is None:
        return 0
    [row] = await uow.connection.execute_query_dict(
        _GIVEN_IN_PERIOD, [account.member_id, settings.kind.value, period]
    )
    return int(row["n"])


async def _debit(
    uow: UnitOfWork,
    program_id: int,
    gift: dict[str, Any],
    settings: rules.GiftSettings,
    period: Any,
) -> dict[str, Any] | None:
    """The budget account after paying the gift, or None when it has not enough left."""
    key = [gift["setting_id"], settings.budget_period.value, period]
    connection = uow.connection
    await connection.execute_query_dict(_OPEN_BUDGET, [program_id, *key, settings.budget_points])
    rows = await connection.execute_query_dict(_DEBIT, [*key, settings.points])
    if not rows:
        return None
    budget = rows[0]
    # The account as it was, debited by the rules, is the account as written.
    before = rules.Budget(budget["total"], budget["remaining"] + settings.points)
    assert rules.debit(before, settings.points) == rules.Budget(
        budget["total"], budget["remaining"]
    )
    return budget


async def _credit(
    uow: UnitOfWork,
    account: Account,
    program: Any,
    gift: dict[str, Any],
    settings: rules.GiftSettings,
    budget: dict[str, Any],
    period: Any,
) -> None:
    """The other leg of the transfer: an EARN entry of the gift's points, spendable at once."""
    label = rules.reason(settings.kind, gift["occasion"])
    posting = earn(
        account.balance,
        settings.points,
        lines=(ExplanationLine(REASON_CODE, label, settings.points),),
        activates_at=None,
        expires_at=program.points.expiry.expires_at(account.now, program.timezone),
    )
    posted = await account.post(
        posting, reason_code=REASON_CODE, reason=label, source_ref=rules.source_ref(gift["gift_id"])
    )
    await uow.connection.execute_query_dict(
        _GIVEN,
        [gift["gift_id"], settings.points, budget["id"], posted.entry_id, period, account.now],
    )
    uow.record(
        GiftGiven(
            program_id=account.program_id,
            member_id=account.member_id,
            gift_id=gift["gift_id"],
            kind=settings.kind.value,
            points=settings.points,
            entry_id=posted.entry_id,
        )
    )
