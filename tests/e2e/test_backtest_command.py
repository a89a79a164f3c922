"""`loyalty insights backtest` as a user runs it: the model against the recency baseline."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.serving import LOYALTY, loyalty_env

pytestmark = pytest.mark.e2e


def test_the_backtest_prints_the_model_beating_the_baseline(tmp_path: Path) -> None:
    printed = subprocess.run(
        [LOYALTY, "insights", "backtest"],
        env=loyalty_env(tmp_path),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    rows = {
        line[:18].strip(): [float(v) for v in line[18:].split()]
        for line in printed.splitlines()
        if line.startswith(("BG/NBD", "recency baseline"))
    }
    (model_auc, model_brier), (base_auc, base_brier) = rows["BG/NBD"], rows["recency baseline"]
    assert model_auc > base_auc
    assert model_brier < base_brier
    assert "calibration (model, by decile)" in printed
