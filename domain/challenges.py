"""Challenge and badge rules, pure: what a goal is, which events of the log count toward it, for
whom, and how far they bring a member.

A goal reads the event log, not the areas that wrote it, so it can name an event type no area
records yet (`community.post_approved` before the community area exists): the type only has to be
a well-formed dotted name, and the filter compares payload fields by their JSON text, whatever
their kind. An event counts for the member it names, or for the member whose key a payload field
holds (`referrerId` of `referral.converted`: the referee is the event's member, the referrer is
whom "refer 2 friends" rewards).

Orders are the ledger's `points.earned` entries with a `sourceRef` of `order:<id>`: DISTINCT_MONTHS
counts the calendar months (the program's time zone) with an order, MONTHLY_SPEND sums the orders'
totals within one calendar month and takes the best month.

What counted can be undone (domain/challenge_undoing.py): progress sums signed contributions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from domain.rewards import IMAGE_URL_MAX, is_image_url
from domain.validation import ErrorCode, ProblemCollector, is_bounded_decimal, is_plain

NAME_MAX = 100
DESCRIPTION_MAX = 500
EVENT_TYPE_MAX = 64
FIELD_MAX = 64
VALUE_MAX = 200
MATCHES_MAX = 5
MAX_POINTS = 1_000_000
MAX_COUNT = 1000  # "post 3 reviews", "buy in 12 months": never thousands
MAX_SPEND = Decimal("1000000000")
SPEND_SCALE = 4
ORDER_EVENT = "points.earned"
ORDER_PREFIX = "order:"
# A type as the event log spells them: lower-case dotted words (`referral.converted`).
_EVENT_TYPE = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+", re.ASCII)
# A payload key as events spell them: camelCase (`referrerId`, `kind`).
_FIELD = re.compile(r"[a-z][A-Za-z0-9]*", re.ASCII)


class GoalKind(StrEnum):
    COUNT = "COUNT"  # events of one type (and filter)
    DISTINCT_MONTHS = "DISTINCT_MONTHS"  # calendar months with an order
    MONTHLY_SPEND = "MONTHLY_SPEND"  # order totals within one calendar month


class Enrolment(StrEnum):
    AUTO = "AUTO"  # every member takes part
    OPT_IN = "OPT_IN"  # only members who join, counting from when they joined


@dataclass(frozen=True, slots=True)
class Match:
    """A payload field and the JSON text its value must have (`kind` = `REVIEW`, `rating` = `5`)."""

    field: str
    equals: str


@dataclass(frozen=True, slots=True)
class Goal:
    kind: GoalKind
    target: Decimal
    event_type: str = ORDER_EVENT
    matches: tuple[Match, ...] = ()
    counts_for: str | None = None  # a payload field naming the member; None: the event's member


@dataclass(frozen=True, slots=True)
class ChallengeSpec:
    name: str
    description: str
    goal: Goal
    starts_at: datetime
    ends_at: datetime
    enrolment: Enrolment
    reward_points: int
    has_badge: bool


@dataclass(frozen=True, slots=True)
class BadgeSpec:
    name: str
    description: str
    image_url: str


def check_goal(goal: Goal, problems: ProblemCollector) -> Goal:
    """The goal as stored (COUNT's event type as given, orders' goals on `points.earned`)."""
    if goal.kind is GoalKind.COUNT:
        if not is_event_type(goal.event_type):
            problems.add(
                ("goal", "eventType"),
                f"eventType must be a dotted event type such as referral.converted "
                f"(at most {EVENT_TYPE_MAX} characters).",
                ErrorCode.INVALID_CHALLENGE,
            )
        if len(goal.matches) > MATCHES_MAX:
            problems.add(
                ("goal", "where"),
                f"At most {MATCHES_MAX} payload conditions.",
                ErrorCode.INVALID_CHALLENGE,
            )
        for index, match in enumerate(goal.matches[:MATCHES_MAX]):
            if not is_field(match.field):
                problems.add(
                    ("goal", "where", str(index), "field"),
                    f"A payload field is a camelCase name of at most {FIELD_MAX} characters.",
                    ErrorCode.INVALID_CHALLENGE,
                )
            if len(match.equals) > VALUE_MAX or not is_plain(match.equals):
                problems.add(
                    ("goal", "where", str(index), "equals"),
                    f"A payload value is at most {VALUE_MAX} characters on one line.",
                    ErrorCode.INVALID_CHALLENGE,
                )
        if goal.counts_for is not None and not is_field(goal.counts_for):
            problems.add(
                ("goal", "countsFor"),
                f"countsFor is a camelCase payload field of at most {FIELD_MAX} characters.",
                ErrorCode.INVALID_CHALLENGE,
            )
    elif goal.event_type != ORDER_EVENT or goal.matches or goal.counts_for is not None:
        problems.add(
            ("goal", "eventType"),
            "Order goals read the ledger's orders: leave eventType, where and countsFor out.",
            ErrorCode.INVALID_CHALLENGE,
        )
    spend = goal.kind is GoalKind.MONTHLY_SPEND
    high = MAX_SPEND if spend else Decimal(MAX_COUNT)
    scale = SPEND_SCALE if spend else 0
    if not (
        is_bounded_decimal(goal.target, integer_digits=len(str(int(high))), scale=scale)
        and Decimal(0) < goal.target <= high
    ):
        problems.add(
            ("goal", "target"),
            f"target must be above 0 and at most {high}"
            + (f" with at most {scale} decimals." if spend else ", a whole number."),
            ErrorCode.INVALID_CHALLENGE,
        )
    return goal


def check_texts(
    problems: ProblemCollector, name: str | None, description: str | None
) -> tuple[str | None, str | None]:
    """The trimmed name and description (None where not given or refused)."""
    cleaned_name = (
        problems.one_line_text(
            "name", name, max_length=NAME_MAX, label="name", code=ErrorCode.INVALID_NAME
        )
        if name is not None
        else None
    )
    cleaned_description = None
    if description is not None:
        cleaned_description = description.strip()
        if len(cleaned_description) > DESCRIPTION_MAX or not is_plain(cleaned_description):
            problems.add(
                "description",
                f"description must be at most {DESCRIPTION_MAX} characters on one line.",
                ErrorCode.INVALID_DESCRIPTION,
            )
    return cleaned_name, cleaned_description


def check_window(problems: ProblemCollector, starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        problems.add("endsAt", "endsAt must be after startsAt.", ErrorCode.INVALID_CHALLENGE)


def check_challenge(spec: ChallengeSpec) -> ChallengeSpec:
    problems = ProblemCollector()
    name, description = check_texts(problems, spec.name, spec.description)
    goal = check_goal(spec.goal, problems)
    check_window(problems, spec.starts_at, spec.ends_at)
    if not 0 <= spec.reward_points <= MAX_POINTS:
        problems.add(
            "rewardPoints", f"rewardPoints must be 0-{MAX_POINTS}.", ErrorCode.INVALID_CHALLENGE
        )
    elif spec.reward_points == 0 and not spec.has_badge:
        problems.add(
            "rewardPoints",
            "A challenge rewards points, a badge, or both.",
            ErrorCode.INVALID_CHALLENGE,
        )
    problems.raise_if_any()
    assert name is not None
    assert description is not None
    return ChallengeSpec(
        name,
        description,
        goal,
        spec.starts_at,
        spec.ends_at,
        spec.enrolment,
        spec.reward_points,
        spec.has_badge,
    )


def check_badge(spec: BadgeSpec) -> BadgeSpec:
    problems = ProblemCollector()
    name, description = check_texts(problems, spec.name, spec.description)
    if not is_image_url(spec.image_url):
        problems.add(
            "imageUrl",
            f"imageUrl must be an https URL of at most {IMAGE_URL_MAX} characters.",
            ErrorCode.INVALID_BADGE,
        )
    problems.raise_if_any()
    assert name is not None
    assert description is not None
    return BadgeSpec(name, description, spec.image_url)


def is_event_type(text: str) -> bool:
    return len(text) <= EVENT_TYPE_MAX and _EVENT_TYPE.fullmatch(text) is not None


def is_field(text: str) -> bool:
    return len(text) <= FIELD_MAX and _FIELD.fullmatch(text) is not None


def json_text(value: Any) -> str:
    """A payload value as a filter compares it: a string as itself, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def beneficiary(
    goal: Goal, event_type: str, member_id: int | None, payload: Mapping[str, Any]
) -> int | None:
    """The member the event counts for under the goal, or None when it does not count."""
    if event_type != goal.event_type:
        return None
    if goal.kind is not GoalKind.COUNT and not is_order(payload):
        return None
    for match in goal.matches:
        if match.field not in payload or json_text(payload[match.field]) != match.equals:
            return None
    if goal.counts_for is None:
        return member_id
    named = payload.get(goal.counts_for)
    # A key in a payload is a JSON integer; anything else names nobody.
    return named if is_key(named) else None


