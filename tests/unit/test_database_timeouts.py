"""PostgreSQL's own time limits on the API's connections: configured by environment variables,
sent as server settings on every pooled connection."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.database import tortoise_config
from api.settings import DatabaseTimeouts, SettingsError, load_settings

pytestmark = pytest.mark.unit

URL = "postgresql://loyalty@db.internal/loyalty"


def test_defaults_bound_lock_waits_statements_and_idle_transactions(tmp_path: Path) -> None:
    settings = load_settings({"LOYALTY_DATA_DIR": str(tmp_path)})
    assert settings.db_timeouts == DatabaseTimeouts(
        lock_ms=5000, statement_ms=15000, idle_in_transaction_ms=30000
    )


def test_each_limit_has_its_variable_and_zero_turns_it_off(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "LOYALTY_DATA_DIR": str(tmp_path),
            "LOYALTY_DB_LOCK_TIMEOUT_MS": "250",
            "LOYALTY_DB_STATEMENT_TIMEOUT_MS": "0",
            "LOYALTY_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS": "60000",
        }
    )
    assert settings.db_timeouts == DatabaseTimeouts(250, 0, 60000)


@pytest.mark.parametrize(
    "name",
    [
        "LOYALTY_DB_LOCK_TIMEOUT_MS",
        "LOYALTY_DB_STATEMENT_TIMEOUT_MS",
        "LOYALTY_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS",
    ],
)
@pytest.mark.parametrize("value", ["-1", "5s", "1.5"])
def test_a_bad_limit_names_its_variable(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"^{name} must"):
        load_settings({"LOYALTY_DATA_DIR": str(tmp_path), name: value})


def test_the_pool_sends_them_as_server_settings() -> None:
    config = tortoise_config(URL, timeouts=DatabaseTimeouts(250, 1000, 2000))
    assert config["connections"]["default"]["credentials"]["server_settings"] == {
        "lock_timeout": "250",
        "statement_timeout": "1000",
        "idle_in_transaction_session_timeout": "2000",
    }
    # The client gives up a moment after the server would have: a server that went silent.
    assert config["connections"]["default"]["credentials"]["command_timeout"] == 2.0


def test_without_a_statement_limit_the_client_waits_too() -> None:
    config = tortoise_config(URL, timeouts=DatabaseTimeouts(250, 0, 2000))
    assert "command_timeout" not in config["connections"]["default"]["credentials"]


def test_without_limits_the_server_defaults_apply() -> None:
    # The CLI's own work (an audit of a large program) may run longer than a request should.
    credentials = tortoise_config(URL)["connections"]["default"]["credentials"]
    assert "server_settings" not in credentials
    assert "command_timeout" not in credentials
