"""Configuration from environment variables, validated once at start with clear messages."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from backbone.retention import Retention
from domain.throttling import DEFAULT_BUCKETS, Bucket, parse_buckets

ALLOWED_ALGORITHMS = ("HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384")
# A GraphQL request at the token limit takes some 30 KB; GraphiQL's introspection query under 2 KB.
DEFAULT_MAX_BODY_BYTES = 64 * 1024
DEFAULT_FORWARDED_ALLOW_IPS = ("127.0.0.1", "::1")  # uvicorn's own default


class SettingsError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


@dataclass(frozen=True, slots=True)
class AuthSettings:
    """How bearer tokens are verified. Algorithms come from here, never from a token's header."""

    algorithms: tuple[str, ...]
    issuer: str
    audience: str
    leeway_seconds: int
    secret: str | None = None
    jwks_file: Path | None = None
    jwks_url: str | None = None
    # This API's own tokens for partner clients (POST /oauth/token): HS256 with this secret,
    # `iss` oauth_issuer; None: no token endpoint, so no partner can authenticate.
    oauth_secret: str | None = None
    oauth_issuer: str = "loyalty-oauth"
    oauth_token_ttl_seconds: int = 900


@dataclass(frozen=True, slots=True)
class DatabaseTimeouts:
    """Limits PostgreSQL enforces on each of the API's connections, in milliseconds (0: none).

    A write waiting longer than `lock_ms` for a lock fails as retryable rather than hanging its
    request; a statement running longer than `statement_ms` is cancelled; a transaction left idle
    longer than `idle_in_transaction_ms` (a stalled worker) is ended, and its locks with it."""

    lock_ms: int = 5000
    statement_ms: int = 15000
    idle_in_transaction_ms: int = 30000


