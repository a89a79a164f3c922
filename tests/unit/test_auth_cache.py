"""Verified tokens are remembered until they expire, and verified again after that."""

from __future__ import annotations

import time

import pytest

import api.auth
from api.auth import Role, TokenVerifier, mint_token
from tests.unit.auth_support import settings

pytestmark = pytest.mark.unit


async def test_a_token_is_verified_once_then_remembered_until_its_entry_expires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verifier = TokenVerifier(settings())
    token = mint_token(
        settings(), role=Role.MEMBER, program_key="acme", subject="c-1", ttl_seconds=60
    )
    calls: list[str] = []
    original = verifier._claims

    def counting(text: str) -> dict[str, object]:
        calls.append(text)
        return original(text)

    monkeypatch.setattr(verifier, "_claims", counting)
    first = await verifier.verify(token)
    assert await verifier.verify(token) == first
    assert len(calls) == 1

    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 61 + settings().leeway_seconds)
    # Past the entry's expiry the token is verified in full again (PyJWT then judges `exp` by
    # the real clock, which this test does not move).
    await verifier.verify(token)
    assert len(calls) == 2


async def test_a_refused_token_is_never_remembered() -> None:
    verifier = TokenVerifier(settings())
    token = mint_token(settings(), role=Role.MEMBER, program_key="acme", subject="c-1") + "x"
    for _ in range(2):
        with pytest.raises(api.auth.AuthError):
            await verifier.verify(token)
