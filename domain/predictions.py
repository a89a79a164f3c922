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

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import numpy as np

from domain import bgnbd
from domain.bgnbd import Floats
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


def _churn(parameters: bgnbd.Parameters, x: Floats, t_x: Floats, big_t: Floats) -> Floats:
    result: Floats = 1.0 - bgnbd.p_alive(parameters, x, t_x, big_t)
    return result


def _direction(effect: float) -> Direction:
    if abs(effect) < _NEUTRAL_BELOW:
        return Direction.NEUTRAL
    return Direction.RAISES_RISK if effect > 0 else Direction.LOWERS_RISK


@dataclass(frozen=True, slots=True)
class _Effects:
    """Each member's churn minus its churn with one value set to its reference: in arrays, so
    a program of a hundred thousand members is a few vector operations, not a loop of them."""

    recency: list[float]
    orders: list[float]
    tenure: list[float]


def _effects(
    parameters: bgnbd.Parameters,
    x: Floats,
    t_x: Floats,
    big_t: Floats,
    churn: Floats,
    median_orders: float,
    median_tenure: float,
) -> _Effects:
    repeat = x > 0
    gap = np.where(repeat, t_x / np.maximum(x, 1.0), 0.0)
    # The last order one usual gap ago (no effect before a repeat order: nothing to compare).
    usual = _churn(parameters, x, np.where(repeat, np.maximum(big_t - gap, 0.0), t_x), big_t)
    # A whole number of repeat orders: the model is defined for those only (a half, from the
    # median of an even count, makes log(b + x - 1) the log of a negative number for b < 1/2).
    other_x = np.full_like(x, max(math.floor(median_orders) - 1.0, 0.0))
    median = _churn(parameters, other_x, t_x if other_x[0] > 0 else np.zeros_like(x), big_t)
    # The median tenure with the same days since the last order.
    since_last = big_t - t_x
    other_t = np.maximum(median_tenure, since_last)
    tenured = _churn(parameters, x, np.where(repeat, other_t - since_last, 0.0), other_t)
    return _Effects(_finite(churn - usual), _finite(churn - median), _finite(churn - tenured))


def _finite(effects: Floats) -> list[float]:
    """Effects as stored (JSON has no NaN): a value the model cannot compute moves nothing."""
    finite: list[float] = np.nan_to_num(effects, nan=0.0, posinf=0.0, neginf=0.0).tolist()
    return finite


def _factors(
    h: History, index: int, effects: _Effects, median_orders: float, median_tenure: float
) -> tuple[Factor, ...]:
    if h.repeat > 0:
        gap = h.t_x / h.repeat
        effect = effects.recency[index]
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
    effect = effects.orders[index]
    orders = Factor(
        "ORDERS",
        f"{h.orders} orders; the program's median is {median_orders:g}",
        float(h.orders), median_orders, effect, _direction(effect),
    )  # fmt: skip
    effect = effects.tenure[index]
    tenure = Factor(
        "TENURE",
        f"first order {h.days_since_first:.0f} days ago; the program's median is "
        f"{median_tenure:.0f} days",
        h.days_since_first, median_tenure, effect, _direction(effect),
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
    churn = np.clip(_churn(parameters, x, t_x, big_t), 0.0, 1.0)
    expected = bgnbd.expected_orders(parameters, HORIZON_DAYS, x, t_x, big_t)
    expected = np.where(np.isfinite(expected), expected, 0.0)
    median_orders = float(np.median(x + 1.0))
    median_tenure = float(np.median(big_t))
    effects = _effects(parameters, x, t_x, big_t, churn, median_orders, median_tenure)
    found = []
    for index, history in enumerate(histories):
        wait = bgnbd.median_wait_days(parameters, history.repeat, history.days_since_first)
        at = now + timedelta(days=wait) if wait <= _MAX_WAIT_DAYS else None
        found.append(
            Prediction(
                history.member_id,
                float(churn[index]),
                float(expected[index]),
                at,
                _factors(history, index, effects, median_orders, median_tenure),
            )
        )
    return found


def is_sku(value: str) -> bool:
    """A SKU as awardPoints accepts one in an order's lines."""
    return is_reference(value, max_length=REFERENCE_MAX)
