"""The `loyalty` command as a user runs it: tokens the API accepts, migrations, and `serve`
answering the README's quick tour over real HTTP."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from api.database import CONNECT_TIMEOUT_SECONDS
from tests.e2e.conftest import GraphQLClient
from tests.serving import LOYALTY, serving
from tests.serving import loyalty_env as _env

pytestmark = pytest.mark.e2e


def _loyalty(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [LOYALTY, *args], env=env, capture_output=True, text=True, check=True, timeout=60
    ).stdout


async def test_token_command_mints_tokens_the_api_accepts(
    gql: GraphQLClient, tmp_path: Path
) -> None:
    minted = _loyalty(_env(tmp_path), "token", "--role", "admin", "--program", "acme").strip()
    data = await gql.ok("{ program { key } }", bearer=minted)
    assert data == {"program": None}  # authenticated, and acme is simply not provisioned yet


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--role", "member", "--program", "demo"], "needs --subject"),
        (["--role", "admin", "--program", "Demo Rewards"], "invalid claim: program"),
        (["--role", "admin", "--program=-x"], "invalid claim: program"),
        (["--role", "member", "--program", "demo", "--subject", "a\tb"], "invalid claim: sub"),
        (["--role", "admin", "--program", "demo", "--ttl", "0"], "--ttl"),
    ],
)
def test_token_command_refuses_tokens_the_api_would_refuse(
    tmp_path: Path, args: list[str], reason: str
) -> None:
    result = subprocess.run(
        [LOYALTY, "token", *args], env=_env(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert reason in result.stderr
    assert result.stdout == ""


def test_configuration_errors_exit_2_with_a_message(tmp_path: Path) -> None:
    result = subprocess.run(
        [LOYALTY, "migrate"],
        env=_env(tmp_path, DATABASE_URL="mysql://x/y"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr


def test_serve_runs_the_quick_tour(
    database_factory: Callable[[], str], redis_url: str, tmp_path: Path
) -> None:
    env = _env(tmp_path, DATABASE_URL=database_factory(), REDIS_URL=redis_url)
    _loyalty(env, "migrate")
    with serving(env) as base:

        def ask(role: str, query: str, subject: str | None = None) -> dict[str, object]:
            args = ["token", "--role", role, "--program", "demo"] + (
                ["--subject", subject] if subject else []
            )
            bearer = _loyalty(env, *args).strip()
            response = httpx.post(
                f"{base}/graphql",
                json={"query": query},
                headers={"Authorization": f"Bearer {bearer}"},
            )
            body: dict[str, object] = response.json()
            assert "errors" not in body, body
            return body

        ask(
            "admin",
            'mutation { createProgram(input: {name: "Demo Rewards", currency: "EUR", timezone: "Europe/Paris"}) { program { key } userErrors { code } } }',
        )
        enrolled = ask(
            "storefront",
            'mutation { enrollMember(input: {externalId: "cust-42", email: "ada@example.com", displayName: "Ada"}) { created member { id } userErrors { code } } }',
            "web-shop",
        )
        award = 'mutation { awardPoints(input: {idempotencyKey: "order-1001", externalId: "cust-42", source: {order: {orderId: "1001", total: "42.50", currency: "EUR"}}}) { entry { points } replayed userErrors { code } } }'
        awarded = ask("storefront", award, "web-shop")
        retried = ask("storefront", award, "web-shop")
        assert awarded["data"] == {
            "awardPoints": {"entry": {"points": 42}, "replayed": False, "userErrors": []}
        }
        assert retried["data"] == {
            "awardPoints": {"entry": {"points": 42}, "replayed": True, "userErrors": []}
        }
        me = ask(
            "member",
            "{ me { id displayName status points { available lifetimeEarned } } }",
            "cust-42",
        )
        member_id = enrolled["data"]["enrollMember"]["member"]["id"]  # type: ignore[index]
        assert me["data"] == {
            "me": {
                "id": member_id,
                "displayName": "Ada",
                "status": "ACTIVE",
                "points": {"available": 42, "lifetimeEarned": 42},
            }
        }


def test_a_database_that_never_answers_fails_fast(tmp_path: Path) -> None:
    """A host that accepts connections but never speaks (packets dropped further on) costs the
    connect timeout, not asyncpg's default minute, for migrations and for Tortoise alike."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"postgresql://postgres@127.0.0.1:{silent.getsockname()[1]}/test"
        for command in (["migrate"], ["jobs", "run"]):
            started = time.monotonic()
            result = subprocess.run(
                [LOYALTY, *command],
                env=_env(tmp_path, DATABASE_URL=url, REDIS_URL="redis://127.0.0.1:1/0"),
                capture_output=True,
                text=True,
                timeout=50,
            )
            assert result.returncode != 0
            assert time.monotonic() - started < CONNECT_TIMEOUT_SECONDS + 10, command
