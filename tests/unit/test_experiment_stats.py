"""Experiment statistics: Wilson and Newcombe intervals, and the significance states."""

from __future__ import annotations

import numpy as np
import pytest

from domain.experiment_stats import (
    MIN_MEMBERS,
    Significance,
    compare,
    conversion_rate,
    difference_interval,
    wilson,
)


def test_wilson_matches_a_published_value() -> None:
    # Newcombe (1998), table I: 81 of 263 -> 0.2553 to 0.3662.
    interval = wilson(81, 263)
    assert interval.low == pytest.approx(0.2553, abs=1e-4)
    assert interval.high == pytest.approx(0.3662, abs=1e-4)


def test_newcombe_matches_a_published_value() -> None:
    # Newcombe (1998), table II example (a): 56/70 vs 48/80 -> 0.0524 to 0.3339.
    interval = difference_interval(56, 70, 48, 80)
    assert interval.low == pytest.approx(0.0524, abs=1e-4)
    assert interval.high == pytest.approx(0.3339, abs=1e-4)


def test_the_interval_covers_the_true_difference_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(7)
    n, p_arm, p_holdout, runs = 200, 0.3, 0.2, 2000
    arms, holdouts = rng.binomial(n, p_arm, runs), rng.binomial(n, p_holdout, runs)
    covered = sum(
        difference_interval(int(a), n, int(h), n).contains(p_arm - p_holdout)
        for a, h in zip(arms, holdouts, strict=True)
    )
    assert 0.93 <= covered / runs <= 0.97


def test_a_clear_effect_on_enough_members_is_significant() -> None:
    result = compare(300, 1000, 200, 1000)
    assert result.significance is Significance.SIGNIFICANT
    assert result.difference == pytest.approx(0.1)
    assert result.interval is not None
    assert result.interval.low > 0


def test_small_samples_are_not_yet_significant_even_with_a_big_difference() -> None:
    few = MIN_MEMBERS - 1
    assert compare(few, few, 0, few).significance is Significance.NOT_YET_SIGNIFICANT
    assert compare(5, 10, 5, 10).significance is Significance.NOT_YET_SIGNIFICANT
    assert compare(0, 0, 3, 40).significance is Significance.NOT_YET_SIGNIFICANT


def test_an_interval_containing_zero_is_not_yet_significant() -> None:
    result = compare(52, 500, 50, 500)
    assert result.interval is not None
    assert result.interval.contains(0.0)
    assert result.significance is Significance.NOT_YET_SIGNIFICANT


def test_without_a_holdout_there_is_nothing_to_compare_with() -> None:
    result = compare(10, 100, 0, 0)
    assert (result.significance, result.difference, result.interval) == (
        Significance.NO_HOLDOUT, None, None,
    )  # fmt: skip


def test_rates_and_bad_counts() -> None:
    assert conversion_rate(0, 0) is None
    assert conversion_rate(1, 4) == 0.25
    with pytest.raises(ValueError, match="conversions among"):
        compare(5, 4, 0, 10)
