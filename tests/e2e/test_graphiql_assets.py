"""The GraphiQL page over HTTP (no browser): it names only this app's own assets, each served with
its media type, a long cache lifetime and the content its integrity attribute promises, under a
CSP that allows nothing from elsewhere. Production serves neither page nor assets."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.settings import load_settings
from tests.conftest import AUTH

pytestmark = pytest.mark.e2e

HTML = {"Accept": "text/html"}


class _References(HTMLParser):
    """Every URL the page makes the browser load, with its integrity attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        url = attributes.get("src") or attributes.get("href")
        if url is not None:
            self.urls[url] = attributes.get("integrity")


def _references(page: str) -> dict[str, str | None]:
    parser = _References()
    parser.feed(page)
    return parser.urls


async def test_the_page_names_only_local_assets_and_each_is_served(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/graphql", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "://" not in response.text  # no CDN, no absolute URL of any kind
    urls = _references(response.text)
    assets = {url: integrity for url, integrity in urls.items() if url != "data:,"}
    assert {url.split("?")[0].rsplit("/", 1)[1] for url in assets} == {
        "react.production.min.js",
        "react-dom.production.min.js",
        "graphiql.min.js",
        "graphiql.min.css",
        "start-graphiql.js",
    }
    for url, integrity in assets.items():
        assert url.startswith("/graphiql/assets/"), url
        served = await client.get(url)
        assert served.status_code == 200, url
        expected_type = "text/css" if ".css?" in url else "text/javascript"
        assert served.headers["content-type"] == f"{expected_type}; charset=utf-8", url
        assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
        digest = base64.b64encode(hashlib.sha384(served.content).digest()).decode()
        assert integrity == f"sha384-{digest}", url


async def test_the_page_allows_only_its_own_origin_with_a_fresh_nonce(
    client: httpx.AsyncClient,
) -> None:
    first, second = [await client.get("/graphql", headers=HTML) for _ in range(2)]
    policy = first.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    nonce = re.search(r"'nonce-([^']+)'", directives["style-src"])
    assert nonce is not None
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == f"'self' 'nonce-{nonce.group(1)}'"
    assert directives["connect-src"] == "'self'"
    assert f'nonce="{nonce.group(1)}"' in first.text
    assert nonce.group(1) not in second.headers["content-security-policy"]
    assert first.headers["cache-control"] == "no-store"


async def test_licenses_ship_beside_the_vendored_files() -> None:
    static = Path(__file__).parents[2] / "api" / "graphiql" / "static"
    for package in ("graphiql", "react", "react-dom"):
        assert "MIT License" in (static / f"LICENSE-{package}").read_text()


async def test_production_serves_no_ide_and_no_assets(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    development_page = (await client.get("/graphql", headers=HTML)).text
    asset = next(url for url in _references(development_page) if url.startswith("/graphiql/"))
    development = load_settings({"LOYALTY_ENV": "development", "LOYALTY_DATA_DIR": str(tmp_path)})
    production = dataclasses.replace(development, environment="production", auth=AUTH)
    app = create_app(production, database_url="postgresql://unused", redis_url="redis://unused")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://x"
    ) as http:
        page = await http.get("/graphql", headers=HTML)
        assert (page.status_code, page.text) == (404, "Not Found")
        assert (await http.get(asset)).status_code == 404
