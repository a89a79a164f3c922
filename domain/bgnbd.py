"""The BG/NBD model of repeat buying (Fader, Hardie & Lee 2005, "Counting your customers the
easy way"), fitted by maximum likelihood. Pure: numpy and scipy only.

While alive, a member orders as a Poisson process of rate lambda ~ Gamma(r, alpha); after each order it
drops out with probability p ~ Beta(a, b). A member is summarised by x (repeat orders: orders
after the first), t_x (days from its first order to its last) and T (days from its first order
to now). Time is in days throughout.

Expected next order (our definition, the issue leaves it open): if the member is alive its rate
has the posterior Gamma(r + x, alpha + T) and, a Poisson process being memoryless, the chance
of no order in the next t days is ((alpha + T) / (alpha + T + t)) ** (r + x). The expected next
order is the day by which that chance falls to one half: now plus the median wait
(alpha + T) * (2 ** (1 / (r + x)) - 1) days. A median, not the mean: the mean wait is infinite
when r + x <= 1, and heavy-tailed otherwise. It is the date *if still active*: read it with the
churn probability beside it.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

VERSION = "bgnbd-1"
# Fewer members than this, or fewer who ordered twice, and the four parameters are not
# identified: the job says INSUFFICIENT_DATA and predicts nothing.
MIN_MEMBERS = 10
MIN_REPEAT_MEMBERS = 3
# Log-parameters are kept in a box so the optimiser cannot run off to a degenerate corner.
_LOG_BOUNDS = ((-9.0, 9.0), (-9.0, 12.0), (-9.0, 9.0), (-9.0, 9.0))
_MAX_EXPONENT = 700.0  # exp(700) is near the largest float; beyond, a wait is no number at all

Floats = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Parameters:
    r: float
    alpha: float
    a: float
    b: float

    def digest(self) -> str:
        """A short hash of the parameters, for the model version."""
        text = f"{self.r:.6g}:{self.alpha:.6g}:{self.a:.6g}:{self.b:.6g}"
        return hashlib.sha256(text.encode()).hexdigest()[:8]


@dataclass(frozen=True, slots=True)
class Fit:
    parameters: Parameters
    log_likelihood: float
    members: int


class TooLittleData(ValueError):
    """Too few members, or too few repeat buyers, to fit the model."""


def log_likelihood(parameters: Parameters, x: Floats, t_x: Floats, big_t: Floats) -> Floats:
    """Each member's log-likelihood (FHL 2005, equation 6), in logs throughout."""
    r, alpha, a, b = parameters.r, parameters.alpha, parameters.a, parameters.b
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    alive = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + big_t)
    repeat = x > 0
    # The dropped-out term exists only after a repeat order (x > 0): -inf otherwise.
    dropped = np.full_like(x, -np.inf)
    xr = x[repeat]
    dropped[repeat] = (
        betaln(a + 1, b + xr - 1) - betaln(a, b) - (r + xr) * np.log(alpha + t_x[repeat])
    )
    result: Floats = common + np.logaddexp(alive, dropped)
    return result


def fit(
    x: Sequence[float] | Floats, t_x: Sequence[float] | Floats, big_t: Sequence[float] | Floats
) -> Fit:
    """Maximum likelihood over log-parameters (L-BFGS-B within bounds). Raises TooLittleData."""
    xs, ts, bigs = (np.asarray(v, dtype=np.float64) for v in (x, t_x, big_t))
    if len(xs) < MIN_MEMBERS or int(np.sum(xs > 0)) < MIN_REPEAT_MEMBERS:
        raise TooLittleData(
            f"needs at least {MIN_MEMBERS} members of whom {MIN_REPEAT_MEMBERS} ordered again; "
            f"has {len(xs)} and {int(np.sum(xs > 0))}"
        )

    def negative(logs: Floats) -> float:
        value = -float(np.sum(log_likelihood(Parameters(*np.exp(logs)), xs, ts, bigs)))
        return value if np.isfinite(value) else 1e300

    mean_gap = max(float(np.mean(bigs)) / max(float(np.mean(xs)), 0.5), 1.0)
    start = np.log(np.array([1.0, mean_gap, 1.0, 1.0]))
    found = minimize(negative, start, method="L-BFGS-B", bounds=_LOG_BOUNDS)
    parameters = Parameters(*(float(v) for v in np.exp(found.x)))
    return Fit(parameters, -float(found.fun), len(xs))


def p_alive(parameters: Parameters, x: Floats, t_x: Floats, big_t: Floats) -> Floats:
    """P(still active now | x, t_x, T) (FHL 2005, equation 11); 1 before any repeat order,
    since in this model a member can only drop out right after an order."""
    r, alpha, a, b = parameters.r, parameters.alpha, parameters.a, parameters.b
    repeat = x > 0
    ratio = np.zeros_like(x)
    xr = x[repeat]
    log_ratio = (
        np.log(a)
        - np.log(b + xr - 1)
        + (r + xr) * (np.log(alpha + big_t[repeat]) - np.log(alpha + t_x[repeat]))
    )
    ratio[repeat] = np.exp(np.minimum(log_ratio, 700.0))
    result: Floats = 1.0 / (1.0 + ratio)
    return result


def expected_orders(
    parameters: Parameters, horizon: float, x: Floats, t_x: Floats, big_t: Floats
) -> Floats:
    """E[orders in the next `horizon` days | x, t_x, T] (FHL 2005, equation 10)."""
    r, alpha, a, b = parameters.r, parameters.alpha, parameters.a, parameters.b
    if abs(a - 1.0) < 1e-6:
        a += 1e-6  # the closed form divides by a - 1; its limit is continuous
    z = horizon / (alpha + big_t + horizon)
    head = (a + b + x - 1) / (a - 1)
    tail = 1.0 - ((alpha + big_t) / (alpha + big_t + horizon)) ** (r + x) * hyp2f1(
        r + x, b + x, a + b + x - 1, z
    )
    result: Floats = np.maximum(head * tail * p_alive(parameters, x, t_x, big_t), 0.0)
    return result


def p_orders_within(
    parameters: Parameters, horizon: float, x: Floats, t_x: Floats, big_t: Floats
) -> Floats:
    """P(at least one order in the next `horizon` days): alive now, and the first order of a
    Gamma(r + x, alpha + T)-rated Poisson process comes within the horizon."""
    r, alpha = parameters.r, parameters.alpha
    none_if_alive = ((alpha + big_t) / (alpha + big_t + horizon)) ** (r + x)
    result: Floats = p_alive(parameters, x, t_x, big_t) * (1.0 - none_if_alive)
    return result


def median_wait_days(parameters: Parameters, x: float, big_t: float) -> float:
    """Days from now to the next order if the member is still active (module docstring); inf
    when it is beyond any float (a tiny r + x: 2 ** (1 / (r + x)) overflows)."""
    exponent = math.log(2.0) / (parameters.r + x)
    if exponent > _MAX_EXPONENT:
        return math.inf
    return float((parameters.alpha + big_t) * math.expm1(exponent))


def model_version(fitted_on: str, parameters: Parameters) -> str:
    """e.g. "bgnbd-1/2026-06-15/3fa2c1d0": the model, the day of the fit, its parameters."""
    return f"{VERSION}/{fitted_on}/{parameters.digest()}"
