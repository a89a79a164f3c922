"""`make bench` runs the API as production would: its settings must be ones the API accepts,
or the benchmark stops at start (as it did when partner clients made LOYALTY_OAUTH_SECRET
required in production)."""

from __future__ import annotations

import pytest

from api.settings import load_settings
from bench.run import server_environment

pytestmark = pytest.mark.unit


def test_the_benchmarked_server_starts_with_production_settings() -> None:
    settings = load_settings(
        server_environment("postgresql://db.internal/bench", "redis://cache:6379/0")
    )
    assert not settings.development
    assert settings.auth.oauth_secret is not None
    assert not settings.inline_worker
