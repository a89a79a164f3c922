"""Browser clients on other origins: allowed only where LOYALTY_CORS_ORIGINS lists them."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.settings import SettingsError, load_settings
from tests.conftest import AUTH

pytestmark = pytest.mark.e2e

SHOP = "https://shop.example"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization,content-type",
}


@pytest.fixture
async def cors_client(
    tmp_path: Path, database_url: str, redis_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """An app allowing two origins. Its lifespan is not run: CORS answers before any database
    work, and a second Tortoise registration would close the session app's connections."""
    settings = load_settings(
        {
            "LOYALTY_DATA_DIR": str(tmp_path),
            "LOYALTY_CORS_ORIGINS": f"{SHOP}, https://app.example:8443",
        }
    )
    app = create_app(
        dataclasses.replace(settings, auth=AUTH, inline_worker=False),
        database_url=database_url,
        redis_url=redis_url,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://loyalty.test") as http:
        yield http


async def test_a_listed_origin_may_call_the_api_from_a_browser(
    cors_client: httpx.AsyncClient,
) -> None:
    preflight = await cors_client.options("/graphql", headers={"Origin": SHOP, **PREFLIGHT})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == SHOP
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in preflight.headers  # tokens, never cookies
    answer = await cors_client.get("/healthz", headers={"Origin": SHOP})
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == SHOP


async def test_an_unlisted_origin_gets_no_permission(cors_client: httpx.AsyncClient) -> None:
    preflight = await cors_client.options(
        "/graphql", headers={"Origin": "https://evil.example", **PREFLIGHT}
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers


async def test_without_configuration_no_origin_is_allowed(client: httpx.AsyncClient) -> None:
    preflight = await client.options("/graphql", headers={"Origin": SHOP, **PREFLIGHT})
    assert "access-control-allow-origin" not in preflight.headers


@pytest.mark.parametrize(
    "origins",
    ["shop.example", "https://shop.example/", "ftp://shop.example", "https://:99", "https://a:x"],
)
def test_malformed_origins_are_refused_at_start(tmp_path: Path, origins: str) -> None:
    with pytest.raises(SettingsError, match="LOYALTY_CORS_ORIGINS"):
        load_settings({"LOYALTY_DATA_DIR": str(tmp_path), "LOYALTY_CORS_ORIGINS": origins})
