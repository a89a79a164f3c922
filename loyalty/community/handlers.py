"""The community area's part of the composition root: its commands, what approvals, removals
and helpful posts earn (in the same transaction), erasure and its part of a member's export."""

from __future__ import annotations

from backbone.bus import Registry
from backbone.uow import UnitOfWork
from domain.events import (
    CommunityPostApproved,
    CommunityPostHelpful,
    CommunityPostRemoved,
    DomainEvent,
    MemberErased,
)
from loyalty.community import commands, posts, reactions, reads, rewards

# An erased member's posts stay, as contributions of nobody: the feed names no author for them
# (its member row is erased). What admins wrote about them and what it wrote in reports goes.
_FORGET_REJECTIONS = """
UPDATE community_post SET reject_reason = NULL WHERE member_id = $1 AND reject_reason IS NOT NULL
"""
_FORGET_REPORTS = """
UPDATE community_report SET reason = NULL WHERE member_id = $1 AND reason IS NOT NULL
"""


async def forget_member(event: DomainEvent, uow: UnitOfWork) -> None:
    assert isinstance(event, MemberErased)
    await uow.connection.execute_query(_FORGET_REJECTIONS, [event.member_id])
    await uow.connection.execute_query(_FORGET_REPORTS, [event.member_id])


def registry() -> Registry:
    part = Registry()
    part.command(commands.ConfigureCommunity, posts.configure_community)
    part.command(commands.CreatePost, posts.create_post)
    part.command(commands.ModeratePost, posts.moderate_post)
    part.command(commands.ReactToPost, reactions.react_to_post)
    part.command(commands.ReportPost, reactions.report_post)
    part.react(CommunityPostApproved, rewards.on_approved)
    part.react(CommunityPostRemoved, rewards.on_removed)
    part.react(CommunityPostHelpful, rewards.on_helpful)
    part.react(MemberErased, forget_member)
    part.exports.append(reads.export_part)
    return part
