"""Per-member predictions from a fitted BG/NBD model (domain/bgnbd.py), each with its `why`.

Pure. A member's history is its order count and the days since its first and its last order;
the prediction is the churn probability (1 - P(alive)), the orders expected in the next 90 days,
the expected next order date (bgnbd's definition) and the factors that explain the probability.

Each factor compares the member's value with a reference (its own usual gap between orders, the
program's median order count and tenure) and says which way it moves the risk: `effect` is the
churn probability as it is minus the probability had that one value been the reference
(everything else unchanged). A factor whose effect is under one percentage point is NEUTRAL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import numpy as np

from domain import bgnbd
from domain.earning import REFERENCE_MAX
from domain.validation import is_reference

HORIZON_DAYS = 90.0
# What a client may ask for at once: products suggested, reorders listed.
MAX_PRODUCTS = 20
DEFAULT_PRODUCTS = 5
MAX_REORDERS = 50
DEFAULT_REORDERS = 10
_NEUTRAL_BELOW = 0.01
_MAX_WAIT_DAYS = 3650.0  # a wait beyond ten years is no date at all


class Direction(StrEnum):
    RAISES_RISK = "RAISES_RISK"
    LOWERS_RISK = "LOWERS_RISK"
    NEUTRAL = "NEUTRAL"


@dataclass(frozen=True, slots=True)
class History:
    """One member's orders (fully returned ones left out), in days before now."""

    member_id: int
    orders: int
    days_since_first: float
    days_since_last: float

    @property
    def repeat(self) -> float:
        return float(self.orders - 1)

    @property
    def t_x(self) -> float:
        return self.days_since_first - self.days_since_last


@dataclass(frozen=True, slots=True)
class Factor:
    code: str
    label: str
    value: float
    reference: float | None
    effect: float
    direction: Direction

    def as_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "label": self.label,
            "value": round(self.value, 2),
            "reference": None if self.reference is None else round(self.reference, 2),
            "effect": round(self.effect, 4),
            "direction": self.direction.value,
        }


@dataclass(frozen=True, slots=True)
class Prediction:
    member_id: int
    churn_probability: float
    expected_orders_90d: float
    expected_next_order_at: datetime | None
    why: tuple[Factor, ...]


def _churn(parameters: bgnbd.Parameters, x: float, t_x: float, big_t: float) -> float:
    alive = bgnbd.p_alive(parameters, np.array([x]), np.array([t_x]), np.array([big_t]))
    return float(1.0 - alive[0])


def _direction(effect: float) -> Direction:
    if abs(effect) < _NEUTRAL_BELOW:
        return Direction.NEUTRAL
    return Direction.RAISES_RISK if effect > 0 else Direction.LOWERS_RISK


def _factors(
    parameters: bgnbd.Parameters,
    h: History,
    churn: float,
    median_orders: float,
    median_tenure: float,
) -> tuple[Factor, ...]:
    x, t_x, big_t = h.repeat, h.t_x, h.days_since_first
    if x > 0:
        gap = t_x / x
        effect = churn - _churn(parameters, x, max(big_t - gap, 0.0), big_t)
        recency = Factor(
            "DAYS_SINCE_LAST_ORDER",
            f"{h.days_since_last:.0f} days since the last order; the usual gap is {gap:.0f} days",
            h.days_since_last, gap, effect, _direction(effect),
        )  # fmt: skip
    else:
        recency = Factor(
            "DAYS_SINCE_LAST_ORDER",
            f"{h.days_since_last:.0f} days since the only order: no repeat order yet, so the "
            "model cannot see a drop-out",
            h.days_since_last, None, 0.0, Direction.NEUTRAL,
        )  # fmt: skip
    other_x = max(median_orders - 1.0, 0.0)
    other_t_x = t_x if other_x > 0 else 0.0
    effect = churn - _churn(parameters, other_x, other_t_x, big_t)
    orders = Factor(
        "ORDERS",
        f"{h.orders} orders; the program's median is {median_orders:g}",
        float(h.orders), median_orders, effect, _direction(effect),
    )  # fmt: skip
    # Tenure with the same days since the last order: an older or newer member alike otherwise.
    other_t = max(median_tenure, h.days_since_last)
    effect = churn - _churn(parameters, x, other_t - h.days_since_last if x > 0 else 0.0, other_t)
    tenure = Factor(
        "TENURE",
        f"first order {big_t:.0f} days ago; the program's median is {median_tenure:.0f} days",
        big_t, median_tenure, effect, _direction(effect),
    )  # fmt: skip
    return recency, orders, tenure


def predict(
    parameters: bgnbd.Parameters, histories: Sequence[History], now: datetime
) -> list[Prediction]:
    """The prediction of each member, in the order given."""
    if not histories:
        return []
    x = np.array([h.repeat for h in histories])
    t_x = np.array([h.t_x for h in histories])
    big_t = np.array([h.days_since_first for h in histories])
    churn = 1.0 - bgnbd.p_alive(parameters, x, t_x, big_t)
    expected = bgnbd.expected_orders(parameters, HORIZON_DAYS, x, t_x, big_t)
    median_orders = float(np.median([h.orders for h in histories]))
    median_tenure = float(np.median(big_t))
    found = []
    for index, history in enumerate(histories):
        wait = bgnbd.expected_wait_days(parameters, x[index], big_t[index])
        at = now + timedelta(days=wait) if wait is not None and wait <= _MAX_WAIT_DAYS else None
        probability = min(max(float(churn[index]), 0.0), 1.0)
        found.append(
            Prediction(
                history.member_id,
                probability,
                float(expected[index]) if np.isfinite(expected[index]) else 0.0,
                at,
                _factors(parameters, history, probability, median_orders, median_tenure),
            )
        )
    return found


def is_sku(value: str) -> bool:
    """A SKU as awardPoints accepts one in an order's lines."""
    return is_reference(value, max_length=REFERENCE_MAX)
