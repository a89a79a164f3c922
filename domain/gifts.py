"""Give-first gift rules, pure: settings, budget periods, the days gifts fall on, the surprise
draw, the member cap, the budget account's debit, and what the member reads.

A program has at most one setting per kind of gift. Each kind spends a budget per period (a week,
a calendar month or a year in the program's time zone), kept as a program-level account: a gift
moves its points from that account to the member's ledger, and the account never goes below zero
(`debit` here, a CHECK in the database). Birthdays of 29 February are celebrated on 28 February
in years without that day, so every member has a birthday every year; anniversaries likewise.
The surprise draw is an HMAC of the gift's seed and its trigger (the order), so it is the same
however often it is judged, and tests can reproduce it from the seed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from domain.validation import ErrorCode, InvalidInput, Problem, ProblemCollector

MAX_POINTS = 1_000_000
MAX_BUDGET = 1_000_000_000
MAX_CAP = 1_000
MAX_NTH = 10_000
DRAW_SCALE = 10_000  # probabilities are kept in basis points: 0.0001 is the smallest chance
EVENT_TYPE_MAX = 64
_EVENT_TYPE = re.compile(r"[a-z][a-z_]*(\.[a-z][a-z_]*)+")
_POST_KIND = re.compile(r"[A-Z][A-Z_]{0,31}")
_SEED = re.compile(r"[A-Za-z0-9_-]{16,128}")
DEFAULT_TRIGGER = "community.post_approved"
DEFAULT_POST_KIND = "REVIEW"
# The ledger's and the gifts' own events never trigger a thank-you: the relay consumer reads them
# for surprises and never thanks for them, so a setting naming one would never fire.
NEVER_THANKED = ("points.", "gift.")


class GiftKind(StrEnum):
    WELCOME = "WELCOME"  # at enrolment
    BIRTHDAY = "BIRTHDAY"  # on the member's birthday, once a year
    ANNIVERSARY = "ANNIVERSARY"  # on the day the member enrolled, each year after
    SURPRISE = "SURPRISE"  # surprise-and-delight at an order: every Nth, or a seeded draw
    THANK_YOU = "THANK_YOU"  # for a contribution: an event of a configured type


class Period(StrEnum):
    WEEK = "WEEK"  # Monday to Sunday
    MONTH = "MONTH"
    YEAR = "YEAR"


class SurpriseRule(StrEnum):
    EVERY_NTH_ORDER = "EVERY_NTH_ORDER"
    DRAW = "DRAW"


class Status(StrEnum):
    PENDING = "PENDING"  # triggered; the gift job gives it (or records why not) shortly
    GIVEN = "GIVEN"
    SKIPPED = "SKIPPED"
    REVOKED = "REVOKED"  # given, then undone: its points taken back, its budget credited back


class SkipReason(StrEnum):
    BUDGET_SPENT = "BUDGET_SPENT"
    MEMBER_CAP = "MEMBER_CAP"
    NO_CONSENT = "NO_CONSENT"
    NOT_ACTIVE = "NOT_ACTIVE"  # the member was suspended or erased when its gift came due
    SWITCHED_OFF = "SWITCHED_OFF"  # the gift was switched off before it was given
    ORDER_RETURNED = "ORDER_RETURNED"  # its order was fully returned before it was given
    POST_REMOVED = "POST_REMOVED"  # its post was removed or rejected before it was given


@dataclass(frozen=True, slots=True)
class GiftSettings:
    kind: GiftKind
    points: int
    budget_points: int
    budget_period: Period = Period.MONTH
    member_cap: int | None = None  # gifts of this kind per member per budget period
    active: bool = True
    personalized: bool = False
    surprise_rule: SurpriseRule | None = None
    every_nth_order: int | None = None
    draw_probability: Decimal | None = None  # 0 < p <= 1, at most 4 decimals
    draw_seed: str | None = None
    trigger_event_type: str | None = None
    trigger_post_kind: str | None = None

    @property
    def needs_personalization(self) -> bool:
        """A draw singles members out by chance over their activity; a flag says so of others."""
        return self.personalized or self.surprise_rule is SurpriseRule.DRAW

    @property
    def draw_basis_points(self) -> int:
        return int((self.draw_probability or Decimal(0)) * DRAW_SCALE)


def new_seed() -> str:
    return secrets.token_urlsafe(32)


def validate(settings: GiftSettings) -> GiftSettings:
    """The settings as stored (a draw gets a seed; defaults by kind), or every problem at once."""
    problems = ProblemCollector()
    bad = ErrorCode.INVALID_GIFT_CONFIG
    if not 1 <= settings.points <= MAX_POINTS:
        problems.add("points", f"points must be 1 to {MAX_POINTS}.", bad)
    if not 0 <= settings.budget_points <= MAX_BUDGET:
        problems.add("budgetPoints", f"budgetPoints must be 0 to {MAX_BUDGET}.", bad)
    if settings.member_cap is not None and not 1 <= settings.member_cap <= MAX_CAP:
        problems.add("memberCap", f"memberCap must be 1 to {MAX_CAP}, or null for none.", bad)
    surprise = settings.kind is GiftKind.SURPRISE
    rule, nth, chance = settings.surprise_rule, settings.every_nth_order, settings.draw_probability
    if surprise and rule is None:
        problems.add("surpriseRule", "A SURPRISE gift needs its rule.", bad)
    if not surprise and rule is not None:
        problems.add("surpriseRule", "Only a SURPRISE gift has a rule.", bad)
    if (nth is not None) != (rule is SurpriseRule.EVERY_NTH_ORDER):
        problems.add("everyNthOrder", "everyNthOrder goes with the EVERY_NTH_ORDER rule.", bad)
    elif nth is not None and not 1 <= nth <= MAX_NTH:
        problems.add("everyNthOrder", f"everyNthOrder must be 1 to {MAX_NTH}.", bad)
    if (chance is not None) != (rule is SurpriseRule.DRAW):
        problems.add("drawProbability", "drawProbability goes with the DRAW rule.", bad)
    elif chance is not None:
        problems.decimal(
            "drawProbability", chance, low=Decimal("0.0001"), high=Decimal(1), scale=4,
            label="drawProbability", code=bad,
        )  # fmt: skip
    seed = settings.draw_seed
    if seed is not None and (rule is not SurpriseRule.DRAW or _SEED.fullmatch(seed) is None):
        problems.add("drawSeed", "drawSeed is 16-128 of A-Z a-z 0-9 _ - for a DRAW.", bad)
    thank_you = settings.kind is GiftKind.THANK_YOU
    trigger, post_kind = settings.trigger_event_type, settings.trigger_post_kind
    if trigger is not None and (
        not thank_you or len(trigger) > EVENT_TYPE_MAX or _EVENT_TYPE.fullmatch(trigger) is None
    ):
        problems.add(
            "triggerEventType",
            f"triggerEventType is a dotted event type (e.g. {DEFAULT_TRIGGER}) of a THANK_YOU.",
            bad,
        )
    elif trigger is not None and trigger.startswith(NEVER_THANKED):
        problems.add(
            "triggerEventType", "points.* and gift.* events never trigger a thank-you.", bad
        )
    if post_kind is not None and (not thank_you or _POST_KIND.fullmatch(post_kind) is None):
        problems.add("triggerPostKind", "triggerPostKind is an upper-case kind (e.g. REVIEW).", bad)
    problems.raise_if_any()
    if rule is SurpriseRule.DRAW and seed is None:
        settings = replace(settings, draw_seed=new_seed())
    if thank_you and trigger is None:
        # The community's approved posts, and of them reviews, unless a kind is named.
        post_kind = post_kind or DEFAULT_POST_KIND
        settings = replace(
            settings, trigger_event_type=DEFAULT_TRIGGER, trigger_post_kind=post_kind
        )
    return settings


def period_start(period: Period, today: date) -> date:
    """The first day of the budget period holding `today` (a local date of the program)."""
    if period is Period.WEEK:
        return today - timedelta(days=today.weekday())
    if period is Period.MONTH:
        return today.replace(day=1)
    return today.replace(month=1, day=1)


def celebrated_on(day: date, year: int) -> date:
    """When a yearly day (a birthday, an enrolment day) falls in `year`: 29 February is kept on
    28 February in years that have no 29th."""
    try:
        return day.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def days_celebrated(today: date) -> list[str]:
    """The month-days (MM-DD) whose yearly day falls on `today`: 02-29 joins 02-28 in years
    without it. The job matches members' dates against these in one statement."""
    days = [today.strftime("%m-%d")]
    if celebrated_on(date(2024, 2, 29), today.year) == today and today.day == 28:
        days.append("02-29")
    return days


