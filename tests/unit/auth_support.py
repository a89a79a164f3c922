"""Helpers shared by the token tests: settings, claims and hand-built tokens."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from api.auth import AuthError, TokenVerifier
from api.settings import AuthSettings

# 64 bytes: long enough for HS512 too, so PyJWT never emits InsecureKeyLengthWarning.
SECRET = "test-secret-0123456789abcdef0123456789abcdef0123456789abcdef0123"
ISSUER = "loyalty-test"
AUDIENCE = "loyalty-api"
LEEWAY = 30


def settings(*algorithms: str, **overrides: Any) -> AuthSettings:
    values: dict[str, Any] = {
        "algorithms": algorithms or ("HS256",),
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "leeway_seconds": LEEWAY,
    }
    if values["algorithms"][0].startswith("HS"):
        values["secret"] = SECRET
    return AuthSettings(**(values | overrides))


def claims(**overrides: Any) -> dict[str, Any]:
    """A valid claim set; an override of None removes that claim."""
    now = int(datetime.now(UTC).timestamp())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "member-42",
        "iat": now,
        "exp": now + 600,
        "role": "member",
        "program": "coffee-club",
    }
    return {k: v for k, v in (base | overrides).items() if v is not None}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pem(private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def refusal(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(AuthError) as caught:
        verifier.verify_sync(token)
    return str(caught.value)
