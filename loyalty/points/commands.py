"""What clients ask of the points ledger, one command each; handlers in earning.py, spending.py,
returns.py and jobs.py. Every points command is idempotent under its client's key."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from backbone.bus import Command
from domain.earning import Order
from loyalty.points.results import PointsResult
from loyalty.programs import ProgramRef


@dataclass(frozen=True, slots=True, kw_only=True)
class PointsCommand(Command[PointsResult]):
    """`actor` is who asks (role:subject) and owns the idempotency key; `program` the tenant,
    as the request found it (writes confirm its settings in their transaction)."""

    program: ProgramRef
    actor: str
    idempotency_key: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AwardOrder(PointsCommand):
    external_id: str
    order: Order


@dataclass(frozen=True, slots=True, kw_only=True)
class AwardEvent(PointsCommand):
    external_id: str
    event: str
    reference: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AwardManual(PointsCommand):
    external_id: str
    points: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RedeemPoints(PointsCommand):
    external_id: str
    points: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AdjustPoints(PointsCommand):
    external_id: str
    points: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReverseOrder(PointsCommand):
    order_id: str
    return_id: str
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class SettleMember(Command[list[str] | None]):
    """The settlement job's: activate and expire what is due for one member. None when another
    write held the member (it settles the member itself); else the kinds of entries written."""

    program_id: int
    member_id: int
