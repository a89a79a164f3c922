"""The pure rules of rewards: suggestions within reach, limit windows in the program's zone,
prices per tier, codes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.redemptions import (
    CODE_ALPHABET,
    CODE_LENGTH,
    Candidate,
    generate_code,
    limit_window_start,
    price_for,
    within_reach,
)
from domain.rewards import LimitPeriod

pytestmark = pytest.mark.unit


def test_within_reach_keeps_the_near_ones_nearest_first() -> None:
    candidates = [Candidate(1, "a", 1300), Candidate(2, "b", 1100), Candidate(3, "c", 1100)]
    chosen = within_reach([*candidates, Candidate(4, "d", 1000)], 1000, 25, 10)
    assert [(s.reward_id, s.points_needed, s.progress_percent) for s in chosen] == [
        (2, 100, 90),
        (3, 100, 90),
    ]
    assert within_reach(candidates, 0, 25, 10) == []  # nothing is near an empty balance
    assert len(within_reach(candidates, 1000, 100, 1)) == 1


def test_limit_windows_begin_in_the_program_zone() -> None:
    # 23:30 UTC on Sunday 14 June is already Monday 15 June in Paris.
    now = datetime(2026, 6, 14, 23, 30, tzinfo=UTC)
    day = limit_window_start(LimitPeriod.DAY, now, "Europe/Paris")
    week = limit_window_start(LimitPeriod.WEEK, now, "Europe/Paris")
    assert day is not None
    assert day.isoformat() == "2026-06-15T00:00:00+02:00"
    assert week == day
    assert limit_window_start(LimitPeriod.LIFETIME, now, "Europe/Paris") is None


def test_a_tier_price_applies_only_to_its_tier() -> None:
    assert price_for(100, {"gold": 80}, "gold") == 80
    assert price_for(100, {"gold": 80}, "silver") == 100
    assert price_for(100, {"gold": 80}, None) == 100


def test_codes_are_long_and_from_the_unambiguous_alphabet() -> None:
    codes = {generate_code() for _ in range(1000)}
    assert len(codes) == 1000
    assert all(len(c) == CODE_LENGTH and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert not set("ILOU") & set(CODE_ALPHABET)
