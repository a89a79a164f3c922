"""Posting and moderation: a member's post (approved at once unless the program moderates
first), an admin's decision on it, and the program's settings.

Each write locks the post's author first (its member row, backbone/locks.py), then the post.
What an approval or a removal earns or takes back (points, review figures) follows in the same
transaction, as reactions to the events recorded here (rewards.py).
"""

from __future__ import annotations

from backbone import idempotency
from backbone.uow import UnitOfWork
from domain.community import (
    Decision,
    PostStatus,
    Settings,
    check_settings,
    clean_draft,
    clean_reason,
    moderated,
)
from domain.events import (
    CommunityConfigured,
    CommunityPostApproved,
    CommunityPostCreated,
    CommunityPostRejected,
    CommunityPostRemoved,
)
from domain.validation import ErrorCode, InvalidInput, Problem
from loyalty.community import store
from loyalty.community.commands import ConfigureCommunity, CreatePost, ModeratePost

_AUTHOR = "SELECT status FROM member WHERE id = $1 AND program_id = $2 FOR NO KEY UPDATE"
_REWARD = "SELECT 1 FROM reward WHERE id = $1 AND program_id = $2"
_QUESTION = """
SELECT 1 FROM community_post WHERE id = $1 AND program_id = $2 AND kind = 'QUESTION'
  AND status = 'APPROVED'
"""
_INSERT = """
INSERT INTO community_post (program_id, member_id, kind, status, title, body, rating, sku,
  reward_id, question_id, helpful_count, like_count, open_reports, points, bonus_points,
  created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, 0, 0, 0, 0, $11, $11)
RETURNING id
"""
_DECIDE = """
UPDATE community_post SET status = $2, reject_reason = $3, open_reports = 0, moderated_by = $4,
  moderated_at = $5, updated_at = $5
WHERE id = $1
"""
_RESOLVE_REPORTS = """
UPDATE community_report SET resolved_at = $2 WHERE post_id = $1 AND resolved_at IS NULL
"""


def not_found(field: str = "postId") -> InvalidInput:
    return InvalidInput(
        Problem((field,), "No such community post in this program.", ErrorCode.POST_NOT_FOUND)
    )


def inactive() -> InvalidInput:
    return InvalidInput(Problem((), "The member is not active.", ErrorCode.MEMBER_NOT_ACTIVE))


async def configure_community(command: ConfigureCommunity, uow: UnitOfWork) -> Settings:
    settings = check_settings(command.settings)
    async with uow:
        await store.save_settings(uow.connection, command.program.id, settings, uow.now())
        uow.record(
            CommunityConfigured(
                program_id=command.program.id, requires_approval=settings.requires_approval
            )
        )
    return settings


async def create_post(command: CreatePost, uow: UnitOfWork) -> int:
    """The post, PENDING when the program moderates first, else APPROVED at once."""
    draft = clean_draft(command.draft)
    program_id = command.program.id
    claim = idempotency.claim_for(
        command,
        program_id=program_id,
        client=command.actor,
        key=command.idempotency_key,
        leave_out=("program", "actor"),
    )
    async with uow:
        replay = await uow.claim(claim)
        if replay is not None:
            replayed: int = replay["postId"]
            return replayed
        connection = uow.connection
        author = await connection.execute_query_dict(_AUTHOR, [command.member_id, program_id])
        if not author:
            raise InvalidInput(
                Problem((), "No such member in this program.", ErrorCode.MEMBER_NOT_FOUND)
            )
        if author[0]["status"] != "ACTIVE":
            raise inactive()
        if draft.reward_id is not None and not await connection.execute_query_dict(
            _REWARD, [draft.reward_id, program_id]
        ):
            raise InvalidInput(
                Problem(
                    ("rewardId",), "No such reward in this program.", ErrorCode.REWARD_NOT_FOUND
                )
            )
        if draft.question_id is not None and not await connection.execute_query_dict(
            _QUESTION, [draft.question_id, program_id]
        ):
            raise not_found("questionId")
        settings = await store.load_settings(connection, program_id)
        status = PostStatus.PENDING if settings.requires_approval else PostStatus.APPROVED
        [row] = await connection.execute_query_dict(
            _INSERT,
            [
                program_id, command.member_id, draft.kind.value, status.value, draft.title,
                draft.body, draft.rating, draft.sku, draft.reward_id, draft.question_id,
                uow.now(),
            ],
        )  # fmt: skip
        post_id: int = row["id"]
        facts = store.facts(
            program_id,
            {
                "id": post_id, "member_id": command.member_id, "kind": draft.kind.value,
                "rating": draft.rating, "sku": draft.sku, "reward_id": draft.reward_id,
                "question_id": draft.question_id,
            },
        )  # fmt: skip
        uow.record(CommunityPostCreated(**facts, status=status.value))
        if status is PostStatus.APPROVED:
            uow.record(CommunityPostApproved(**facts))
        await uow.remember({"postId": post_id})
    return post_id


async def moderate_post(command: ModeratePost, uow: UnitOfWork) -> int:
    """An admin's decision. A rejection needs a reason; deciding what the post already is
    changes nothing (approving an approved post dismisses its reports)."""
    reason = clean_reason(command.reason, required=command.decision is Decision.REJECT)
    program_id = command.program.id
    async with uow:
        locked = await store.lock_post(uow.connection, program_id, command.post_id)
        if locked is None:
            raise not_found()
        post, _ = locked
        before = PostStatus(post["status"])
        after = moderated(before, command.decision)
        if before is after and not post["open_reports"]:
            return command.post_id
        now = uow.now()
        await uow.connection.execute_query(
            _DECIDE,
            [
                command.post_id,
                after.value,
                reason if after is PostStatus.REJECTED else None,
                command.actor,
                now,
            ],
        )
        await uow.connection.execute_query(_RESOLVE_REPORTS, [command.post_id, now])
        if before is after:
            return command.post_id
        facts = store.facts(program_id, post)
        if after is PostStatus.APPROVED:
            uow.record(CommunityPostApproved(**facts))
        elif after is PostStatus.REJECTED:
            uow.record(CommunityPostRejected(**facts))
        else:
            uow.record(CommunityPostRemoved(**facts, previous_status=before.value))
    return command.post_id
