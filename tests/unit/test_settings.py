"""Configuration is validated at start, with messages that name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.database import connection_params, sqlalchemy_url
from api.settings import SettingsError, load_settings
from domain.throttling import DEFAULT_BUCKETS, Bucket

pytestmark = pytest.mark.unit

SERVERS = {"DATABASE_URL": "postgresql://db.internal/loyalty", "REDIS_URL": "redis://cache:6379/0"}


def test_development_defaults_create_and_reuse_a_dev_secret(tmp_path: Path) -> None:
    env = {"LOYALTY_DATA_DIR": str(tmp_path)}
    first, second = load_settings(env), load_settings(env)
    assert first.development
    assert first.auth.algorithms == ("HS256",)
    assert first.auth.secret == second.auth.secret
    assert len(first.auth.secret or "") >= 32
    assert (tmp_path / "dev-jwt-secret").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"LOYALTY_ENV": "staging"}, "LOYALTY_ENV"),
        ({"LOYALTY_DB_POOL_MAX": "ten"}, "LOYALTY_DB_POOL_MAX"),
        ({"LOYALTY_DB_POOL_MIN": "5", "LOYALTY_DB_POOL_MAX": "2"}, "LOYALTY_DB_POOL_MAX"),
        ({"LOYALTY_JWT_ALGORITHMS": "none"}, "LOYALTY_JWT_ALGORITHMS"),
        ({"LOYALTY_JWT_ALGORITHMS": "HS256,RS256"}, "LOYALTY_JWT_ALGORITHMS"),
        ({"LOYALTY_ENV": "production", **SERVERS}, "LOYALTY_JWT_SECRET"),
        ({"LOYALTY_ENV": "production", "REDIS_URL": "redis://r:6379/0"}, "^DATABASE_URL must"),
        ({"LOYALTY_ENV": "production", "DATABASE_URL": "postgresql://d/x"}, "^REDIS_URL must"),
        ({"LOYALTY_ENV": "production"}, "DATABASE_URL and REDIS_URL must be set in production"),
        ({"LOYALTY_JWT_SECRET": "short"}, "LOYALTY_JWT_SECRET"),
        ({"LOYALTY_JWT_ALGORITHMS": "HS512", "LOYALTY_JWT_SECRET": "x" * 40}, "LOYALTY_JWT_SECRET"),
        ({"LOYALTY_JWT_ALGORITHMS": "RS256"}, "LOYALTY_JWT_JWKS_FILE"),
        ({"LOYALTY_JWT_LEEWAY_SECONDS": "-1"}, "LOYALTY_JWT_LEEWAY_SECONDS"),
        ({"LOYALTY_MAX_BODY_BYTES": "64k"}, "LOYALTY_MAX_BODY_BYTES"),
        ({"LOYALTY_MAX_BODY_BYTES": "1000"}, "LOYALTY_MAX_BODY_BYTES must be at least 4096"),
        ({"LOYALTY_DOCUMENTS": "persisted"}, "LOYALTY_DOCUMENTS must be one of: any, trusted"),
        ({"LOYALTY_RATE_LIMITS": "member=100/5"}, "LOYALTY_RATE_LIMITS: 'member=100/5': maximum"),
        ({"LOYALTY_OTEL_ENDPOINT": "otel:4318"}, "LOYALTY_OTEL_ENDPOINT must be an http"),
        (
            {"LOYALTY_OTEL_ENDPOINT": "http://otel:4318", "LOYALTY_OTEL_SERVICE_NAME": "a b"},
            "LOYALTY_OTEL_SERVICE_NAME",
        ),
        ({"LOYALTY_RATE_LIMITS": "robot=9000/5"}, "LOYALTY_RATE_LIMITS: 'robot=9000/5' is not"),
        ({"LOYALTY_RATE_LIMITS": "member=9000"}, "LOYALTY_RATE_LIMITS: 'member=9000' is not"),
        ({"LOYALTY_FORWARDED_ALLOW_IPS": "proxy.internal"}, "LOYALTY_FORWARDED_ALLOW_IPS"),
        ({"LOYALTY_METRICS_TOKEN": "short"}, "LOYALTY_METRICS_TOKEN"),
        ({"LOYALTY_METRICS_TOKEN": "has a space " + "x" * 32}, "LOYALTY_METRICS_TOKEN"),
    ],
)
def test_bad_values_are_refused_naming_the_variable(
    tmp_path: Path, env: dict[str, str], names: str
) -> None:
    with pytest.raises(SettingsError, match=names):
        load_settings({"LOYALTY_DATA_DIR": str(tmp_path), **env})


def test_request_bodies_are_limited_to_64_kib_unless_configured(tmp_path: Path) -> None:
    assert load_settings({"LOYALTY_DATA_DIR": str(tmp_path)}).max_body_bytes == 65536
    configured = {"LOYALTY_DATA_DIR": str(tmp_path), "LOYALTY_MAX_BODY_BYTES": "1048576"}
    assert load_settings(configured).max_body_bytes == 1048576


def test_forwarded_headers_are_believed_from_localhost_unless_configured(tmp_path: Path) -> None:
    assert load_settings({"LOYALTY_DATA_DIR": str(tmp_path)}).forwarded_allow_ips == (
        "127.0.0.1",
        "::1",
    )
    proxies = {
        "LOYALTY_DATA_DIR": str(tmp_path),
        "LOYALTY_FORWARDED_ALLOW_IPS": "10.0.0.0/8, fd00::1",
    }
    assert load_settings(proxies).forwarded_allow_ips == ("10.0.0.0/8", "fd00::1")


def test_metrics_need_no_token_unless_one_is_configured(tmp_path: Path) -> None:
    assert load_settings({"LOYALTY_DATA_DIR": str(tmp_path)}).metrics_token is None
    token = "t" * 40
    configured = {"LOYALTY_DATA_DIR": str(tmp_path), "LOYALTY_METRICS_TOKEN": token}
    assert load_settings(configured).metrics_token == token


def test_any_document_runs_unless_only_trusted_ones_are_asked_for(tmp_path: Path) -> None:
    assert not load_settings({"LOYALTY_DATA_DIR": str(tmp_path)}).trusted_documents_only
    only = {"LOYALTY_DATA_DIR": str(tmp_path), "LOYALTY_DOCUMENTS": "trusted"}
    assert load_settings(only).trusted_documents_only


def test_rate_limits_change_the_roles_named_and_keep_the_others(tmp_path: Path) -> None:
    settings = load_settings(
        {"LOYALTY_DATA_DIR": str(tmp_path), "LOYALTY_RATE_LIMITS": "member=6000/20, admin=9000/9"}
    )
    assert settings.rate_limits["member"] == Bucket(6000, 20)
    assert settings.rate_limits["admin"] == Bucket(9000, 9)
    assert settings.rate_limits["storefront"] == DEFAULT_BUCKETS["storefront"]


def test_production_with_keys_is_accepted(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "LOYALTY_ENV": "production",
            **SERVERS,
            "LOYALTY_JWT_ALGORITHMS": "ES256",
            "LOYALTY_JWT_JWKS_URL": "https://idp.example/jwks.json",
            "LOYALTY_OAUTH_SECRET": "o" * 32,
            "LOYALTY_DATA_DIR": str(tmp_path),
        }
    )
    assert not settings.development
    assert settings.auth.secret is None
    assert settings.auth.oauth_secret == "o" * 32
    assert settings.auth.oauth_token_ttl_seconds == 900
    assert not (tmp_path / "dev-jwt-secret").exists()
    assert not (tmp_path / "dev-oauth-secret").exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"LOYALTY_OAUTH_SECRET": ""}, "LOYALTY_OAUTH_SECRET is required in production"),
        ({"LOYALTY_OAUTH_SECRET": "short"}, "at least 32 bytes"),
        ({"LOYALTY_OAUTH_ISSUER": "loyalty-dev"}, "must differ from LOYALTY_JWT_ISSUER"),
        ({"LOYALTY_OAUTH_TOKEN_TTL_SECONDS": "59"}, "at least 60"),
        ({"LOYALTY_OAUTH_TOKEN_TTL_SECONDS": "3601"}, "at most 3600"),
    ],
)
def test_partner_token_settings_are_checked(
    tmp_path: Path, changes: dict[str, str], message: str
) -> None:
    source = {
        "LOYALTY_ENV": "production",
        **SERVERS,
        "LOYALTY_JWT_SECRET": "j" * 32,
        "LOYALTY_OAUTH_SECRET": "o" * 32,
        "LOYALTY_DATA_DIR": str(tmp_path),
        **changes,
    }
    with pytest.raises(SettingsError, match=message):
        load_settings(source)


def test_development_keeps_a_partner_token_secret_in_the_data_folder(tmp_path: Path) -> None:
    first = load_settings({"LOYALTY_DATA_DIR": str(tmp_path)}).auth.oauth_secret
    assert first is not None
    assert len(first) >= 32
    assert load_settings({"LOYALTY_DATA_DIR": str(tmp_path)}).auth.oauth_secret == first
    assert first != load_settings({"LOYALTY_DATA_DIR": str(tmp_path)}).auth.secret


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql://u:p%40ss@db.internal:6543/loyalty",
            {
                "host": "db.internal",
                "port": 6543,
                "user": "u",
                "password": "p@ss",
                "database": "loyalty",
            },
        ),
        (
            "postgresql://postgres:@/postgres?host=/tmp/pg",
            {
                "host": "/tmp/pg",
                "port": 5432,
                "user": "postgres",
                "password": "",
                "database": "postgres",
            },
        ),
    ],
)
def test_database_urls_over_tcp_and_unix_sockets(url: str, expected: dict[str, object]) -> None:
    assert connection_params(url) == expected
    assert sqlalchemy_url(url).startswith("postgresql+asyncpg://")


def test_non_postgres_url_is_refused() -> None:
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        connection_params("mysql://localhost/db")


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"DATABASE_URL": "mysql://localhost/db"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://localhost:port/db"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://localhost:6379"}, "REDIS_URL"),
    ],
)
def test_bad_server_urls_are_refused_at_start(
    tmp_path: Path, env: dict[str, str], name: str
) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({"LOYALTY_DATA_DIR": str(tmp_path), **env})


def test_alembic_url_keeps_special_passwords_and_tls() -> None:
    from sqlalchemy.engine import make_url

    url = make_url(sqlalchemy_url("postgresql://u:p%40ss%2Fw@db:5432/loyalty?sslmode=require"))
    assert (url.password, url.host, url.database) == ("p@ss/w", "db", "loyalty")
    assert url.query["ssl"] == "require"
    assert connection_params("postgresql://u@db/x?sslmode=require")["ssl"] == "require"


def test_logs_are_json_in_production_and_text_in_development_unless_configured(
    tmp_path: Path,
) -> None:
    development = {"LOYALTY_DATA_DIR": str(tmp_path)}
    production = {
        **development,
        "LOYALTY_ENV": "production",
        **SERVERS,
        "LOYALTY_JWT_SECRET": "s" * 32,
        "LOYALTY_OAUTH_SECRET": "o" * 32,
    }
    assert not load_settings(development).json_logs
    assert load_settings(production).json_logs
    assert load_settings({**development, "LOYALTY_LOG_FORMAT": "json"}).json_logs
    assert not load_settings({**production, "LOYALTY_LOG_FORMAT": "text"}).json_logs
    assert load_settings(development).log_level == "INFO"
    assert load_settings({**development, "LOYALTY_LOG_LEVEL": "debug"}).log_level == "DEBUG"
    with pytest.raises(SettingsError, match="LOYALTY_LOG_FORMAT must be one of"):
        load_settings({**development, "LOYALTY_LOG_FORMAT": "logfmt"})
    with pytest.raises(SettingsError, match="LOYALTY_LOG_LEVEL must be one of"):
        load_settings({**development, "LOYALTY_LOG_LEVEL": "verbose"})
