"""Token verification with real signed tokens (HMAC): every refusal reason, alg confusion,
and the Authorization header."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from api.auth import AuthError, Principal, Role, TokenVerifier, bearer_token, mint_token
from api.settings import SettingsError
from tests.unit.auth_support import (
    LEEWAY,
    SECRET,
    b64url,
    claims,
    refusal,
    settings,
)

pytestmark = pytest.mark.unit

# --- HS256 -------------------------------------------------------------------------------------


def test_valid_minted_token_gives_principal(hs_verifier: TokenVerifier) -> None:
    token = mint_token(settings(), role=Role.STOREFRONT, program_key="coffee-club", subject="pos-7")
    assert hs_verifier.verify_sync(token) == Principal(Role.STOREFRONT, "coffee-club", "pos-7")


def test_expired_beyond_leeway_refused(hs_verifier: TokenVerifier) -> None:
    issued = datetime.now(UTC) - timedelta(seconds=3600 + LEEWAY + 5)
    token = mint_token(
        settings(), role=Role.MEMBER, program_key="coffee-club", subject="m-1", now=issued
    )
    assert refusal(hs_verifier, token) == "token expired"


def test_expired_within_leeway_accepted(hs_verifier: TokenVerifier) -> None:
    now = int(datetime.now(UTC).timestamp())
    token = jwt.encode(claims(iat=now - 600, exp=now - LEEWAY // 2), SECRET, algorithm="HS256")
    assert hs_verifier.verify_sync(token).subject == "member-42"


def test_issued_in_the_future_refused(hs_verifier: TokenVerifier) -> None:
    now = int(datetime.now(UTC).timestamp())
    token = jwt.encode(claims(iat=now + 600, exp=now + 1200), SECRET, algorithm="HS256")
    assert refusal(hs_verifier, token) == "token not yet valid"


def test_tampered_payload_refused(hs_verifier: TokenVerifier) -> None:
    header, _, signature = jwt.encode(claims(), SECRET, algorithm="HS256").split(".")
    forged_payload = b64url(json.dumps(claims(role="admin")).encode())
    assert refusal(hs_verifier, f"{header}.{forged_payload}.{signature}") == "invalid signature"


def test_wrong_secret_refused(hs_verifier: TokenVerifier) -> None:
    token = jwt.encode(claims(), SECRET[::-1], algorithm="HS256")
    assert refusal(hs_verifier, token) == "invalid signature"


@pytest.mark.parametrize(
    ("override", "reason"),
    [({"aud": "someone-else"}, "wrong audience"), ({"iss": "evil-issuer"}, "wrong issuer")],
)
def test_wrong_audience_or_issuer_refused(
    hs_verifier: TokenVerifier, override: dict[str, str], reason: str
) -> None:
    token = jwt.encode(claims(**override), SECRET, algorithm="HS256")
    assert refusal(hs_verifier, token) == reason


@pytest.mark.parametrize("claim", ["exp", "iat", "iss", "aud", "sub"])
def test_missing_registered_claim_refused(hs_verifier: TokenVerifier, claim: str) -> None:
    token = jwt.encode(claims(**{claim: None}), SECRET, algorithm="HS256")
    assert refusal(hs_verifier, token) == f"missing claim: {claim}"


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf"])
@pytest.mark.parametrize("kind", [str, float], ids=["string", "float"])
def test_time_claims_must_be_integers(hs_verifier: TokenVerifier, claim: str, kind: type) -> None:
    # PyJWT reads these with int(), so "9999999999" would pass as a date; RFC 7519's
    # NumericDate is a JSON number, and this API takes whole seconds only.
    good = claims()
    value = good["exp"] if claim == "exp" else good["iat"]
    token = jwt.encode(claims(**{claim: kind(value)}), SECRET, algorithm="HS256")
    assert refusal(hs_verifier, token) == f"invalid claim: {claim}"


@pytest.mark.parametrize("claim", ["iat", "nbf"])
def test_time_claims_are_no_booleans(hs_verifier: TokenVerifier, claim: str) -> None:
    token = jwt.encode(claims(**{claim: True}), SECRET, algorithm="HS256")
    assert refusal(hs_verifier, token) == f"invalid claim: {claim}"


def test_empty_subject_refused(hs_verifier: TokenVerifier) -> None:
    token = jwt.encode(claims(sub=""), SECRET, algorithm="HS256")
    assert refusal(hs_verifier, token) == "missing claim: sub"


@pytest.mark.parametrize("role", ["superuser", "ADMIN", "", 3, None])
def test_unknown_role_refused(hs_verifier: TokenVerifier, role: object) -> None:
    token = jwt.encode(claims(role=role), SECRET, algorithm="HS256")
    assert refusal(hs_verifier, token) == "unknown role"


@pytest.mark.parametrize("program", [None, "", 7])
def test_missing_program_refused(hs_verifier: TokenVerifier, program: object) -> None:
    token = jwt.encode(claims(program=program), SECRET, algorithm="HS256")
    assert refusal(hs_verifier, token) == "missing claim: program"


@pytest.mark.parametrize("token", ["", "not-a-token", "a.b.c", "e30.e30"])
def test_garbage_refused_as_malformed(hs_verifier: TokenVerifier, token: str) -> None:
    assert refusal(hs_verifier, token) == "malformed token"


def test_alg_none_refused(hs_verifier: TokenVerifier) -> None:
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims(role="admin")).encode())
    assert refusal(hs_verifier, f"{header}.{payload}.") == "algorithm not allowed"


def test_algorithm_outside_settings_refused(hs_verifier: TokenVerifier) -> None:
    token = jwt.encode(claims(), SECRET, algorithm="HS512")
    assert refusal(hs_verifier, token) == "algorithm not allowed"


def test_hs_settings_without_secret_rejected() -> None:
    with pytest.raises(SettingsError):
        TokenVerifier(settings("HS256", secret=None))


# --- Authorization header -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "token"),
    [(None, None), ("Bearer abc.def.ghi", "abc.def.ghi"), ("bearer x", "x"), ("BEARER  x ", "x")],
)
def test_bearer_token_extracted(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer ", "Bearer a b", "", "abc"])
def test_non_bearer_header_refused(header: str) -> None:
    with pytest.raises(AuthError, match=r"^malformed authorization header$"):
        bearer_token(header)
