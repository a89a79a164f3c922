"""Token verification with public keys chosen by kid: a JWKS file and a JWKS URL."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from api.auth import AuthError, Principal, Role, TokenVerifier, mint_token
from api.settings import SettingsError
from tests.unit.auth_support import (
    b64url,
    claims,
    pem,
    refusal,
    settings,
)

pytestmark = pytest.mark.unit

# --- RS256 / ES256 with a JWKS file -------------------------------------------------------------


def test_rs256_token_with_known_kid_accepted(
    rs_verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey
) -> None:
    token = mint_token(
        settings("RS256"),
        role=Role.STOREFRONT,
        program_key="coffee-club",
        subject="partner-app",
        private_key=pem(rsa_key),
        kid="rsa-1",
    )
    assert rs_verifier.verify_sync(token) == Principal(
        Role.STOREFRONT, "coffee-club", "partner-app"
    )


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
