"""Community rules: what a post may say, how moderation moves it, the program's settings, and
the figures derived from posts (contribution points within caps, review averages).

Pure: no I/O. loyalty/community/ stores what these rules accept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from domain.earning import REFERENCE_MAX
from domain.validation import (
    ErrorCode,
    InvalidInput,
    Problem,
    ProblemCollector,
    clean_text,
    is_plain,
)

TITLE_MAX = 150
BODY_MAX = 5000
REASON_MAX = 500
RATING_MIN, RATING_MAX = 1, 5
# Limits: at most this many per member per window; a program may set any value within these.
LIMIT_MAX = 10_000
THRESHOLD_MAX = 10_000
CAP_MAX = 10_000_000
# The points rules (configurePoints events) an approved contribution earns by, per kind, and the
# thank-you bonus of a post found helpful by enough members.
EARNING_EVENTS = {
    "REVIEW": "community_review",
    "TIP": "community_tip",
    "QUESTION": "community_question",
    "ANSWER": "community_answer",
}
HELPFUL_BONUS_EVENT = "community_helpful"
# Line breaks (and tabs) are welcome in a body; every other unfit character is not.
_BODY_BREAKS = re.compile(r"\r\n|[\n\r\t]")


class PostKind(StrEnum):
    REVIEW = "REVIEW"
    TIP = "TIP"
    QUESTION = "QUESTION"
    ANSWER = "ANSWER"


class PostStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    REMOVED = "REMOVED"


class Decision(StrEnum):
    APPROVE = "APPROVE"
    REJECT = "REJECT"
    REMOVE = "REMOVE"


class ReactionKind(StrEnum):
    HELPFUL = "HELPFUL"
    LIKE = "LIKE"


class LimitedAction(StrEnum):
    """What the abuse limits count, per member."""

    POST = "post"
    REACTION = "reaction"
    REPORT = "report"


@dataclass(frozen=True, slots=True)
class Draft:
    """A post as a member wrote it; `clean_draft` trims and checks it."""

    kind: PostKind
    body: str
    title: str | None = None
    rating: int | None = None
    sku: str | None = None
    reward_id: int | None = None
    question_id: int | None = None


def clean_body(text: str, *, max_length: int, field: str, problems: ProblemCollector) -> str:
    body = text.strip()
    if not body or len(body) > max_length or not is_plain(_BODY_BREAKS.sub(" ", body)):
        problems.add(
            field,
            f"{field} must be 1-{max_length} printable characters (line breaks allowed).",
            ErrorCode.INVALID_POST,
        )
    return body


def clean_draft(draft: Draft) -> Draft:
    """The draft trimmed, or every problem at once: a review rates 1-5 one product (sku) or one
    catalog reward; a tip and a question have a title; an answer names its question; no kind
    carries what belongs to another."""
    problems = ProblemCollector()
    body = clean_body(draft.body, max_length=BODY_MAX, field="body", problems=problems)
    title = None
    if draft.title is not None:
        title = clean_text(draft.title, max_length=TITLE_MAX)
        if title is None:
            problems.add(
                "title",
                f"title must be 1-{TITLE_MAX} characters on one line.",
                ErrorCode.INVALID_POST,
            )
    elif draft.kind in (PostKind.TIP, PostKind.QUESTION):
        problems.add("title", f"A {draft.kind.lower()} needs a title.", ErrorCode.INVALID_POST)
    review = draft.kind is PostKind.REVIEW
    if review:
        if draft.rating is None or not RATING_MIN <= draft.rating <= RATING_MAX:
            problems.add(
                "rating",
                f"A review rates {RATING_MIN} to {RATING_MAX}.",
                ErrorCode.INVALID_POST,
            )
        if (draft.sku is None) == (draft.reward_id is None):
            problems.add(
                "sku", "A review names exactly one of sku or rewardId.", ErrorCode.INVALID_POST
            )
        if draft.sku is not None:
            problems.reference(
                "sku", draft.sku, max_length=REFERENCE_MAX, label="sku", code=ErrorCode.INVALID_POST
            )
    else:
        for name, value in (
            ("rating", draft.rating),
            ("sku", draft.sku),
            ("rewardId", draft.reward_id),
        ):
            if value is not None:
                problems.add(name, f"Only a review has a {name}.", ErrorCode.INVALID_POST)
    if (draft.kind is PostKind.ANSWER) != (draft.question_id is not None):
        problems.add(
            "questionId",
            "An answer, and only an answer, names its question.",
            ErrorCode.INVALID_POST,
        )
    problems.raise_if_any()
    return replace(draft, body=body, title=title)


def clean_reason(reason: str | None, *, required: bool) -> str | None:
    """A moderator's or reporter's reason: one line of 1-500 characters; None when absent."""
    if reason is None:
        if required:
            raise _problem("reason", "A reason is required.", ErrorCode.INVALID_REASON)
        return None
    clean = clean_text(reason, max_length=REASON_MAX)
    if clean is None:
        raise _problem(
            "reason",
            f"reason must be 1-{REASON_MAX} characters on one line.",
            ErrorCode.INVALID_REASON,
        )
    return clean


def _problem(field: str, message: str, code: ErrorCode) -> InvalidInput:
    return InvalidInput(Problem((field,), message, code))


def moderated(status: PostStatus, decision: Decision) -> PostStatus:
    """The status a decision gives a post. APPROVE on an approved post keeps it (and dismisses
    its reports); deciding what a post already is changes nothing; a removed post stays
    removed; a rejected post may still be approved (a second look) or removed."""
    allowed = {
        Decision.APPROVE: {PostStatus.PENDING, PostStatus.REJECTED, PostStatus.APPROVED},
        Decision.REJECT: {PostStatus.PENDING, PostStatus.REJECTED},
        Decision.REMOVE: {
            PostStatus.PENDING,
            PostStatus.APPROVED,
            PostStatus.REJECTED,
            PostStatus.REMOVED,
        },
    }
    if status not in allowed[decision]:
        raise _problem(
            "decision",
            f"A {status.lower()} post cannot be given {decision.value}.",
            ErrorCode.INVALID_MODERATION,
        )
    return {
        Decision.APPROVE: PostStatus.APPROVED,
        Decision.REJECT: PostStatus.REJECTED,
        Decision.REMOVE: PostStatus.REMOVED,
    }[decision]


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `amount` actions per member per `seconds` (a moving window)."""

    amount: int
    seconds: int


