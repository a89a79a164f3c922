"""The admins' catalog of badges and challenges, and members joining opt-in challenges."""

from __future__ import annotations

from dataclasses import asdict

from backbone.uow import UnitOfWork
from domain.challenges import Enrolment, check_texts, check_window
from domain.events import BadgeCreated, ChallengeCreated, ChallengeJoined, ChallengeUpdated
from domain.members import MemberStatus
from domain.validation import ErrorCode, InvalidInput, Problem, ProblemCollector
from loyalty.challenges.commands import CreateBadge, CreateChallenge, JoinChallenge, UpdateChallenge
from loyalty.challenges.models import Badge, Challenge

_LOCK_MEMBER = "SELECT status FROM member WHERE id = $1 AND program_id = $2 FOR NO KEY UPDATE"
_JOIN = """
INSERT INTO challenge_enrolment (challenge_id, member_id, progress, joined_at)
VALUES ($1, $2, 0, $3) ON CONFLICT (challenge_id, member_id) DO NOTHING RETURNING id
"""

# What updateChallenge may change, by column, with the name `challenge.updated` gives it.
_API_NAMES = {
    "name": "name",
    "description": "description",
    "starts_at": "startsAt",
    "ends_at": "endsAt",
    "active": "active",
}


def _not_found(field: str = "id") -> InvalidInput:
    return InvalidInput(
        Problem((field,), "No such challenge in the program.", ErrorCode.CHALLENGE_NOT_FOUND)
    )


async def create_badge(command: CreateBadge, uow: UnitOfWork) -> Badge:
    async with uow:
        badge = await Badge.create(
            using_db=uow.connection,
            program_id=command.program_id,
            **asdict(command.spec),
            created_at=uow.now(),
        )
        uow.record(BadgeCreated(program_id=command.program_id, badge_id=badge.id))
    return badge


async def create_challenge(command: CreateChallenge, uow: UnitOfWork) -> Challenge:
    spec = command.spec
    async with uow:
        if command.badge_id is not None and not await Badge.exists(
            id=command.badge_id, program_id=command.program_id, using_db=uow.connection
        ):
            raise InvalidInput(
                Problem(("badgeId",), "No such badge in the program.", ErrorCode.BADGE_NOT_FOUND)
            )
        now = uow.now()
        challenge = await Challenge.create(
            using_db=uow.connection,
            program_id=command.program_id,
            name=spec.name,
            description=spec.description,
            goal_kind=spec.goal.kind.value,
            target=spec.goal.target,
            event_type=spec.goal.event_type,
            matches=[[match.field, match.equals] for match in spec.goal.matches],
            counts_for=spec.goal.counts_for,
            starts_at=spec.starts_at,
            ends_at=spec.ends_at,
            enrolment=spec.enrolment.value,
            reward_points=spec.reward_points,
            badge_id=command.badge_id,
            active=True,
            completions=0,
            created_at=now,
            updated_at=now,
        )
        uow.record(ChallengeCreated(program_id=command.program_id, challenge_id=challenge.id))
    return challenge


async def update_challenge(command: UpdateChallenge, uow: UnitOfWork) -> Challenge:
    problems = ProblemCollector()
    name, description = check_texts(problems, command.name, command.description)
    problems.raise_if_any()
    async with uow:
        challenge = (
            await Challenge.select_for_update(no_key=True)
            .using_db(uow.connection)
            .get_or_none(id=command.challenge_id, program_id=command.program_id)
        )
        if challenge is None:
            raise _not_found()
        wanted = {
            "name": name,
            "description": description,
            "starts_at": command.starts_at,
            "ends_at": command.ends_at,
            "active": command.active,
        }
        changed = [
            field
            for field, value in wanted.items()
            if value is not None and getattr(challenge, field) != value
        ]
        for field in changed:
            setattr(challenge, field, wanted[field])
        check_window(problems, challenge.starts_at, challenge.ends_at)
        problems.raise_if_any()
        if changed:
            challenge.updated_at = uow.now()
            await challenge.save(using_db=uow.connection, update_fields=[*changed, "updated_at"])
            uow.record(
                ChallengeUpdated(
                    program_id=command.program_id,
                    challenge_id=challenge.id,
                    changed=tuple(_API_NAMES[field] for field in changed),
                )
            )
    return challenge


async def join_challenge(command: JoinChallenge, uow: UnitOfWork) -> Challenge:
    async with uow:
        rows = await uow.connection.execute_query_dict(
            _LOCK_MEMBER, [command.member_id, command.program_id]
        )
        if not rows or rows[0]["status"] != MemberStatus.ACTIVE:
            raise InvalidInput(
                Problem((), "The member is not active.", ErrorCode.MEMBER_NOT_ACTIVE)
            )
        challenge = await Challenge.get_or_none(
            id=command.challenge_id, program_id=command.program_id, using_db=uow.connection
        )
        if challenge is None:
            raise _not_found("challengeId")
        now = uow.now()
        if not challenge.active or now >= challenge.ends_at:
            raise InvalidInput(
                Problem(
                    ("challengeId",),
                    "The challenge is inactive or has ended.",
                    ErrorCode.CHALLENGE_NOT_OPEN,
                )
            )
        joined = await uow.connection.execute_query_dict(
            _JOIN, [challenge.id, command.member_id, now]
        )
        if joined and challenge.enrolment == Enrolment.OPT_IN:
            uow.record(
                ChallengeJoined(
                    program_id=command.program_id,
                    member_id=command.member_id,
                    challenge_id=challenge.id,
                )
            )
    return challenge
