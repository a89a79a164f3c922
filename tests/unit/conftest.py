"""Keys and verifiers for the token tests (real RSA and EC keys, a real JWKS file)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from api.auth import TokenVerifier
from tests.unit.auth_support import (
    settings,
)


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
