"""Mutations of the community area: configureCommunity and moderatePost (admin);
createCommunityPost, reactToPost and reportPost (a member token, for itself), each counted
against the program's abuse limits first (loyalty/community/limits.py)."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from tortoise import connections

from api.community.inputs import (
    CommunitySettings,
    ConfigureCommunityInput,
    ConfigureCommunityPayload,
    CreateCommunityPostInput,
    CreateCommunityPostPayload,
    ModeratePostInput,
    ModeratePostPayload,
    ReactToPostInput,
    ReactToPostPayload,
    ReportPostInput,
    ReportPostPayload,
)
from api.community.types import visible_post
from api.context import Context
from api.errors import INPUT, user_errors
from api.permissions import IsAdmin, IsMember
from api.relay import decode_global_id
from backbone.idempotency import check_key
from domain.community import (
    Draft,
    LimitedAction,
    Settings,
    clean_draft,
    clean_reason,
)
from domain.validation import ErrorCode, InvalidInput, Problem, actor
from loyalty.community import limits, store
from loyalty.community.commands import (
    ConfigureCommunity,
    CreatePost,
    ModeratePost,
    ReactToPost,
    ReportPost,
)


class RateLimited(InvalidInput):
    def __init__(self, action: LimitedAction, seconds: int) -> None:
        super().__init__(
            Problem(
                (),
                f"Too many {action.value}s for now: retry in {seconds} seconds.",
                ErrorCode.RATE_LIMITED,
            )
        )
        self.seconds = seconds


async def _me(info: strawberry.Info[Context, Any]) -> int:
    me = await info.context.me()
    if me is None:
        raise InvalidInput(
            Problem((), "No such member in this program.", ErrorCode.MEMBER_NOT_FOUND)
        )
    member_id: int = me.id
    return member_id


async def _count(
    info: strawberry.Info[Context, Any], member_id: int, action: LimitedAction
) -> None:
    """Count the action against the program's limit; RateLimited when it is over."""
    program = await info.context.require_program()
    connection = connections.get("default")
    settings = await store.load_settings(connection, program.id)
    wait = await limits.hit(
        info.context.redis,
        namespace=str(getattr(connection, "database", "")),
        program_id=program.id,
        member_id=member_id,
        action=action,
        limit=settings.limit(action),
    )
    if wait is not None:
        raise RateLimited(action, wait)


def _post_key(value: strawberry.ID, field: str = "postId") -> int:
    key = decode_global_id(value, "CommunityPost")
    if key is None:
        raise InvalidInput(Problem((field,), "Not a CommunityPost id.", ErrorCode.INVALID_ID))
    return key


def _retry(refused: InvalidInput) -> int | None:
    return refused.seconds if isinstance(refused, RateLimited) else None


def _draft(input: CreateCommunityPostInput) -> Draft:
    problems = []
    reward = question = None
    if input.reward_id is not None:
        reward = decode_global_id(input.reward_id, "Reward")
        if reward is None:
            problems.append(Problem(("rewardId",), "Not a Reward id.", ErrorCode.INVALID_ID))
    if input.question_id is not None:
        question = decode_global_id(input.question_id, "CommunityPost")
        if question is None:
            problems.append(
                Problem(("questionId",), "Not a CommunityPost id.", ErrorCode.INVALID_ID)
            )
    if problems:
        raise InvalidInput(*problems)
    return Draft(
        kind=input.kind, body=input.body, title=input.title, rating=input.rating,
        sku=input.sku, reward_id=reward, question_id=question,
    )  # fmt: skip


