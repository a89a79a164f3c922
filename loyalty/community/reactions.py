"""Reactions and reports: once per member and post (unique keys), on approved posts of others.

A repeated reaction or report is not an error: it answers that nothing was added and records
nothing, so a retried or doubled request (a double tap) is harmless. Both lock the post's
author first (backbone/locks.py), which serialises them per author: the post's counters move
exactly, and the helpfulness threshold is crossed by exactly one reaction.
"""

from __future__ import annotations

from typing import Any

from backbone.uow import UnitOfWork
from domain.community import PostStatus, ReactionKind, clean_reason
from domain.events import CommunityPostHelpful, CommunityPostReported, CommunityReactionAdded
from domain.validation import ErrorCode, InvalidInput, Problem
from loyalty.community import store
from loyalty.community.commands import ReactToPost, ReportPost
from loyalty.community.posts import inactive, not_found

_MEMBER = "SELECT status FROM member WHERE id = $1 AND program_id = $2"
_REACT = """
INSERT INTO community_reaction (post_id, member_id, kind, created_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (post_id, member_id, kind) DO NOTHING RETURNING id
"""
_COUNT = {
    ReactionKind.HELPFUL: "UPDATE community_post SET helpful_count = helpful_count + 1"
    " WHERE id = $1 RETURNING helpful_count, helpful_at",
    ReactionKind.LIKE: "UPDATE community_post SET like_count = like_count + 1"
    " WHERE id = $1 RETURNING helpful_count, helpful_at",
}
_HELPFUL = "UPDATE community_post SET helpful_at = $2 WHERE id = $1"
_REPORT = """
INSERT INTO community_report (post_id, member_id, reason, created_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (post_id, member_id) DO NOTHING RETURNING id
"""
_REPORTED = "UPDATE community_post SET open_reports = open_reports + 1 WHERE id = $1"


async def _visible_post_of_another(
    uow: UnitOfWork, program_id: int, post_id: int, member_id: int
) -> dict[str, Any]:
    locked = await store.lock_post(uow.connection, program_id, post_id)
    if locked is None or locked[0]["status"] != PostStatus.APPROVED:
        raise not_found()
    post = locked[0]
    if post["member_id"] == member_id:
        raise InvalidInput(Problem(("postId",), "This is your own post.", ErrorCode.OWN_POST))
    member = await uow.connection.execute_query_dict(_MEMBER, [member_id, program_id])
    if not member or member[0]["status"] != "ACTIVE":
        raise inactive()
    return post


async def react_to_post(command: ReactToPost, uow: UnitOfWork) -> bool:
    program_id = command.program.id
    async with uow:
        post = await _visible_post_of_another(uow, program_id, command.post_id, command.member_id)
        now = uow.now()
        added = await uow.connection.execute_query_dict(
            _REACT, [command.post_id, command.member_id, command.reaction.value, now]
        )
        if not added:
            return False
        [counts] = await uow.connection.execute_query_dict(
            _COUNT[command.reaction], [command.post_id]
        )
        uow.record(
            CommunityReactionAdded(
                program_id=program_id,
                member_id=command.member_id,
                post_id=command.post_id,
                reaction=command.reaction.value,
                author_id=post["member_id"],
            )
        )
        if command.reaction is not ReactionKind.HELPFUL or counts["helpful_at"] is not None:
            return True
        settings = await store.load_settings(uow.connection, program_id)
        if counts["helpful_count"] >= settings.helpful_threshold:
            await uow.connection.execute_query(_HELPFUL, [command.post_id, now])
            uow.record(
                CommunityPostHelpful(
                    **store.facts(program_id, post), helpful_count=counts["helpful_count"]
                )
            )
    return True


async def report_post(command: ReportPost, uow: UnitOfWork) -> bool:
    reason = clean_reason(command.reason, required=False)
    program_id = command.program.id
    async with uow:
        post = await _visible_post_of_another(uow, program_id, command.post_id, command.member_id)
        added = await uow.connection.execute_query_dict(
            _REPORT, [command.post_id, command.member_id, reason, uow.now()]
        )
        if not added:
            return False
        await uow.connection.execute_query(_REPORTED, [command.post_id])
        uow.record(
            CommunityPostReported(
                program_id=program_id,
                member_id=command.member_id,
                post_id=command.post_id,
                report_id=added[0]["id"],
                author_id=post["member_id"],
            )
        )
    return True