@dataclass(frozen=True, slots=True)
class Settings:
    """A program's community settings (configureCommunity); these defaults until it is called."""

    requires_approval: bool = False
    posts_per_day: int = 20
    reactions_per_hour: int = 120
    reports_per_day: int = 20
    helpful_threshold: int = 5
    daily_points_cap: int | None = None
    weekly_points_cap: int | None = None

    def limit(self, action: LimitedAction) -> Limit:
        return {
            LimitedAction.POST: Limit(self.posts_per_day, 86_400),
            LimitedAction.REACTION: Limit(self.reactions_per_hour, 3_600),
            LimitedAction.REPORT: Limit(self.reports_per_day, 86_400),
        }[action]


def check_settings(settings: Settings) -> Settings:
    problems = ProblemCollector()
    code = ErrorCode.INVALID_COMMUNITY_CONFIG
    for name, value, high in (
        ("postsPerDay", settings.posts_per_day, LIMIT_MAX),
        ("reactionsPerHour", settings.reactions_per_hour, LIMIT_MAX),
        ("reportsPerDay", settings.reports_per_day, LIMIT_MAX),
        ("helpfulThreshold", settings.helpful_threshold, THRESHOLD_MAX),
    ):
        if not 1 <= value <= high:
            problems.add(name, f"{name} must be 1 to {high}.", code)
    for name, cap in (
        ("dailyPointsCap", settings.daily_points_cap),
        ("weeklyPointsCap", settings.weekly_points_cap),
    ):
        if cap is not None and not 0 <= cap <= CAP_MAX:
            problems.add(name, f"{name} must be 0 to {CAP_MAX}, or null for none.", code)
    problems.raise_if_any()
    return settings


def within_caps(points: int, *, today: int, this_week: int, settings: Settings) -> int:
    """What the member may still earn of `points` from contributions: each cap counts the
    contribution points already earned in its calendar day or week."""
    room = points
    if settings.daily_points_cap is not None:
        room = min(room, max(settings.daily_points_cap - today, 0))
    if settings.weekly_points_cap is not None:
        room = min(room, max(settings.weekly_points_cap - this_week, 0))
    return max(room, 0)


def average_rating(rating_sum: int, count: int) -> Decimal | None:
    """The mean rating to two decimals (half up); None without reviews."""
    if count == 0:
        return None
    return (Decimal(rating_sum) / Decimal(count)).quantize(Decimal("0.01"), ROUND_HALF_UP)
