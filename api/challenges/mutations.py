"""Mutations of the challenges area: createBadge, createChallenge and updateChallenge (admins),
joinChallenge (a member for itself)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry

from api.challenges.types import Badge, Challenge
from api.context import Context
from api.errors import INPUT, UserError, user_errors
from api.permissions import IsAdmin, IsMember
from api.relay import decode_global_id
from domain import challenges as rules
from domain.validation import ErrorCode, InvalidInput, Problem, ProblemCollector
from loyalty.challenges import commands
from loyalty.challenges.models import Challenge as ChallengeModel


@strawberry.input(description="A condition on an event's payload.")
class PayloadMatchInput:
    field: str = strawberry.field(description="A payload field, camelCase (e.g. `kind`).")
    equals: str = strawberry.field(
        description="Its value as JSON text: a string as itself (`REVIEW`), a number or a "
        "boolean as JSON (`5`, `true`); at most 200 characters."
    )


@strawberry.input(description="What completes the challenge.")
class ChallengeGoalInput:
    kind: rules.GoalKind = strawberry.field(description="What is measured.")
    target: Decimal = strawberry.field(
        description="What completes it: a whole count (COUNT, DISTINCT_MONTHS; 1-1000) or an "
        "amount in the program's currency (MONTHLY_SPEND, at most 4 decimals)."
    )
    event_type: str | None = strawberry.field(
        default=None,
        description="COUNT only, required: the event type counted (any dotted type, also one "
        "no area records yet, e.g. `community.post_approved`).",
    )
    where: list[PayloadMatchInput] = strawberry.field(
        default_factory=list, description="COUNT only: at most 5 conditions, all must hold."
    )
    counts_for: str | None = strawberry.field(
        default=None,
        description="COUNT only: the payload field holding the member key the event counts "
        "for (`referrerId` of `referral.converted`); null: the event's member.",
    )


@strawberry.input(description="A new challenge.")
class CreateChallengeInput:
    name: str = strawberry.field(description="1-100 characters on one line.")
    description: str = strawberry.field(default="", description="At most 500 characters.")
    goal: ChallengeGoalInput = strawberry.field(description="What completes it.")
    starts_at: datetime = strawberry.field(description="Events from this instant count.")
    ends_at: datetime = strawberry.field(description="Events from this instant no longer count.")
    enrolment: rules.Enrolment = strawberry.field(
        default=rules.Enrolment.AUTO, description="Everyone, or only members who join."
    )
    reward_points: int = strawberry.field(
        default=0, description="Points granted at completion, 0-1,000,000."
    )
    badge_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A badge of the program (global id) granted at completion; a challenge "
        "rewards points, a badge, or both.",
    )


@strawberry.input(description="Changes to a challenge; fields left out stay as they are.")
class UpdateChallengeInput:
    id: strawberry.ID = strawberry.field(description="The challenge's global id.")
    name: str | None = strawberry.field(default=None, description="A new name.")
    description: str | None = strawberry.field(default=None, description="A new description.")
    starts_at: datetime | None = strawberry.field(default=None, description="A new start.")
    ends_at: datetime | None = strawberry.field(default=None, description="A new end.")
    active: bool | None = strawberry.field(
        default=None, description="False deactivates it: events stop counting; true resumes."
    )


@strawberry.input(description="The challenge to join.")
class JoinChallengeInput:
    challenge_id: strawberry.ID = strawberry.field(description="The challenge's global id.")


@strawberry.input(description="A new badge.")
class CreateBadgeInput:
    name: str = strawberry.field(description="1-100 characters on one line.")
    description: str = strawberry.field(default="", description="At most 500 characters.")
    image_url: str = strawberry.field(description="An https URL of its picture (2,048 at most).")


@strawberry.type(description="Result of createChallenge, updateChallenge and joinChallenge.")
class ChallengePayload:
    challenge: Challenge | None = strawberry.field(description="The challenge; null if refused.")
    user_errors: list[UserError] = strawberry.field(description="Why; nothing changed.")


@strawberry.type(description="Result of createBadge.")
class BadgePayload:
    badge: Badge | None = strawberry.field(description="The badge; null if refused.")
    user_errors: list[UserError] = strawberry.field(description="Why; nothing changed.")


def _key(value: str, type_name: str, field: str) -> int:
    key = decode_global_id(value, type_name)
    if key is None:
        raise InvalidInput(Problem((field,), f"Not a {type_name} id.", ErrorCode.INVALID_ID))
    return key


def _spec(input: CreateChallengeInput) -> tuple[rules.ChallengeSpec, int | None]:
    """The checked spec and badge key; every problem of the input at once."""
    problems: list[Problem] = []
    badge = None
    if input.badge_id is not None:
        try:
            badge = _key(input.badge_id, "Badge", "badgeId")
        except InvalidInput as refused:
            problems.extend(refused.problems)
    goal = input.goal
    spec = rules.ChallengeSpec(
        name=input.name,
        description=input.description,
        goal=rules.Goal(
            kind=goal.kind,
            target=goal.target,
            event_type=goal.event_type if goal.event_type is not None else rules.ORDER_EVENT,
            matches=tuple(rules.Match(m.field, m.equals) for m in goal.where),
            counts_for=goal.counts_for,
        ),
        starts_at=input.starts_at,
        ends_at=input.ends_at,
        enrolment=input.enrolment,
        reward_points=input.reward_points,
        has_badge=input.badge_id is not None,
    )
    try:
        spec = rules.check_challenge(spec)
    except InvalidInput as refused:
        problems.extend(refused.problems)
    if goal.kind is rules.GoalKind.COUNT and goal.event_type is None:
        problems.append(
            Problem(("goal", "eventType"), "COUNT needs an eventType.", ErrorCode.INVALID_CHALLENGE)
        )
    if problems:
        raise InvalidInput(*problems)
    return spec, badge


@strawberry.type
class ChallengeMutations:
    @strawberry.mutation(description="Create a badge.", permission_classes=[IsAdmin])
    async def create_badge(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[CreateBadgeInput, strawberry.argument(description=INPUT)],
    ) -> BadgePayload:
        try:
            spec = rules.check_badge(
                rules.BadgeSpec(input.name, input.description, input.image_url)
            )
            program = await info.context.require_program()
            badge = await info.context.bus.handle(
                commands.CreateBadge(program_id=program.id, spec=spec)
            )
        except InvalidInput as refused:
            return BadgePayload(badge=None, user_errors=user_errors(refused))
        return BadgePayload(badge=Badge.from_model(badge), user_errors=[])

    @strawberry.mutation(
        description="Create a challenge: a goal over the event log, a window, an enrolment "
        "and a reward (points and/or a badge). It is active at once.",
        permission_classes=[IsAdmin],
    )
    async def create_challenge(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[CreateChallengeInput, strawberry.argument(description=INPUT)],
    ) -> ChallengePayload:
        async def run(program_id: int) -> ChallengeModel:
            spec, badge = _spec(input)
            command = commands.CreateChallenge(program_id=program_id, spec=spec, badge_id=badge)
            return await info.context.bus.handle(command)

        return await _challenge(info, run)

    @strawberry.mutation(
        description="Change a challenge's name, description or window, or deactivate it "
        "(`active: false`); its goal and reward never change.",
        permission_classes=[IsAdmin],
    )
    async def update_challenge(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[UpdateChallengeInput, strawberry.argument(description=INPUT)],
    ) -> ChallengePayload:
        async def run(program_id: int) -> ChallengeModel:
            problems = ProblemCollector()
            rules.check_texts(problems, input.name, input.description)
            problems.raise_if_any()
            command = commands.UpdateChallenge(
                program_id=program_id,
                challenge_id=_key(input.id, "Challenge", "id"),
                name=input.name,
                description=input.description,
                starts_at=input.starts_at,
                ends_at=input.ends_at,
                active=input.active,
            )
            return await info.context.bus.handle(command)

        return await _challenge(info, run)

    @strawberry.mutation(
        description="Join an active challenge that has not ended; an OPT_IN challenge counts "
        "the member's events from now on. Joining again changes nothing.",
        permission_classes=[IsMember],
    )
    async def join_challenge(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[JoinChallengeInput, strawberry.argument(description=INPUT)],
    ) -> ChallengePayload:
        async def run(program_id: int) -> ChallengeModel:
            key = _key(input.challenge_id, "Challenge", "challengeId")
            me = await info.context.me()
            if me is None:
                raise InvalidInput(
                    Problem((), "No such member in this program.", ErrorCode.MEMBER_NOT_FOUND)
                )
            command = commands.JoinChallenge(
                program_id=program_id, member_id=me.id, challenge_id=key
            )
            return await info.context.bus.handle(command)

        return await _challenge(info, run)


async def _challenge(
    info: strawberry.Info[Context, Any], run: Callable[[int], Awaitable[ChallengeModel]]
) -> ChallengePayload:
    """The payload of a challenge mutation: its challenge, or why the input was refused."""
    try:
        challenge = await run((await info.context.require_program()).id)
    except InvalidInput as refused:
        return ChallengePayload(challenge=None, user_errors=user_errors(refused))
    return ChallengePayload(challenge=Challenge.from_model(challenge), user_errors=[])
