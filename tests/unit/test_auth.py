"""Token verification with real signed tokens: every refusal reason and the classic JWT attacks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from api.auth import AuthError, Principal, Role, TokenVerifier, bearer_token, mint_token
from api.settings import AuthSettings, SettingsError

pytestmark = pytest.mark.unit

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


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def jwks(rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    rsa_jwk = RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True)
    ec_jwk = ECAlgorithm.to_jwk(ec_key.public_key(), as_dict=True)
    return {
        "keys": [
            rsa_jwk | {"kid": "rsa-1", "alg": "RS256"},
            ec_jwk | {"kid": "ec-1", "alg": "ES256"},
        ]
    }


@pytest.fixture
def jwks_file(tmp_path: Path, jwks: dict[str, Any]) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks))
    return path


@pytest.fixture
def hs_verifier() -> TokenVerifier:
    return TokenVerifier(settings("HS256"))


@pytest.fixture
def rs_verifier(jwks_file: Path) -> TokenVerifier:
    return TokenVerifier(settings("RS256", jwks_file=jwks_file))


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


# --- RS256 / ES256 with a JWKS file -------------------------------------------------------------


def test_rs256_token_with_known_kid_accepted(
    rs_verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey
) -> None:
    token = mint_token(
        settings("RS256"),
        role=Role.PARTNER,
        program_key="coffee-club",
        subject="partner-app",
        private_key=pem(rsa_key),
        kid="rsa-1",
    )
    assert rs_verifier.verify_sync(token) == Principal(Role.PARTNER, "coffee-club", "partner-app")


@pytest.mark.parametrize("headers", [{"kid": "rsa-unknown"}, {}, {"kid": ""}])
def test_rs256_token_with_unknown_or_missing_kid_refused(
    rs_verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey, headers: dict[str, str]
) -> None:
    token = jwt.encode(claims(), pem(rsa_key), algorithm="RS256", headers=headers)
    assert refusal(rs_verifier, token) == "unknown signing key"


def test_rs256_token_signed_by_another_key_refused(rs_verifier: TokenVerifier) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(claims(), pem(stranger), algorithm="RS256", headers={"kid": "rsa-1"})
    assert refusal(rs_verifier, token) == "invalid signature"


def test_es256_token_via_jwks_file_accepted(
    jwks_file: Path, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    es = settings("ES256", jwks_file=jwks_file)
    token = mint_token(
        es,
        role=Role.ADMIN,
        program_key="tea-club",
        subject="ops",
        private_key=pem(ec_key),
        kid="ec-1",
    )
    assert TokenVerifier(es).verify_sync(token) == Principal(Role.ADMIN, "tea-club", "ops")


def test_hs256_forged_with_public_key_as_secret_refused(
    rs_verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey
) -> None:
    # Algorithm confusion: an attacker who knows the public key signs with it as an HMAC secret.
    public_pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}).encode())
    payload = b64url(json.dumps(claims(role="admin")).encode())
    signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    token = f"{header}.{payload}.{b64url(signature)}"
    assert refusal(rs_verifier, token) == "algorithm not allowed"


def test_jwk_bound_algorithm_wins_over_allowed_header_alg(
    jwks_file: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    # Both algorithms allowed, but the JWK says RS256: a token claiming RS512 is still refused.
    verifier = TokenVerifier(settings("RS256", "RS512", jwks_file=jwks_file))
    token = jwt.encode(claims(), pem(rsa_key), algorithm="RS512", headers={"kid": "rsa-1"})
    assert refusal(verifier, token) == "algorithm not allowed"


def test_unreadable_jwks_file_rejected(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="LOYALTY_JWT_JWKS_FILE"):
        TokenVerifier(settings("RS256", jwks_file=tmp_path / "missing.json"))


def test_mint_token_needs_private_key_and_kid_for_rs256(rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(ValueError, match="private_key and kid"):
        mint_token(
            settings("RS256"),
            role=Role.MEMBER,
            program_key="p",
            subject="s",
            private_key=pem(rsa_key),
        )


# --- RS256 with a JWKS URL ----------------------------------------------------------------------


@pytest.fixture
def jwks_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, dict[str, bytes]]]:
    """A real HTTP server on a free local port; tests set served["body"] before fetching."""
    monkeypatch.setenv("no_proxy", "*")  # urllib must not route 127.0.0.1 through a proxy
    served: dict[str, bytes] = {"body": b""}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(served["body"])))
            self.end_headers()
            self.wfile.write(served["body"])

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", served
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def test_rs256_via_jwks_url_accepted(
    jwks_server: tuple[str, dict[str, bytes]], jwks: dict[str, Any], rsa_key: rsa.RSAPrivateKey
) -> None:
    url, served = jwks_server
    served["body"] = json.dumps(jwks).encode()
    verifier = TokenVerifier(settings("RS256", jwks_url=url))
    token = jwt.encode(claims(), pem(rsa_key), algorithm="RS256", headers={"kid": "rsa-1"})
    assert await verifier.verify(token) == Principal(Role.MEMBER, "coffee-club", "member-42")
    unknown = jwt.encode(claims(), pem(rsa_key), algorithm="RS256", headers={"kid": "rsa-9"})
    with pytest.raises(AuthError, match=r"^unknown signing key$"):
        await verifier.verify(unknown)


async def test_jwks_url_serving_garbage_means_keys_unavailable(
    jwks_server: tuple[str, dict[str, bytes]], rsa_key: rsa.RSAPrivateKey
) -> None:
    url, served = jwks_server
    served["body"] = b"<html>maintenance</html>"
    verifier = TokenVerifier(settings("RS256", jwks_url=url))
    token = jwt.encode(claims(), pem(rsa_key), algorithm="RS256", headers={"kid": "rsa-1"})
    with pytest.raises(AuthError, match=r"^signing keys unavailable$"):
        await verifier.verify(token)


async def test_jwks_url_refusing_connections_means_keys_unavailable(
    rsa_key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("no_proxy", "*")
    with socket.socket() as probe:  # a port that was free a moment ago and now has no listener
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    verifier = TokenVerifier(settings("RS256", jwks_url=f"http://127.0.0.1:{port}/jwks.json"))
    token = jwt.encode(claims(), pem(rsa_key), algorithm="RS256", headers={"kid": "rsa-1"})
    with pytest.raises(AuthError, match=r"^signing keys unavailable$"):
        await verifier.verify(token)


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