@dataclass(frozen=True, slots=True)
class Tracing:
    """Where OpenTelemetry spans go (LOYALTY_OTEL_ENDPOINT, an OTLP/HTTP collector's base URL)."""

    endpoint: str
    service_name: str = "loyalty-api"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service reads from its environment."""

    environment: str
    data_dir: Path
    database_url: str | None
    redis_url: str | None
    db_pool_min: int
    db_pool_max: int
    auth: AuthSettings
    # Run the job worker and event relay inside each serving process (LOYALTY_WORKER=inline,
    # the default) or only in `loyalty worker` processes (off).
    inline_worker: bool = True
    retention: Retention = field(default_factory=Retention)
    cors_origins: tuple[str, ...] = ()
    # Log lines as JSON objects (LOYALTY_LOG_FORMAT=json, production's default) or as text, at
    # LOYALTY_LOG_LEVEL (api/logs.py).
    json_logs: bool = False
    log_level: str = "INFO"
    db_timeouts: DatabaseTimeouts = field(default_factory=DatabaseTimeouts)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # LOYALTY_DOCUMENTS=trusted: run only the trusted documents (api/trusted/), an allow-list.
    trusted_documents_only: bool = False
    # Peers (the reverse proxy) whose X-Forwarded-For / -Proto uvicorn believes.
    forwarded_allow_ips: tuple[str, ...] = DEFAULT_FORWARDED_ALLOW_IPS
    # GET /metrics needs `Authorization: Bearer <this>` when set; unset, production serves no
    # /metrics at all (404) and development serves it to anyone (LOYALTY_METRICS_TOKEN).
    metrics_token: str | None = None
    # OpenTelemetry tracing, off (None) unless LOYALTY_OTEL_ENDPOINT is set (api/tracing.py).
    tracing: Tracing | None = None
    # Each role's cost bucket (LOYALTY_RATE_LIMITS, domain/throttling.py).
    rate_limits: Mapping[str, Bucket] = field(default_factory=lambda: dict(DEFAULT_BUCKETS))

    @property
    def development(self) -> bool:
        return self.environment == "development"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate settings; raises SettingsError naming the offending variable."""
    source = os.environ if env is None else env
    environment = source.get("LOYALTY_ENV", "development")
    if environment not in ("development", "production"):
        raise SettingsError("LOYALTY_ENV must be 'development' or 'production'")
    data_dir = Path(source.get("LOYALTY_DATA_DIR", ".data")).resolve()
    pool_min = _int(source, "LOYALTY_DB_POOL_MIN", 1, minimum=1)
    pool_max = _int(source, "LOYALTY_DB_POOL_MAX", 10, minimum=pool_min)
    database_url = _url(source, "DATABASE_URL", ("postgres", "postgresql"))
    redis_url = _url(source, "REDIS_URL", ("redis", "rediss", "unix"))
    if environment == "production":
        # An embedded database in production would silently keep members' points on one disk.
        given = {"DATABASE_URL": database_url, "REDIS_URL": redis_url}
        missing = [name for name, url in given.items() if url is None]
        if missing:
            raise SettingsError(
                f"{' and '.join(missing)} must be set in production (embedded servers are for development)"
            )
    return Settings(
        environment=environment,
        data_dir=data_dir,
        database_url=database_url,
        redis_url=redis_url,
        db_pool_min=pool_min,
        db_pool_max=pool_max,
        auth=_auth_settings(source, environment == "development", data_dir),
        inline_worker=_choice(source, "LOYALTY_WORKER", ("inline", "off")) == "inline",
        retention=Retention(
            events=timedelta(days=_int(source, "LOYALTY_EVENT_RETENTION_DAYS", 30, minimum=1)),
            idempotency_keys=timedelta(
                days=_int(source, "LOYALTY_IDEMPOTENCY_RETENTION_DAYS", 30, minimum=1)
            ),
        ),
        cors_origins=_origins(source.get("LOYALTY_CORS_ORIGINS", "")),
        json_logs=_log_format(source, environment) == "json",
        log_level=_log_level(source),
        db_timeouts=_db_timeouts(source),
        max_body_bytes=_int(source, "LOYALTY_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, minimum=4096),
        trusted_documents_only=_choice(source, "LOYALTY_DOCUMENTS", ("any", "trusted"))
        == "trusted",
        forwarded_allow_ips=_forwarded_allow_ips(source.get("LOYALTY_FORWARDED_ALLOW_IPS", "")),
        metrics_token=_metrics_token(source.get("LOYALTY_METRICS_TOKEN") or None),
        rate_limits=_rate_limits(source.get("LOYALTY_RATE_LIMITS", "")),
        tracing=_tracing(source),
    )


def _tracing(source: Mapping[str, str]) -> Tracing | None:
    endpoint = source.get("LOYALTY_OTEL_ENDPOINT", "").strip()
    if not endpoint:
        return None
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise SettingsError("LOYALTY_OTEL_ENDPOINT must be an http(s) URL such as http://otel:4318")
    name = source.get("LOYALTY_OTEL_SERVICE_NAME", "loyalty-api").strip()
    if not 1 <= len(name) <= 64 or not name.replace("-", "").replace("_", "").isalnum():
        raise SettingsError("LOYALTY_OTEL_SERVICE_NAME must be 1-64 letters, digits, - or _")
    return Tracing(endpoint, name)


def _rate_limits(text: str) -> dict[str, Bucket]:
    try:
        return parse_buckets(text, tuple(DEFAULT_BUCKETS))
    except ValueError as error:
        raise SettingsError(f"LOYALTY_RATE_LIMITS: {error}") from None


def _metrics_token(token: str | None) -> str | None:
    # A scraper's secret: long enough not to be guessed, and sendable as one header value.
    if token is not None and (len(token) < 32 or not token.isprintable() or " " in token):
        raise SettingsError(
            "LOYALTY_METRICS_TOKEN must be at least 32 printable characters without spaces"
        )
    return token


def _choice(source: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    """One of `choices`, the first being the default."""
    value = source.get(name, choices[0])
    if value not in choices:
        raise SettingsError(f"{name} must be one of: {', '.join(choices)}")
    return value


def _db_timeouts(source: Mapping[str, str]) -> DatabaseTimeouts:
    default = DatabaseTimeouts()
    return DatabaseTimeouts(
        lock_ms=_int(source, "LOYALTY_DB_LOCK_TIMEOUT_MS", default.lock_ms, minimum=0),
        statement_ms=_int(
            source, "LOYALTY_DB_STATEMENT_TIMEOUT_MS", default.statement_ms, minimum=0
        ),
        idle_in_transaction_ms=_int(
            source,
            "LOYALTY_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS",
            default.idle_in_transaction_ms,
            minimum=0,
        ),
    )


def _auth_settings(source: Mapping[str, str], development: bool, data_dir: Path) -> AuthSettings:
    algorithms = tuple(
        a.strip() for a in source.get("LOYALTY_JWT_ALGORITHMS", "HS256").split(",") if a.strip()
    )
    unknown = [a for a in algorithms if a not in ALLOWED_ALGORITHMS]
    if not algorithms or unknown:
        raise SettingsError(
            f"LOYALTY_JWT_ALGORITHMS must list some of {', '.join(ALLOWED_ALGORITHMS)}"
        )
    if len({a[:2] for a in algorithms}) > 1:
        # Mixing HMAC and public-key algorithms lets a public key be used as an HMAC secret.
        raise SettingsError("LOYALTY_JWT_ALGORITHMS must not mix HS*, RS* and ES* families")
    jwks_file = source.get("LOYALTY_JWT_JWKS_FILE") or None
    auth = AuthSettings(
        algorithms=algorithms,
        issuer=source.get("LOYALTY_JWT_ISSUER", "loyalty-dev"),
        audience=source.get("LOYALTY_JWT_AUDIENCE", "loyalty-api"),
        leeway_seconds=_int(source, "LOYALTY_JWT_LEEWAY_SECONDS", 30, minimum=0),
        secret=source.get("LOYALTY_JWT_SECRET") or None,
        jwks_file=Path(jwks_file) if jwks_file else None,
        jwks_url=source.get("LOYALTY_JWT_JWKS_URL") or None,
    )
    if algorithms[0].startswith("HS"):
        if auth.secret is None:
            if not development:
                raise SettingsError(
                    "LOYALTY_JWT_SECRET is required for HS* algorithms in production"
                )
            auth = replace(auth, secret=_dev_secret(data_dir, "dev-jwt-secret"))
        elif len(auth.secret.encode()) < (needed := max(int(a[2:]) // 8 for a in algorithms)):
            # Shorter HMAC keys than the digest are guessable, and PyJWT warns on every request.
            raise SettingsError(
                f"LOYALTY_JWT_SECRET must be at least {needed} bytes for {algorithms}"
            )
    elif auth.jwks_file is None and auth.jwks_url is None:
        raise SettingsError(
            "RS*/ES* algorithms need LOYALTY_JWT_JWKS_FILE or LOYALTY_JWT_JWKS_URL (keys chosen by kid)"
        )
    return _with_oauth(auth, source, development, data_dir)


def _with_oauth(
    auth: AuthSettings, source: Mapping[str, str], development: bool, data_dir: Path
) -> AuthSettings:
    """The signing secret, issuer and lifetime of the partner tokens this API issues itself."""
    secret = source.get("LOYALTY_OAUTH_SECRET") or None
    if secret is None:
        if not development:
            raise SettingsError("LOYALTY_OAUTH_SECRET is required in production")
        secret = _dev_secret(data_dir, "dev-oauth-secret")
    elif len(secret.encode()) < 32:
        raise SettingsError("LOYALTY_OAUTH_SECRET must be at least 32 bytes (HS256)")
    issuer = source.get("LOYALTY_OAUTH_ISSUER", "loyalty-oauth")
    if not issuer or issuer == auth.issuer:
        # The issuer tells the API's own partner tokens from the identity provider's.
        raise SettingsError("LOYALTY_OAUTH_ISSUER must differ from LOYALTY_JWT_ISSUER")
    ttl = _int(source, "LOYALTY_OAUTH_TOKEN_TTL_SECONDS", 900, minimum=60)
    if ttl > 3600:
        raise SettingsError("LOYALTY_OAUTH_TOKEN_TTL_SECONDS must be at most 3600")
    return replace(auth, oauth_secret=secret, oauth_issuer=issuer, oauth_token_ttl_seconds=ttl)


def _dev_secret(data_dir: Path, name: str) -> str:
    """Development only: a random secret kept in the data folder, shared by `serve` and `token`."""
    path = data_dir / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created owner-only from the first byte: never readable by others, even briefly.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as secret_file:
            secret_file.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _url(source: Mapping[str, str], name: str, schemes: tuple[str, ...]) -> str | None:
    raw = source.get(name) or None
    if raw is None:
        return None
    try:
        parts = urlsplit(raw)
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        raise SettingsError(f"{name} is not a valid URL") from None
    if parts.scheme not in schemes:
        raise SettingsError(
            f"{name} must start with one of {', '.join(s + '://' for s in schemes)}"
        )
    return raw


def _origins(raw: str) -> tuple[str, ...]:
    """Browser origins allowed to call the API (`https://shop.example`, or `*` for any)."""
    origins = tuple(origin.strip() for origin in raw.split(",") if origin.strip())
    for origin in origins:
        if origin == "*":
            continue
        parts = urlsplit(origin)
        try:
            _ = parts.port
        except ValueError:
            parts = urlsplit("")
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or origin != (f"{parts.scheme}://{parts.netloc}")
        ):
            raise SettingsError(
                f"LOYALTY_CORS_ORIGINS must list origins such as https://shop.example (no path), "
                f"or *; got {origin!r}"
            )
    return origins


def _forwarded_allow_ips(raw: str) -> tuple[str, ...]:
    peers = tuple(peer.strip() for peer in raw.split(",") if peer.strip())
    for peer in peers:
        try:
            if peer != "*":
                ipaddress.ip_network(peer, strict=False)
        except ValueError:
            raise SettingsError(
                f"LOYALTY_FORWARDED_ALLOW_IPS must list IP addresses or networks, or *; got {peer!r}"
            ) from None
    return peers or DEFAULT_FORWARDED_ALLOW_IPS


def _int(source: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    raw = source.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _log_format(source: Mapping[str, str], environment: str) -> str:
    """JSON for log shippers in production, text for a person reading a terminal otherwise."""
    default = "json" if environment == "production" else "text"
    return _choice(source, "LOYALTY_LOG_FORMAT", (default, *({"json", "text"} - {default})))


def _log_level(source: Mapping[str, str]) -> str:
    level = (source.get("LOYALTY_LOG_LEVEL") or "INFO").upper()
    if level not in LOG_LEVELS:
        raise SettingsError(f"LOYALTY_LOG_LEVEL must be one of: {', '.join(LOG_LEVELS)}")
    return level