def order_id(payload: Mapping[str, Any]) -> str | None:
    return payload["sourceRef"].removeprefix(ORDER_PREFIX) if is_order(payload) else None


def is_order(payload: Mapping[str, Any]) -> bool:
    source = payload.get("sourceRef")
    return isinstance(source, str) and source.startswith(ORDER_PREFIX)


def is_key(value: Any) -> bool:
    """A member's or a post's key as a payload holds it: a positive JSON integer."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def bucket(goal: Goal, occurred_at: datetime, timezone: str) -> str:
    """Where an event's contribution is summed: its local calendar month for order goals."""
    if goal.kind is GoalKind.COUNT:
        return ""
    return occurred_at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m")


def progress(goal: Goal, buckets: Sequence[tuple[str, int, Decimal]]) -> Decimal:
    """How far the contributions, as (bucket, units, amount) summed per bucket, bring the member:
    what was undone counts negatively, so progress is what still stands."""
    if goal.kind is GoalKind.COUNT:
        return Decimal(max(sum(units for _, units, _ in buckets), 0))
    if goal.kind is GoalKind.DISTINCT_MONTHS:
        return Decimal(sum(1 for _, units, _ in buckets if units > 0))
    return max((amount for _, _, amount in buckets), default=Decimal(0))


def is_complete(goal: Goal, reached: Decimal) -> bool:
    return reached >= goal.target


def in_window(starts_at: datetime, ends_at: datetime, at: datetime) -> bool:
    return starts_at <= at < ends_at


def counts(
    enrolment: Enrolment, joined_at: datetime | None, starts_at: datetime, at: datetime
) -> bool:
    """Whether an event at `at` counts for an enrolment: opt-in members count from joining."""
    if enrolment is Enrolment.OPT_IN:
        return joined_at is not None and at >= max(joined_at, starts_at)
    return True
