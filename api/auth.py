"""Bearer-token verification: signed JWTs become a Principal (role, program, subject).

Algorithms always come from AuthSettings, never from the token's header. HS* tokens are checked
with the shared secret; RS*/ES* tokens with the public key the header's `kid` names in a JWKS.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import jwt

from api.settings import AuthSettings, SettingsError
from domain.programs import is_program_key
from domain.throttling import Bucket
from domain.validation import SUBJECT_MAX, clean_text

logger = logging.getLogger(__name__)

# Claims PyJWT itself must find; role and program are checked here after decoding.
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]
_TIME_CLAIMS = ("exp", "iat", "nbf")
VERIFIED_CACHE_SIZE = 10_000
VERIFIED_TTL_SECONDS = 300.0
OAUTH_ALGORITHM = "HS256"

# Client-facing reasons, most specific class first (InvalidSignatureError is a DecodeError).
_REASONS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "token expired"),
    (jwt.ImmatureSignatureError, "token not yet valid"),
    (jwt.InvalidAudienceError, "wrong audience"),
    (jwt.InvalidIssuerError, "wrong issuer"),
    (jwt.InvalidSignatureError, "invalid signature"),
    (jwt.DecodeError, "malformed token"),
    # PyJWT raises this when a JWK's own "alg" differs from the token's (both allowed by settings).
    (jwt.InvalidAlgorithmError, "algorithm not allowed"),
)


class Role(StrEnum):
    """Who the token speaks for; the value is the token's "role" claim."""

    MEMBER = "member"
    STOREFRONT = "storefront"
    PARTNER = "partner"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """The verified caller."""

    role: Role
    program_key: str  # the tenant (program) key, from the "program" claim
    subject: str  # "sub": a member's externalId for MEMBER, otherwise the client id
    # A partner's scopes: its token's, narrowed per request to what its client still holds.
    scopes: frozenset[str] = frozenset()
    # A partner client's own throttling bucket (its registration); None: the role's.
    bucket: Bucket | None = None


class AuthError(Exception):
    """Token refused. str(exc) is a short, safe, client-facing reason; never token or key data."""


