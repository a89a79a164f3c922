"""POST /oauth/token: the client credentials grant (RFC 6749 §4.4) for partner clients.

The request is form-encoded; the client authenticates with HTTP Basic (id and secret each
form-urlencoded first, §2.3.1) or with `client_id` and `client_secret` in the body, never both.
The answer is a short-lived JWT (`role` partner, the client's program, the granted scopes) that
TokenVerifier accepts, or an RFC 6749 §5.2 error. Neither is ever cached (`no-store`).
"""

from __future__ import annotations

import base64
import binascii
import logging
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

import jwt
from starlette.requests import Request
from starlette.responses import JSONResponse

from api.auth import OAUTH_ALGORITHM, Role
from api.graphql_http import RETRY_AFTER_SECONDS
from api.oauth import attempts
from api.outages import is_outage
from api.settings import AuthSettings
from domain.clock import Clock
from domain.partners import is_client_id, requested_scopes
from loyalty.partners import service

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 4096
_MAX_FIELDS = 10
_VALUE_MAX = 512
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_FORM = "application/x-www-form-urlencoded"


class OAuthError(Exception):
    """An RFC 6749 §5.2 error: `code` is the `error` field, str(exc) its description."""

    def __init__(
        self, code: str, description: str, status: int = 400, retry_after: int | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.status = status
        self.retry_after = retry_after

    def response(self) -> JSONResponse:
        headers = dict(_NO_STORE)
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="loyalty", charset="UTF-8"'
        if self.status == 503:
            headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return JSONResponse(
            {"error": self.code, "error_description": str(self)},
            status_code=self.status,
            headers=headers,
        )


def _invalid_client(description: str = "Client authentication failed.") -> OAuthError:
    return OAuthError("invalid_client", description, 401)


def form_parameters(content_type: str, body: bytes) -> dict[str, str]:
    """The request's parameters; each at most once, and one sent empty counts as omitted."""
    if content_type.split(";")[0].strip().lower() != _FORM:
        raise OAuthError("invalid_request", f"The body must be {_FORM}.")
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=bool(body),
            max_num_fields=_MAX_FIELDS,
            errors="strict",
        )
    except ValueError:  # also a UnicodeDecodeError, and too many fields
        raise OAuthError("invalid_request", "The body is not a valid form.") from None
    found: dict[str, str] = {}
    for name, value in pairs:
        if name in found:
            raise OAuthError("invalid_request", f"The parameter {name[:40]!r} is repeated.")
        if len(value) > _VALUE_MAX or not value.isprintable():
            raise OAuthError("invalid_request", f"The parameter {name[:40]!r} is malformed.")
        found[name] = value
    return {name: value for name, value in found.items() if value}


def client_credentials(authorization: str | None, form: dict[str, str]) -> tuple[str, str]:
    """The client id and secret, from exactly one of HTTP Basic and the body."""
    in_body = "client_id" in form or "client_secret" in form
    if authorization is None:
        if "client_id" not in form or "client_secret" not in form:
            raise _invalid_client("Send the client's id and secret (HTTP Basic or the body).")
        return form["client_id"], form["client_secret"]
    if in_body:
        raise OAuthError("invalid_request", "Authenticate one way only: HTTP Basic or the body.")
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        raise _invalid_client("Only HTTP Basic client authentication is supported.")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise _invalid_client("Malformed HTTP Basic credentials.") from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise _invalid_client("Malformed HTTP Basic credentials.")
    return unquote_plus(client_id), unquote_plus(secret)


def mint(
    settings: AuthSettings, *, program_key: str, client_id: str, scopes: tuple[str, ...]
) -> str:
    """A partner token as TokenVerifier checks it. Real time, not the app's clock: PyJWT checks
    `exp` against real time."""
    assert settings.oauth_secret is not None
    issued = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.oauth_issuer,
        "aud": settings.audience,
        "sub": client_id,
        "client_id": client_id,
        "iat": issued,
        "exp": issued + settings.oauth_token_ttl_seconds,
        "jti": secrets.token_hex(12),
        "role": Role.PARTNER.value,
        "program": program_key,
        "scope": " ".join(scopes),
    }
    return jwt.encode(claims, settings.oauth_secret, algorithm=OAUTH_ALGORITHM)


def token_endpoint(settings: AuthSettings, clock: Clock) -> Any:
    """The Starlette endpoint for `settings` (which must have an OAuth secret)."""

    async def endpoint(request: Request) -> JSONResponse:
        try:
            content_types = request.headers.getlist("content-type")
            if len(content_types) > 1:
                raise OAuthError("invalid_request", "Send one Content-Type header.")
            form = form_parameters(next(iter(content_types), ""), await request.body())
            grant = form.get("grant_type")
            if grant is None:
                raise OAuthError("invalid_request", "grant_type is required.")
            if grant != "client_credentials":
                raise OAuthError(
                    "unsupported_grant_type", "Only the client_credentials grant is supported."
                )
            authorizations = request.headers.getlist("authorization")
            if len(authorizations) > 1:
                raise OAuthError("invalid_request", "Send one Authorization header at most.")
            client_id, secret = client_credentials(next(iter(authorizations), None), form)
            redis = getattr(request.app.state, "redis", None)
            address = request.client.host if request.client else "unknown"
            wait = await attempts.admitted(redis, address=address, client_id=client_id[:100])
            if wait is not None:
                raise OAuthError(
                    "too_many_requests",
                    f"Too many token requests; retry in {wait} seconds.",
                    429,
                    retry_after=wait,
                )
            if not is_client_id(client_id) or not 0 < len(secret) <= 100:
                await attempts.failed(redis, client_id=client_id[:100])
                raise _invalid_client()
            found = await service.authenticate(client_id, secret, clock.now())
            if found is None:
                await attempts.failed(redis, client_id=client_id)
                raise _invalid_client()
            program_key, granted = found
            scopes = requested_scopes(form.get("scope"), granted)
            if scopes is None:
                raise OAuthError("invalid_scope", "Ask only for scopes the client was granted.")
        except OAuthError as refused:
            return refused.response()
        except Exception as error:
            if not is_outage(error):
                raise
            log.warning("token endpoint: a server is unreachable: %s", error)
            return OAuthError("temporarily_unavailable", "Try again shortly.", 503).response()
        token = mint(settings, program_key=program_key, client_id=client_id, scopes=scopes)
        return JSONResponse(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": settings.oauth_token_ttl_seconds,
                "scope": " ".join(scopes),
            },
            headers=_NO_STORE,
        )

    return endpoint
