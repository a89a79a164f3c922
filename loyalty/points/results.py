"""What a points write answers: the entries it wrote or replayed."""

from __future__ import annotations

from dataclasses import dataclass

from domain.ledger import Balance
from loyalty.points.models import PointsEntry


@dataclass(frozen=True, slots=True)
class PointsResult:
    """The entries a write produced (in order) and whether this call replayed an earlier one."""

    entries: list[PointsEntry]
    replayed: bool
    # What was asked had been done by an earlier request under another key: `entries` are its,
    # and `balance` is the member's points when this request was answered.
    already_processed: bool = False
    balance: Balance | None = None


@dataclass(frozen=True, slots=True)
class Earlier:
    """What a write's work returns when an earlier request under another key already did what
    was asked (a returnId already reversed): that request's entries, nothing new written."""

    entries: list[int]