class TokenVerifier:
    """Verifies bearer tokens against one AuthSettings.

    RS*/ES* keys come from `jwks_file` when set (read once, here), otherwise from `jwks_url`.
    """

    def __init__(self, settings: AuthSettings) -> None:
        self._settings = settings
        self._secret: str | None = None  # set only for HS*, so a PEM can never become a secret
        self._jwks: dict[str, jwt.PyJWK] = {}
        self._jwks_client: jwt.PyJWKClient | None = None
        self._oauth_secret = settings.oauth_secret
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        if settings.algorithms[0].startswith("HS"):
            if not settings.secret:
                raise SettingsError("LOYALTY_JWT_SECRET is required for HS* algorithms")
            self._secret = settings.secret
        elif settings.jwks_file is not None:
            try:
                key_set = jwt.PyJWKSet.from_json(settings.jwks_file.read_text())
            except (OSError, ValueError, jwt.PyJWTError) as exc:
                raise SettingsError(f"LOYALTY_JWT_JWKS_FILE could not be loaded: {exc}") from exc
            # Only signing keys with a kid can ever be selected by a token.
            self._jwks = {
                k.key_id: k for k in key_set.keys if k.key_id and k.public_key_use in (None, "sig")
            }
        elif settings.jwks_url is not None:
            # The JWK set is cached for `lifespan` seconds, so a key removed from the endpoint
            # stops verifying within 5 minutes. Per-kid caching (cache_keys=True) is left off:
            # it never expires, so a revoked key would stay trusted until the process restarts.
            # The short timeout bounds how long a worker thread waits on a slow endpoint.
            self._jwks_client = jwt.PyJWKClient(settings.jwks_url, lifespan=300, timeout=5)
        else:
            raise SettingsError("RS*/ES* need LOYALTY_JWT_JWKS_FILE or LOYALTY_JWT_JWKS_URL")

    async def verify(self, token: str) -> Principal:
        """Verify a token; a JWKS URL may need a blocking fetch, so that runs off the event loop.

        Clients send the same token for many requests, and verifying costs more than a database
        read here, so a verified token is remembered by its exact text until it expires (at most
        VERIFIED_TTL_SECONDS, the JWKS cache's own lifetime, so a revoked key stops working as
        soon as it would have anyway)."""
        now = time.time()
        cached = self._verified.get(token)
        if cached is not None and now < cached[1]:
            self._verified.move_to_end(token)
            return cached[0]
        if self._jwks_client is not None:
            claims = await asyncio.to_thread(self._claims, token)
        else:
            claims = self._claims(token)
        principal, expires = principal_from_claims(claims), claims["exp"]
        self._verified[token] = (
            principal,
            min(float(expires) + self._settings.leeway_seconds, now + VERIFIED_TTL_SECONDS),
        )
        if len(self._verified) > VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)
        return principal

    def verify_sync(self, token: str) -> Principal:
        """Verify a token, blocking on the JWKS URL if one is configured and its cache is stale."""
        return principal_from_claims(self._claims(token))

    def _claims(self, token: str) -> dict[str, Any]:
        """The verified claims of a token; AuthError with a short reason otherwise.

        Partner tokens are this API's own (POST /oauth/token), signed with the OAuth secret and
        naming the OAuth issuer; the unverified `iss` only picks which key and algorithm verify
        the token, and the chosen path then checks signature, issuer and audience in full."""
        settings = self._settings
        try:
            header = jwt.get_unverified_header(token)
            own = (
                self._oauth_secret is not None
                and _unverified_issuer(token) == settings.oauth_issuer
            )
            algorithms = [OAUTH_ALGORITHM] if own else list(settings.algorithms)
            # Checked before any key lookup so a forbidden alg (including "none") gets a clear
            # reason; jwt.decode enforces the same list again below.
            if header.get("alg") not in algorithms:
                raise AuthError("algorithm not allowed")
            if own:
                key: str | jwt.PyJWK = self._oauth_secret or ""
            else:
                key = self._secret if self._secret is not None else self._key_for(header)
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                options={"require": _REQUIRED_CLAIMS},
                audience=settings.audience,
                issuer=settings.oauth_issuer if own else settings.issuer,
                leeway=settings.leeway_seconds,
            )
        except jwt.MissingRequiredClaimError as exc:
            raise AuthError(f"missing claim: {exc.claim}") from exc
        except jwt.PyJWTError as exc:
            reason = next((r for cls, r in _REASONS if isinstance(exc, cls)), "invalid token")
            raise AuthError(reason) from exc
        # PyJWT compares these through int(), so a string "9999999999", a float or true would
        # pass as a time; NumericDate is a number, and tokens here carry whole seconds.
        for name in _TIME_CLAIMS:
            if name in claims and type(claims[name]) is not int:
                raise AuthError(f"invalid claim: {name}")
        # Partners hold only tokens of the token endpoint; nothing else may speak for one.
        if (claims.get("role") == Role.PARTNER.value) != own:
            raise AuthError(
                "partner tokens come from POST /oauth/token" if not own else "unknown role"
            )
        return claims

    def _key_for(self, header: dict[str, Any]) -> jwt.PyJWK:
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthError("unknown signing key")
        if self._jwks_client is None:
            try:
                return self._jwks[kid]
            except KeyError:
                raise AuthError("unknown signing key") from None
        try:
            return self._jwks_client.get_signing_key(kid)
        except (jwt.PyJWKClientConnectionError, jwt.PyJWKSetError, ValueError) as exc:
            # Unreachable endpoint, or a body that is not a usable JWKS (PyJWT lets a JSON
            # decoding error through as ValueError). Operators need the detail; clients do not.
            logger.warning("JWKS fetch failed: %s", exc)
            raise AuthError("signing keys unavailable") from exc
        except jwt.PyJWKClientError as exc:
            raise AuthError("unknown signing key") from exc


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """The principal a token's claims name; AuthError saying which claim the API refuses."""
    try:
        role = Role(claims.get("role", ""))
    except ValueError:
        raise AuthError("unknown role") from None
    program = claims.get("program")
    if not isinstance(program, str) or not program:
        raise AuthError("missing claim: program")
    if not is_program_key(program):
        raise AuthError("invalid claim: program")
    subject = claims["sub"]  # PyJWT already required it and checked it is a string
    if not subject:
        raise AuthError("missing claim: sub")
    # One printable line, no longer than the actor columns that record who wrote (domain).
    if clean_text(subject, max_length=SUBJECT_MAX) != subject:
        raise AuthError("invalid claim: sub")
    if role is not Role.PARTNER:
        return Principal(role=role, program_key=program, subject=subject)
    scope = claims.get("scope")
    if not isinstance(scope, str):
        raise AuthError("missing claim: scope")
    return Principal(
        role=role, program_key=program, subject=subject, scopes=frozenset(scope.split())
    )


def _unverified_issuer(token: str) -> object:
    """The `iss` a token says it has, before anything is verified (to choose how to verify)."""
    return jwt.decode(token, options={"verify_signature": False}).get("iss")


def bearer_token(authorization_header: str | None) -> str | None:
    """The token from 'Bearer <token>' (scheme case-insensitive); None when there is no header.

    Raises AuthError('malformed authorization header') when a header is present but is not a
    single Bearer token.
    """
    if authorization_header is None:
        return None
    scheme, _, token = authorization_header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or any(c.isspace() for c in token):
        raise AuthError("malformed authorization header")
    return token


def mint_token(
    settings: AuthSettings,
    *,
    role: Role,
    program_key: str,
    subject: str,
    ttl_seconds: int = 3600,
    now: datetime | None = None,
    private_key: str | None = None,
    kid: str | None = None,
) -> str:
    """Sign a token that TokenVerifier(settings) accepts (dev `loyalty token` command and tests).

    HS* signs with settings.secret using settings.algorithms[0]; RS*/ES* need the PEM
    `private_key` and the `kid` under which its public key is published in the JWKS.
    """
    algorithm = settings.algorithms[0]
    issued = now if now is not None else datetime.now(UTC)
    claims = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": subject,
        "iat": issued,
        "exp": issued + timedelta(seconds=ttl_seconds),
        "role": role.value,
        "program": program_key,
    }
    if algorithm.startswith("HS"):
        if not settings.secret:
            raise ValueError("HS* tokens need settings.secret")
        return jwt.encode(claims, settings.secret, algorithm=algorithm)
    if private_key is None or kid is None:
        raise ValueError(f"{algorithm} tokens need private_key and kid")
    return jwt.encode(claims, private_key, algorithm=algorithm, headers={"kid": kid})
