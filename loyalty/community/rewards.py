"""What a contribution earns, as in-transaction reactions to the community's own events: an
approved post earns its kind's points by the program's event rules (configurePoints events
`community_review`, `community_tip`, `community_question`, `community_answer`), within the
community's daily and weekly caps; a post reaching the helpfulness threshold earns its author
the `community_helpful` bonus, once; a removed post's points (and bonus) are reversed. An
approved review counts in its subject's figures until it is removed.

Every step runs in the write that caused it (the moderation, the reaction) under the author's
member lock, which that write took first; the post row records the entries it earned, so each
is given once and reversed exactly.
"""

from __future__ import annotations

from backbone.uow import UnitOfWork
from domain.community import (
    EARNING_EVENTS,
    HELPFUL_BONUS_EVENT,
    PostStatus,
    within_caps,
)
from domain.earning import cap_period_start
from domain.events import (
    CommunityPostApproved,
    CommunityPostEvent,
    CommunityPostHelpful,
    CommunityPostRemoved,
    DomainEvent,
)
from domain.ledger import ExplanationLine, earn
from domain.points_config import CapPeriod
from loyalty.community import store
from loyalty.models import Program
from loyalty.points.account import open_account
from loyalty.points.takebacks import take_back
from loyalty.programs import ProgramRef, ref

SYSTEM_ACTOR = "system"
REASON_CODE = "COMMUNITY"

_EARNED_SINCE = """
SELECT COALESCE(SUM(points) FILTER (WHERE created_at >= $2), 0) AS today,
       COALESCE(SUM(points) FILTER (WHERE created_at >= $3), 0) AS this_week
FROM points_entry
WHERE member_id = $1 AND kind = 'EARN' AND reason_code = 'COMMUNITY' AND created_at >= LEAST($2, $3)
"""
_EARNED = "UPDATE community_post SET points_entry_id = $2, points = $3 WHERE id = $1"
_BONUS = "UPDATE community_post SET bonus_entry_id = $2, bonus_points = $3 WHERE id = $1"
_RECORDED = (
    "SELECT points_entry_id, points, bonus_entry_id, bonus_points FROM community_post WHERE id = $1"
)


async def _program(uow: UnitOfWork, program_id: int) -> ProgramRef:
    return ref(await Program.get(id=program_id, using_db=uow.connection))


async def _earn(
    uow: UnitOfWork, event: CommunityPostEvent, name: str, label: str
) -> tuple[int, int] | None:
    """An EARN entry for the author of the rule's points within the caps; None for none."""
    program = await _program(uow, event.program_id)
    rule = program.points.events.get(name)
    if not rule:
        return None
    account = await open_account(uow, program.id, member_id=event.member_id, actor=SYSTEM_ACTOR)
    assert account is not None
    if account.status.value != "ACTIVE":
        return None
    await account.settle_due()
    settings = await store.load_settings(uow.connection, program.id)
    day = cap_period_start(CapPeriod.DAY, account.now, program.timezone)
    week = cap_period_start(CapPeriod.WEEK, account.now, program.timezone)
    [earned] = await uow.connection.execute_query_dict(_EARNED_SINCE, [event.member_id, day, week])
    points = within_caps(
        rule, today=int(earned["today"]), this_week=int(earned["this_week"]), settings=settings
    )
    if points <= 0:
        return None
    lines = [ExplanationLine("EVENT", f"Fixed points for {name}", rule)]
    if points < rule:
        lines.append(ExplanationLine("CAP", "Community points cap reached", points - rule))
    posting = earn(
        account.balance,
        points,
        lines=tuple(lines),
        activates_at=None,
        expires_at=program.points.expiry.expires_at(account.now, program.timezone),
    )
    posted = await account.post(
        posting, reason_code=REASON_CODE, reason=label, source_ref=f"community:{event.post_id}"
    )
    return posted.entry_id, points


async def on_approved(event: DomainEvent, uow: UnitOfWork) -> None:
    assert isinstance(event, CommunityPostApproved)
    await store.count_review(uow.connection, event, 1, uow.now())
    [recorded] = await uow.connection.execute_query_dict(_RECORDED, [event.post_id])
    if recorded["points_entry_id"] is not None:
        return  # earned already (approved once before): never twice
    name = EARNING_EVENTS[event.kind]
    label = f"Thank you for your {event.kind.lower()} (post {event.post_id})"
    earned = await _earn(uow, event, name, label)
    if earned is not None:
        await uow.connection.execute_query(_EARNED, [event.post_id, *earned])


async def on_helpful(event: DomainEvent, uow: UnitOfWork) -> None:
    assert isinstance(event, CommunityPostHelpful)
    [recorded] = await uow.connection.execute_query_dict(_RECORDED, [event.post_id])
    if recorded["bonus_entry_id"] is not None:
        return
    label = f"Thank you: {event.helpful_count} members found your post {event.post_id} helpful"
    earned = await _earn(uow, event, HELPFUL_BONUS_EVENT, label)
    if earned is not None:
        await uow.connection.execute_query(_BONUS, [event.post_id, *earned])


async def on_removed(event: DomainEvent, uow: UnitOfWork) -> None:
    """Reverse what the post earned (contribution and bonus), as REVERSE entries under the
    program's clawback policy, DENY read as debt: a removal is never refused for points."""
    assert isinstance(event, CommunityPostRemoved)
    if event.previous_status != PostStatus.APPROVED:
        return
    await store.count_review(uow.connection, event, -1, uow.now())
    [recorded] = await uow.connection.execute_query_dict(_RECORDED, [event.post_id])
    points = recorded["points"] + recorded["bonus_points"]
    if points <= 0:
        return
    await take_back(
        uow,
        await _program(uow, event.program_id),
        event.member_id,
        points,
        reason_code=REASON_CODE,
        label=f"Post {event.post_id} removed: its community points taken back",
        source_ref=f"community:{event.post_id}",
    )
