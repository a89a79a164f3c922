"""The BG/NBD model, its explanations and its back-test, as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from domain import bgnbd, churn_backtest
from domain.predictions import Direction, History, predict

pytestmark = pytest.mark.unit

NOW = datetime(2026, 6, 15, tzinfo=UTC)


@pytest.fixture(scope="module")
def histories() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    generated = churn_backtest.generate(np.random.default_rng(7), 1500, 365.0)
    x, t_x, big_t, _ = churn_backtest.summarise(generated, 365.0)
    return x, t_x, big_t


def test_the_fit_is_a_maximum_of_the_likelihood(histories: tuple[np.ndarray, ...]) -> None:
    x, t_x, big_t = histories
    found = bgnbd.fit(x, t_x, big_t)
    truth = float(np.sum(bgnbd.log_likelihood(churn_backtest.TRUTH, x, t_x, big_t)))
    assert found.log_likelihood >= truth
    assert found.members == len(x)
    p = found.parameters
    for nearby in (
        bgnbd.Parameters(p.r * 1.1, p.alpha, p.a, p.b),
        bgnbd.Parameters(p.r, p.alpha * 0.9, p.a, p.b),
        bgnbd.Parameters(p.r, p.alpha, p.a * 1.1, p.b * 0.9),
    ):
        assert np.sum(bgnbd.log_likelihood(nearby, x, t_x, big_t)) < found.log_likelihood


def test_alive_before_a_repeat_order_and_less_so_the_longer_the_silence() -> None:
    p = churn_backtest.TRUTH
    big_t = np.array([200.0, 200.0, 200.0, 200.0])
    alive = bgnbd.p_alive(p, np.array([0.0, 4.0, 4.0, 4.0]), np.array([0.0, 190, 100, 20]), big_t)
    assert alive[0] == 1.0
    assert alive[1] > alive[2] > alive[3]
    expected = bgnbd.expected_orders(
        p, 90.0, np.array([4.0, 4.0]), np.array([190.0, 20]), big_t[:2]
    )
    assert expected[0] > expected[1] > 0


def test_too_little_data_is_refused_not_fitted() -> None:
    with pytest.raises(bgnbd.TooLittleData, match="needs at least"):
        bgnbd.fit([0.0] * 30, [0.0] * 30, [50.0] * 30)  # nobody ordered twice
    with pytest.raises(bgnbd.TooLittleData):
        bgnbd.fit([1.0] * 5, [10.0] * 5, [50.0] * 5)


def test_a_long_silence_after_regular_orders_raises_the_risk_and_says_so(
    histories: tuple[np.ndarray, ...],
) -> None:
    parameters = bgnbd.fit(*histories).parameters
    regular = History(1, orders=6, days_since_first=150.0, days_since_last=120.0)  # every 6 days
    recent = History(2, orders=6, days_since_first=150.0, days_since_last=3.0)
    single = History(3, orders=1, days_since_first=40.0, days_since_last=40.0)
    gone, fresh, once = predict(parameters, [regular, recent, single], NOW)
    assert gone.churn_probability > 0.5 > fresh.churn_probability
    assert once.churn_probability == 0.0  # the model sees no drop-out before a repeat order
    [recency, *_] = gone.why
    assert recency.code == "DAYS_SINCE_LAST_ORDER"
    assert recency.value == 120.0
    assert recency.reference == pytest.approx(6.0)
    assert recency.direction is Direction.RAISES_RISK
    assert recency.effect > 0
    assert {f.code for f in gone.why} == {"DAYS_SINCE_LAST_ORDER", "ORDERS", "TENURE"}
    assert fresh.expected_orders_90d > gone.expected_orders_90d
    assert fresh.expected_next_order_at is not None
    assert fresh.expected_next_order_at > NOW


def test_the_model_beats_the_recency_baseline_on_discrimination_and_calibration() -> None:
    report = churn_backtest.run()
    assert report.model.auc > report.baseline.auc
    assert report.model.brier < report.baseline.brier
    assert sum(d.members for d in report.calibration) == report.members
    # Calibrated: the top decile's predicted and observed rates agree to within ten points.
    top = report.calibration[-1]
    assert abs(top.predicted - top.observed) < 0.1
    assert "recency baseline" in churn_backtest.render(report)
