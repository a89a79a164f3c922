"""GraphQL types of challenges and badges (kept free of the members area: the Member type shows
a member's challenges and badges, so this module must not import it)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from api.auth import Role
from api.context import Context
from api.enums import described_enum
from domain.challenges import Enrolment, GoalKind
from loyalty.challenges import reads
from loyalty.challenges.models import Badge as BadgeModel
from loyalty.challenges.models import Challenge as ChallengeModel

described_enum(
    GoalKind,
    name="ChallengeGoalKind",
    description="What a challenge's goal measures over the event log.",
    values={
        "COUNT": "Events of `eventType` whose payload matches `where`, for the member the event "
        "names (or the member whose key the payload field `countsFor` holds).",
        "DISTINCT_MONTHS": "Calendar months (the program's time zone) with an order: a "
        "`points.earned` entry whose sourceRef is `order:<id>`.",
        "MONTHLY_SPEND": "The order totals (program currency) within one calendar month, in "
        "the member's best month; returns are not taken off.",
    },
)
described_enum(
    Enrolment,
    name="ChallengeEnrolment",
    description="Who takes part in a challenge.",
    values={
        "AUTO": "Every active member, from the challenge's start.",
        "OPT_IN": "Members who joined (joinChallenge); events count from the moment they joined.",
    },
)


@strawberry.type(description="A condition on an event's payload: the field's value, as JSON text.")
class PayloadMatch:
    field: str = strawberry.field(description="A payload field (camelCase), e.g. `kind`.")
    equals: str = strawberry.field(
        description="Its value: a string as itself, a number or boolean as JSON (`5`, `true`)."
    )


@strawberry.type(description="What a member must do to complete a challenge.")
class ChallengeGoal:
    kind: GoalKind = strawberry.field(description="What is measured.")
    target: Decimal = strawberry.field(
        description="The measure that completes it: a count, a number of months, or an amount."
    )
    event_type: str = strawberry.field(
        description="The event type read (`points.earned` for the order goals)."
    )
    where: list[PayloadMatch] = strawberry.field(description="Every condition must hold.")
    counts_for: str | None = strawberry.field(
        description="The payload field naming the member an event counts for (e.g. "
        "`referrerId`); null: the event's own member."
    )


@strawberry.type(
    description="A badge of the program, given by completing challenges. Members, storefront "
    "and admin tokens read it; partners see none."
)
class Badge(relay.Node):
    badge_id: relay.NodeID[int]
    name: str = strawberry.field(description="The badge's name, 1-100 characters.")
    description: str = strawberry.field(description="What it stands for, up to 500 characters.")
    image_url: str = strawberry.field(description="An https URL of its picture.")
    created_at: datetime = strawberry.field(description="When it was created.")

    @classmethod
    def from_model(cls, badge: BadgeModel) -> Badge:
        return cls(
            badge_id=badge.id,
            name=badge.name,
            description=badge.description,
            image_url=badge.image_url,
            created_at=badge.created_at,
        )


@strawberry.type(description="A page of badges, oldest first.")
class BadgeConnection(relay.Connection[Badge]):
    """Keyset-paginated by badge id."""


def _badge_loader(context: Context) -> DataLoader[int, BadgeModel | None]:
    """Badges by key: one query for a page of challenges, however many share a badge."""

    async def load(keys: list[int]) -> list[BadgeModel | None]:
        found = await reads.badges_by_id(keys)
        return [found.get(key) for key in keys]

    loader: DataLoader[int, BadgeModel | None] = context.loader("challenges.badge", load)
    return loader


@strawberry.type(
    description="A challenge: a goal over the event log within a window, and its reward. "
    "Admins read every challenge; members and storefronts the active ones; partners none."
)
class Challenge(relay.Node):
    challenge_id: relay.NodeID[int]
    name: str = strawberry.field(description="The challenge's name, 1-100 characters.")
    description: str = strawberry.field(description="What to do, up to 500 characters.")
    goal: ChallengeGoal = strawberry.field(description="What completes it.")
    starts_at: datetime = strawberry.field(description="Events from this instant count.")
    ends_at: datetime = strawberry.field(description="Events from this instant no longer count.")
    enrolment: Enrolment = strawberry.field(description="Everyone, or members who join.")
    reward_points: int = strawberry.field(description="Points granted at completion (0: none).")
    active: bool = strawberry.field(description="False: deactivated, events no longer count.")
    completions: int = strawberry.field(
        description="How many members completed it: exact, counted by each completion itself."
    )
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    badge_key: strawberry.Private[int | None]

    @strawberry.field(description="The badge granted at completion; null: points only.")
    async def reward_badge(self, info: strawberry.Info[Context, Any]) -> Badge | None:
        if self.badge_key is None:
            return None
        badge = await _badge_loader(info.context).load(self.badge_key)
        return Badge.from_model(badge) if badge is not None else None

    @classmethod
    def from_model(cls, challenge: ChallengeModel) -> Challenge:
        return cls(
            challenge_id=challenge.id,
            name=challenge.name,
            description=challenge.description,
            goal=ChallengeGoal(
                kind=GoalKind(challenge.goal_kind),
                target=_plain(challenge.target),
                event_type=challenge.event_type,
                where=[PayloadMatch(field=f, equals=e) for f, e in challenge.matches],
                counts_for=challenge.counts_for,
            ),
            starts_at=challenge.starts_at,
            ends_at=challenge.ends_at,
            enrolment=Enrolment(challenge.enrolment),
            reward_points=challenge.reward_points,
            active=challenge.active,
            completions=challenge.completions,
            created_at=challenge.created_at,
            updated_at=challenge.updated_at,
            badge_key=challenge.badge_id,
        )


@strawberry.type(description="A page of challenges, oldest first.")
class ChallengeConnection(relay.Connection[Challenge]):
    """Keyset-paginated by challenge id."""


@strawberry.type(description="A member's part in a challenge.")
class ChallengeProgress:
    challenge: Challenge = strawberry.field(description="The challenge.")
    progress: Decimal = strawberry.field(
        description="How far the member got, in the goal's measure: what still stands of what "
        "counted (returns and removed posts are taken off), not capped at the target."
    )
    target: Decimal = strawberry.field(description="The goal's target, as `challenge.goal`.")
    joined_at: datetime | None = strawberry.field(
        description="When the member joined (opt-in) or first counted (auto); null: not yet."
    )
    completed_at: datetime | None = strawberry.field(
        description="When the member completed it; null: not yet, or no longer (a return or a "
        "removal took it back below the goal)."
    )


@strawberry.type(description="A badge a member holds.")
class MemberBadge:
    badge: Badge = strawberry.field(description="The badge.")
    awarded_at: datetime = strawberry.field(description="When it was awarded.")
    challenge: Challenge | None = strawberry.field(description="The challenge that gave it.")


def _plain(value: Decimal) -> Decimal:
    """4 stored decimals shown without trailing zeros (3, 200.5), never in exponent form."""
    return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()


async def member_challenges(
    info: strawberry.Info[Context, Any], member_key: int
) -> list[ChallengeProgress]:
    program = await info.context.require_program()
    rows = await reads.member_challenges(program.id, member_key, info.context.clock.now())
    found = await reads.challenges_by_id([row["challenge_id"] for row in rows])
    shown = []
    for row in rows:
        challenge = Challenge.from_model(found[row["challenge_id"]])
        shown.append(
            ChallengeProgress(
                challenge=challenge,
                progress=_plain(row["progress"] if row["progress"] is not None else Decimal(0)),
                target=challenge.goal.target,
                joined_at=row["joined_at"],
                completed_at=row["completed_at"],
            )
        )
    return shown


async def member_badges(info: strawberry.Info[Context, Any], member_key: int) -> list[MemberBadge]:
    rows = await reads.member_badges(member_key)
    badges = await reads.badges_by_id([row["badge_id"] for row in rows])
    challenges = await reads.challenges_by_id([row["challenge_id"] for row in rows])
    return [
        MemberBadge(
            badge=Badge.from_model(badges[row["badge_id"]]),
            awarded_at=row["awarded_at"],
            challenge=Challenge.from_model(challenges[row["challenge_id"]]),
        )
        for row in rows
    ]


async def visible_challenge(info: strawberry.Info[Context, Any], key: int) -> Challenge | None:
    """A challenge of the caller's program: every one for admins, active ones for members and
    storefronts, none for partners."""
    principal = info.context.require_principal()
    program = await info.context.program()
    if principal.role is Role.PARTNER or program is None:
        return None
    found = await reads.find_challenge(program.id, key)
    if found is None or (not found.active and principal.role is not Role.ADMIN):
        return None
    return Challenge.from_model(found)


async def visible_badge(info: strawberry.Info[Context, Any], key: int) -> Badge | None:
    principal = info.context.require_principal()
    program = await info.context.program()
    if principal.role is Role.PARTNER or program is None:
        return None
    found = await reads.find_badge(program.id, key)
    return Badge.from_model(found) if found is not None else None