def surprise_due(settings: GiftSettings, *, order_number: int, order_trigger: str) -> bool:
    """Whether the member's `order_number`-th order (this one) is given the surprise."""
    if settings.surprise_rule is SurpriseRule.EVERY_NTH_ORDER:
        nth = settings.every_nth_order or 0
        return nth > 0 and order_number % nth == 0
    if settings.surprise_rule is SurpriseRule.DRAW and settings.draw_seed is not None:
        return draw(settings.draw_seed, order_trigger) < settings.draw_basis_points
    return False


def draw(seed: str, trigger: str) -> int:
    """A number from 0 to DRAW_SCALE - 1, the same for the same seed and trigger, and not
    foreseeable without the seed."""
    digest = hmac.new(seed.encode(), trigger.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % DRAW_SCALE


def thanks_for(settings: GiftSettings, *, event_type: str, post_kind: object) -> bool:
    """Whether an event of the log is a contribution this THANK_YOU gift thanks for."""
    if settings.trigger_event_type != event_type:
        return False
    return settings.trigger_post_kind is None or post_kind == settings.trigger_post_kind


@dataclass(frozen=True, slots=True)
class Budget:
    """One period of a gift's budget account: its total and what is left."""

    total: int
    remaining: int

    @property
    def spent(self) -> int:
        return self.total - self.remaining


def debit(budget: Budget, points: int) -> Budget:
    """The account after a gift of `points`; never below zero (the database's CHECK agrees)."""
    if points < 0 or points > budget.remaining:
        raise InvalidInput(
            Problem(("points",), "The gift budget has not enough left.", ErrorCode.INVALID_AMOUNT)
        )
    return Budget(budget.total, budget.remaining - points)


def top_up(budget: Budget, total: int) -> Budget:
    """The period's account once an admin sets a new budget: what was spent stays spent; a
    budget below it leaves nothing more to give."""
    new_total = max(total, budget.spent)
    return Budget(new_total, new_total - budget.spent)


def skip_reason(
    settings: GiftSettings,
    *,
    member_active: bool,
    consented: bool,
    given_in_period: int,
) -> SkipReason | None:
    """Why a due gift is not given (before its budget is asked), or None to go on."""
    if not settings.active:
        return SkipReason.SWITCHED_OFF
    if not member_active:
        return SkipReason.NOT_ACTIVE
    if settings.needs_personalization and not consented:
        return SkipReason.NO_CONSENT
    if settings.member_cap is not None and given_in_period >= settings.member_cap:
        return SkipReason.MEMBER_CAP
    return None


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def reason(kind: GiftKind, occasion: int | None) -> str:
    """What the member reads on the ledger entry; `occasion` counts the years of an anniversary
    and the orders of a surprise."""
    if kind is GiftKind.WELCOME:
        return "A welcome gift"
    if kind is GiftKind.BIRTHDAY:
        return "Happy birthday"
    if kind is GiftKind.ANNIVERSARY:
        return f"Happy {ordinal(occasion or 1)} membership anniversary"
    if kind is GiftKind.SURPRISE:
        return f"A thank-you for your {ordinal(occasion or 1)} order"
    return "A thank-you for your contribution"


# What a thank-you thanks for, by the id its event's payload carries: a post once (however
# often it is approved), a survey response once; any other event once.
THANKED_FOR = (("postId", "post"), ("responseId", "response"))


def thank_you_reference(payload: dict[str, object], event_id: int) -> str:
    """The THANK_YOU's reference: `post:<id>`, `response:<id>`, else `event:<event id>`."""
    for field, prefix in THANKED_FOR:
        if payload.get(field) is not None:
            return f"{prefix}:{payload[field]}"
    return f"event:{event_id}"


def trigger(kind: GiftKind, *, year: int | None = None, reference: str | None = None) -> str:
    """The gift's trigger, unique per program, kind and member: `enrolment`, `birthday:2026`,
    `anniversary:2027`, `order:<order id>`, `post:<post id>`, `response:<survey response id>`
    (or `event:<event id>`)."""
    if kind is GiftKind.WELCOME:
        return "enrolment"
    if kind in (GiftKind.BIRTHDAY, GiftKind.ANNIVERSARY):
        return f"{kind.lower()}:{year}"
    if kind is GiftKind.SURPRISE:
        return f"order:{reference}"
    return str(reference)  # a THANK_YOU's thank_you_reference


def source_ref(gift_id: int) -> str:
    return f"gift:{gift_id}"