@strawberry.type
class CommunityMutations:
    @strawberry.mutation(
        description="Set the program's community settings (approval, abuse limits, helpfulness "
        "threshold, contribution points caps).",
        permission_classes=[IsAdmin],
    )
    async def configure_community(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[ConfigureCommunityInput, strawberry.argument(description=INPUT)],
    ) -> ConfigureCommunityPayload:
        try:
            settings = Settings(
                requires_approval=input.requires_approval, posts_per_day=input.posts_per_day,
                reactions_per_hour=input.reactions_per_hour, reports_per_day=input.reports_per_day,
                helpful_threshold=input.helpful_threshold,
                daily_points_cap=input.daily_points_cap, weekly_points_cap=input.weekly_points_cap,
            )  # fmt: skip
            saved = await info.context.bus.handle(
                ConfigureCommunity(program=await info.context.require_program(), settings=settings)
            )
        except InvalidInput as refused:
            return ConfigureCommunityPayload(settings=None, user_errors=user_errors(refused))
        return ConfigureCommunityPayload(settings=CommunitySettings.of(saved), user_errors=[])

    @strawberry.mutation(
        description="Post a review, tip, question or answer as the member of the token, once "
        "per idempotency key; approved at once unless the program moderates first.",
        permission_classes=[IsMember],
    )
    async def create_community_post(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[CreateCommunityPostInput, strawberry.argument(description=INPUT)],
    ) -> CreateCommunityPostPayload:
        try:
            # Everything checkable without a database first: a refused input is not counted.
            draft = clean_draft(_draft(input))
            check_key(input.idempotency_key)
            member_id = await _me(info)
            await _count(info, member_id, LimitedAction.POST)
            principal = info.context.require_principal()
            key = await info.context.bus.handle(
                CreatePost(
                    program=await info.context.require_program(),
                    member_id=member_id,
                    actor=actor(principal.role.value, principal.subject),
                    draft=draft,
                    idempotency_key=input.idempotency_key,
                )
            )
        except InvalidInput as refused:
            return CreateCommunityPostPayload(
                post=None, retry_after_seconds=_retry(refused), user_errors=user_errors(refused)
            )
        return CreateCommunityPostPayload(
            post=await visible_post(info, key), retry_after_seconds=None, user_errors=[]
        )

    @strawberry.mutation(
        description="Approve, reject (with a reason) or remove a post; its open reports are "
        "resolved with the decision. Removing an approved post reverses its points.",
        permission_classes=[IsAdmin],
    )
    async def moderate_post(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[ModeratePostInput, strawberry.argument(description=INPUT)],
    ) -> ModeratePostPayload:
        try:
            key = _post_key(input.post_id)
            principal = info.context.require_principal()
            await info.context.bus.handle(
                ModeratePost(
                    program=await info.context.require_program(),
                    post_id=key,
                    decision=input.decision,
                    reason=input.reason,
                    actor=actor(principal.role.value, principal.subject),
                )
            )
        except InvalidInput as refused:
            return ModeratePostPayload(post=None, user_errors=user_errors(refused))
        return ModeratePostPayload(post=await visible_post(info, key), user_errors=[])

    @strawberry.mutation(
        description="React to another member's approved post; each kind once per member and "
        "post (again: added false, nothing changes).",
        permission_classes=[IsMember],
    )
    async def react_to_post(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[ReactToPostInput, strawberry.argument(description=INPUT)],
    ) -> ReactToPostPayload:
        try:
            key = _post_key(input.post_id)
            member_id = await _me(info)
            await _count(info, member_id, LimitedAction.REACTION)
            added = await info.context.bus.handle(
                ReactToPost(
                    program=await info.context.require_program(),
                    member_id=member_id,
                    post_id=key,
                    reaction=input.reaction,
                )
            )
        except InvalidInput as refused:
            return ReactToPostPayload(
                post=None,
                added=False,
                retry_after_seconds=_retry(refused),
                user_errors=user_errors(refused),
            )
        return ReactToPostPayload(
            post=await visible_post(info, key),
            added=added,
            retry_after_seconds=None,
            user_errors=[],
        )

    @strawberry.mutation(
        description="Report another member's approved post as abusive: it joins the "
        "moderation queue. Once per member and post.",
        permission_classes=[IsMember],
    )
    async def report_post(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[ReportPostInput, strawberry.argument(description=INPUT)],
    ) -> ReportPostPayload:
        try:
            key = _post_key(input.post_id)
            reason = clean_reason(input.reason, required=False)
            member_id = await _me(info)
            await _count(info, member_id, LimitedAction.REPORT)
            reported = await info.context.bus.handle(
                ReportPost(
                    program=await info.context.require_program(),
                    member_id=member_id,
                    post_id=key,
                    reason=reason,
                )
            )
        except InvalidInput as refused:
            return ReportPostPayload(
                reported=False,
                retry_after_seconds=_retry(refused),
                user_errors=user_errors(refused),
            )
        return ReportPostPayload(reported=reported, retry_after_seconds=None, user_errors=[])
