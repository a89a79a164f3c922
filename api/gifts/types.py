"""GraphQL types of the gifts area: a program's gift settings with their budget, and gifts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry import relay

from api.auth import Role
from api.context import Context
from api.enums import described_enum
from api.relay import keyset_connection
from api.why import WHY, Why
from domain import gift_undoing, gift_why
from domain import gifts as rules
from loyalty.gifts import reads

CURSOR = "gift"

described_enum(
    rules.GiftKind,
    name="GiftKind",
    description="Which give-first gift.",
    values={
        "WELCOME": "Given inside the enrolment, once per member.",
        "BIRTHDAY": "On the member's birthday in the program's time zone, once a year "
        "(29 February birthdays on 28 February in other years).",
        "ANNIVERSARY": "On the anniversary of the member's enrolment (program's zone), yearly.",
        "SURPRISE": "At an order: every Nth order of the member, or a seeded random draw.",
        "THANK_YOU": "For a contribution: an event of the configured type, once per post "
        "(once per survey response for feedback.submitted).",
    },
)
described_enum(
    rules.Period,
    name="GiftBudgetPeriod",
    description="The period a gift's budget and member cap count over (program's time zone).",
    values={
        "WEEK": "Monday to Sunday.",
        "MONTH": "A calendar month.",
        "YEAR": "A calendar year.",
    },
)
described_enum(
    rules.SurpriseRule,
    name="GiftSurpriseRule",
    description="How a SURPRISE gift picks its orders.",
    values={
        "EVERY_NTH_ORDER": "The member's every Nth order (everyNthOrder).",
        "DRAW": "A draw with drawProbability per order, from the gift's seed and the order id "
        "(the same order always draws the same); personalised, so it needs consent.",
    },
)
described_enum(
    rules.Status,
    name="GiftStatus",
    description="Where a gift stands.",
    values={
        "PENDING": "Due; the gift job gives it (or records why not) within a minute.",
        "GIVEN": "Given: its points moved from the budget to the member's ledger.",
        "SKIPPED": "Not given, for skipReason; never tried again for this trigger.",
        "REVOKED": "Given, then undone for revokeReason (its order fully returned, its post "
        "removed or rejected): its points taken back by a REVERSE ledger entry and credited "
        "back to the budget that paid them.",
    },
)
described_enum(
    rules.SkipReason,
    name="GiftSkipReason",
    description="Why a due gift was not given.",
    values={
        "BUDGET_SPENT": "The gift's budget for the period had not enough left.",
        "MEMBER_CAP": "The member had its most gifts of this kind for the period.",
        "NO_CONSENT": "A personalised gift, and the member objects to personalization.",
        "NOT_ACTIVE": "The member was suspended or erased.",
        "SWITCHED_OFF": "The gift was switched off before it was given.",
        "ORDER_RETURNED": "Its order was fully returned before the gift was given.",
        "POST_REMOVED": "Its post was removed or rejected before the gift was given.",
    },
)
described_enum(
    gift_undoing.RevokeReason,
    name="GiftRevokeReason",
    description="Why a given gift was revoked: what it was given for no longer stands.",
    values={
        "ORDER_RETURNED": "A SURPRISE whose order was fully returned.",
        "POST_REMOVED": "A THANK_YOU whose post was removed or rejected.",
    },
)


@strawberry.type(description="A gift's budget account in the current period.")
class GiftBudget:
    period: rules.Period = strawberry.field(description="What the budget counts over.")
    period_start: date = strawberry.field(description="The first day of the current period.")
    total: int = strawberry.field(description="The period's budget, in points.")
    spent: int = strawberry.field(description="Points given in the period.")
    remaining: int = strawberry.field(description="Points left to give in the period.")


@strawberry.type(description="The program's gift of one kind.")
class GiftSetting:
    kind: rules.GiftKind = strawberry.field(description="Which gift.")
    points: int = strawberry.field(description="Points each gift gives.")
    active: bool = strawberry.field(description="False: no new gifts of this kind.")
    personalized: bool = strawberry.field(
        description="Whether it uses the member's data for personalisation (a DRAW always "
        "does): then it needs the personalization purpose."
    )
    budget_points: int = strawberry.field(description="The budget per period, in points.")
    budget_period: rules.Period = strawberry.field(description="The budget's period.")
    member_cap: int | None = strawberry.field(
        description="Most gifts of this kind per member per period; null for no cap."
    )
    surprise_rule: rules.SurpriseRule | None = strawberry.field(
        description="A SURPRISE's rule; null for other kinds."
    )
    every_nth_order: int | None = strawberry.field(description="EVERY_NTH_ORDER's N.")
    draw_probability: Decimal | None = strawberry.field(
        description="DRAW's chance per order, 0.0001 to 1."
    )
    trigger_event_type: str | None = strawberry.field(
        description="A THANK_YOU's event type; null for other kinds."
    )
    trigger_post_kind: str | None = strawberry.field(
        description="A THANK_YOU's post kind (the event's `kind`), e.g. REVIEW; null: any."
    )
    budget: GiftBudget = strawberry.field(description="The budget account now.")

    @classmethod
    def of(cls, found: reads.SettingNow) -> GiftSetting:
        s = found.settings
        budget = GiftBudget(
            period=s.budget_period, period_start=found.period_start,
            total=found.budget.total, spent=found.budget.spent, remaining=found.budget.remaining,
        )  # fmt: skip
        return cls(
            kind=s.kind, points=s.points, active=s.active, personalized=s.needs_personalization,
            budget_points=s.budget_points, budget_period=s.budget_period,
            member_cap=s.member_cap, surprise_rule=s.surprise_rule,
            every_nth_order=s.every_nth_order, draw_probability=s.draw_probability,
            trigger_event_type=s.trigger_event_type, trigger_post_kind=s.trigger_post_kind,
            budget=budget,
        )  # fmt: skip


def _global(type_name: str, key: int | None) -> strawberry.ID | None:
    return None if key is None else strawberry.ID(str(relay.GlobalID(type_name, str(key))))


@strawberry.type(
    description="One gift that came due: given, skipped with its reason, revoked, or pending."
)
class Gift(relay.Node):
    gift_id: relay.NodeID[int]
    kind: rules.GiftKind = strawberry.field(description="Which gift.")
    status: rules.Status = strawberry.field(description="Where it stands.")
    skip_reason: rules.SkipReason | None = strawberry.field(
        description="Why it was not given; null unless SKIPPED."
    )
    points: int = strawberry.field(
        description="Points given (0 unless GIVEN or REVOKED; a REVOKED gift's were taken back)."
    )
    trigger: str = strawberry.field(
        description="What made it due, once per member: enrolment, birthday:<year>, "
        "anniversary:<year>, order:<order id>, post:<post id>, response:<survey response "
        "id> or event:<event id>."
    )
    reason: str = strawberry.field(description="What the member reads, e.g. Happy birthday.")
    member_id: strawberry.ID = strawberry.field(description="The member's global id.")
    entry_id: strawberry.ID | None = strawberry.field(
        description="The ledger entry (LedgerEntry global id) that gave it; null unless GIVEN "
        "or REVOKED."
    )
    created_at: datetime = strawberry.field(description="When it came due.")
    decided_at: datetime | None = strawberry.field(description="When given or skipped.")
    revoked_at: datetime | None = strawberry.field(
        description="When it was revoked; null unless REVOKED."
    )
    revoke_reason: gift_undoing.RevokeReason | None = strawberry.field(
        description="Why it was revoked; null unless REVOKED."
    )
    why: Why = strawberry.field(description=WHY)


def gift_of(row: dict[str, Any]) -> Gift:
    kind = rules.GiftKind(row["kind"])
    status = rules.Status(row["status"])
    skipped = rules.SkipReason(row["skip_reason"]) if row["skip_reason"] else None
    revoked = gift_undoing.RevokeReason(row["revoke_reason"]) if row["revoke_reason"] else None
    personalized = row["personalized"] or row["surprise_rule"] == rules.SurpriseRule.DRAW.value
    explained = gift_why.explain(
        kind=kind, status=status, points=row["points"], trigger=row["trigger"],
        occasion=row["occasion"], personalized=personalized, skipped=skipped, revoked=revoked,
    )  # fmt: skip
    member_id = _global("Member", row["member_id"])
    assert member_id is not None
    return Gift(
        gift_id=row["id"], kind=kind, status=status, skip_reason=skipped, points=row["points"],
        trigger=row["trigger"], reason=rules.reason(kind, row["occasion"]), member_id=member_id,
        entry_id=_global("LedgerEntry", row["entry_id"]), created_at=row["created_at"],
        decided_at=row["decided_at"], revoked_at=row["revoked_at"], revoke_reason=revoked,
        why=Why.of(explained),
    )  # fmt: skip


@strawberry.type(description="A page of gifts, in the order they came due.")
class GiftConnection(relay.Connection[Gift]):
    """Keyset-paginated by gift id."""


@dataclass(frozen=True, slots=True)
class _Keyed:
    """A gift row under its key, as keyset_connection pages rows."""

    id: int
    row: dict[str, Any]


def connection_of(rows: list[dict[str, Any]], limit: int, after: str | None) -> GiftConnection:
    keyed = [_Keyed(row["id"], row) for row in rows]
    return keyset_connection(
        GiftConnection, keyed, limit, CURSOR, lambda found: gift_of(found.row), after=after
    )


async def visible_gift(info: strawberry.Info[Context, Any], key: int) -> Gift | None:
    """A gift for its program's admins, and for its member."""
    context = info.context
    principal = context.require_principal()
    program = await context.program()
    if program is None or principal.role not in (Role.ADMIN, Role.MEMBER):
        return None
    rows = await reads.gifts_page(program.id, after_id=key - 1, kind=None, member_id=None, limit=1)
    if not rows or rows[0]["id"] != key:
        return None
    if principal.role is Role.MEMBER:
        me = await context.me()
        if me is None or me.id != rows[0]["member_id"]:
            return None
    return gift_of(rows[0])
