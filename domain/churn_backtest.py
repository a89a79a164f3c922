"""The back-test of the churn model: generated histories with a known ground truth.

Pure (numpy and scipy). Members join over the first months and follow the BG/NBD process
itself: while alive, Poisson orders of rate lambda ~ Gamma(r, alpha); after each repeat order, drop-out
with probability p ~ Beta(a, b); the seed is fixed, so every run sees the same histories. The model is
fitted on the training months only and scored on "orders again in the evaluation period" for
the members known at the cut-off, against a naive recency baseline: the share of members who
ordered again within a window, by days-since-last-order decile, learnt inside the training
months (the same horizon, ending at the cut-off). Reported: AUC, Brier score and calibration
by decile of the model's probability.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.stats import rankdata

from domain import bgnbd

SEED = 20261202
MEMBERS = 4000
JOIN_DAYS = 180.0  # members join over the first six months
TRAIN_DAYS = 365.0
EVALUATION_DAYS = 90.0
# The truth: CDNOW's estimates (FHL 2005) with alpha from weeks to days.
TRUTH = bgnbd.Parameters(r=0.243, alpha=4.414 * 7, a=0.793, b=2.426)
DECILES = 10

Floats = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Scores:
    name: str
    auc: float
    brier: float


@dataclass(frozen=True, slots=True)
class Decile:
    predicted: float
    observed: float
    members: int


@dataclass(frozen=True, slots=True)
class Report:
    members: int
    base_rate: float
    fitted: bgnbd.Parameters
    model: Scores
    baseline: Scores
    calibration: tuple[Decile, ...]


def generate(rng: np.random.Generator, members: int, until: float) -> list[Floats]:
    """Each member's order times (days from day 0) up to `until`."""
    rates = rng.gamma(TRUTH.r, 1.0 / TRUTH.alpha, members)
    dropouts = rng.beta(TRUTH.a, TRUTH.b, members)
    joins = rng.uniform(0.0, JOIN_DAYS, members)
    histories = []
    for rate, dropout, joined in zip(rates, dropouts, joins, strict=True):
        times = [joined]
        while (nxt := times[-1] + rng.exponential(1.0 / rate)) <= until:
            times.append(nxt)
            if rng.random() < dropout:  # drop-out comes after a repeat order, never the first
                break
        histories.append(np.array(times))
    return histories


def summarise(histories: list[Floats], cut: float) -> tuple[Floats, Floats, Floats, Floats]:
    """x, t_x, T and days since the last order at `cut`, for members who ordered before it."""
    rows = []
    for times in histories:
        seen = times[times <= cut]
        if len(seen):
            rows.append((len(seen) - 1, seen[-1] - seen[0], cut - seen[0], cut - seen[-1]))
    x, t_x, big_t, recency = (
        np.array(column, dtype=np.float64) for column in zip(*rows, strict=True)
    )
    return x, t_x, big_t, recency


def ordered_between(histories: list[Floats], start: float, end: float) -> Floats:
    """1.0 for each member known at `start` who orders in (start, end], else 0.0."""
    return np.array(
        [
            float(np.any((times > start) & (times <= end)))
            for times in histories
            if np.any(times <= start)
        ]
    )


def auc(scores: Floats, labels: Floats) -> float:
    """The probability that a random positive outranks a random negative (ties count half)."""
    ranks = rankdata(scores)
    positives = labels == 1
    n_pos, n_neg = int(positives.sum()), int((~positives).sum())
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def brier(probabilities: Floats, labels: Floats) -> float:
    return float(np.mean((probabilities - labels) ** 2))


def recency_baseline(histories: list[Floats], cut: float, horizon: float) -> Floats:
    """The baseline's probability for each member known at `cut`: learnt on the window that
    ends at `cut` (features at `cut - horizon`), applied by decile of days since last order."""
    learn_at = cut - horizon
    *_, learn_recency = summarise(histories, learn_at)
    learnt = ordered_between(histories, learn_at, cut)
    edges = np.quantile(learn_recency, np.linspace(0, 1, DECILES + 1)[1:-1])
    bins = np.searchsorted(edges, learn_recency, side="right")
    rates = np.array([learnt[bins == k].mean() if np.any(bins == k) else learnt.mean()
                      for k in range(DECILES)])  # fmt: skip
    *_, recency = summarise(histories, cut)
    result: Floats = rates[np.searchsorted(edges, recency, side="right")]
    return result


def calibration(probabilities: Floats, labels: Floats) -> tuple[Decile, ...]:
    order = np.argsort(probabilities, kind="stable")
    return tuple(
        Decile(float(probabilities[part].mean()), float(labels[part].mean()), len(part))
        for part in np.array_split(order, DECILES)
    )


def run(members: int = MEMBERS, seed: int = SEED) -> Report:
    rng = np.random.default_rng(seed)
    histories = generate(rng, members, TRAIN_DAYS + EVALUATION_DAYS)
    x, t_x, big_t, _ = summarise(histories, TRAIN_DAYS)
    fitted = bgnbd.fit(x, t_x, big_t).parameters
    labels = ordered_between(histories, TRAIN_DAYS, TRAIN_DAYS + EVALUATION_DAYS)
    model = bgnbd.p_orders_within(fitted, EVALUATION_DAYS, x, t_x, big_t)
    baseline = recency_baseline(histories, TRAIN_DAYS, EVALUATION_DAYS)
    return Report(
        members=len(labels),
        base_rate=float(labels.mean()),
        fitted=fitted,
        model=Scores("BG/NBD", auc(model, labels), brier(model, labels)),
        baseline=Scores("recency baseline", auc(baseline, labels), brier(baseline, labels)),
        calibration=calibration(model, labels),
    )


def render(report: Report) -> str:
    """The report as a small table for a terminal."""
    p = report.fitted
    lines = [
        f"Back-test: {report.members} members, trained {TRAIN_DAYS:.0f} days, evaluated "
        f"{EVALUATION_DAYS:.0f} days; {report.base_rate:.1%} ordered again (seed {SEED})",
        f"fitted r={p.r:.3f} alpha={p.alpha:.2f} a={p.a:.3f} b={p.b:.3f} (truth r={TRUTH.r} "
        f"alpha={TRUTH.alpha:.2f} a={TRUTH.a} b={TRUTH.b})",
        "",
        f"{'model':<18} {'AUC':>6} {'Brier':>7}",
    ]
    for scores in (report.model, report.baseline):
        lines.append(f"{scores.name:<18} {scores.auc:>6.3f} {scores.brier:>7.4f}")
    lines += ["", "calibration (model, by decile): predicted  observed  members"]
    for index, decile in enumerate(report.calibration, start=1):
        lines.append(
            f"  {index:>2}  {decile.predicted:>9.3f}  {decile.observed:>8.3f}  {decile.members:>7}"
        )
    return "\n".join(lines)
