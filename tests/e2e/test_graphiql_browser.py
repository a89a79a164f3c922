"""GraphiQL in a real headless Chromium against the app on a real socket, with every host but
127.0.0.1 unreachable: the IDE loads, reads the schema anonymously (development's introspection
allowance), sends the Authorization header typed into its headers editor, shows the result, and
keeps the header across a reload. It never asks any other host for anything."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
import uvicorn
from starlette.applications import Starlette

from api.auth import Role
from tests.conftest import token
from tests.e2e.conftest import GraphQLClient, provision

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page, Route

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # No name resolves but the loopback address: other hosts are unreachable, not merely unused.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
LOCAL_HOSTS = {"127.0.0.1"}

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (Debian: chromium)"
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("playwright") is None,
        reason="playwright is not installed (pip install -e '.[dev]')",
    ),
]

QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
HEADERS_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
RESULT = ".result-window"


@pytest.fixture
async def base_url(app: Starlette) -> AsyncIterator[str]:
    """The test app (its lifespan already running) served by uvicorn on a free loopback port."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(app, lifespan="off", ws="none", log_level="warning")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        assert not serving.done(), "uvicorn stopped while starting"
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving
        listener.close()


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[tuple[BrowserContext, list[str]]]:
    """Chromium with a new, empty profile; every request to a host other than 127.0.0.1 is
    recorded in the list and refused."""
    from playwright.async_api import async_playwright

    outside: list[str] = []

    async def only_local(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOCAL_HOSTS or url.startswith("data:"):
            await route.continue_()
        else:
            outside.append(url)
            await route.abort("internetdisconnected")

    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
        )
        try:
            await context.route("**/*", only_local)
            yield context, outside
        finally:
            await context.close()


async def _problems(page: Page) -> list[str]:
    """Script errors and Content-Security-Policy violations seen so far by the page."""
    violations: list[str] = await page.evaluate("window.__violations")
    return violations


WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
window.addEventListener("error", (event) => window.__violations.push(`error ${event.message}`));
"""


async def _replace_text(page: Page, editor: str, text: str) -> None:
    """Type `text` into a GraphiQL (CodeMirror) editor in place of what it holds."""
    await page.locator(editor).click()
    await page.keyboard.press("Control+A")
    await page.keyboard.press("Delete")
    # insert_text, not typing key by key: the editor would auto-close each typed bracket.
    await page.keyboard.insert_text(text)


async def test_graphiql_runs_an_authorized_query_with_only_local_requests(
    base_url: str, browser: tuple[BrowserContext, list[str]], gql: GraphQLClient
) -> None:
    from playwright.async_api import expect

    context, outside = browser
    await provision(gql)  # program "acme", named "Acme"
    admin = token(Role.ADMIN, "acme")
    page = await context.new_page()
    await page.add_init_script(WATCH_VIOLATIONS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    await page.goto(f"{base_url}/graphql")
    await expect(page.locator(QUERY_EDITOR)).to_be_visible()

    # The schema was read anonymously: the documentation explorer lists the root query type.
    await page.get_by_role("button", name="Show Documentation Explorer").click()
    await expect(page.locator(".graphiql-doc-explorer")).to_contain_text("Query")

    await page.get_by_role("button", name="Headers").click()
    await _replace_text(page, HEADERS_EDITOR, f'{{"Authorization": "Bearer {admin}"}}')
    await _replace_text(page, QUERY_EDITOR, "{ program { key name } }")
    await page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()
    result = page.locator(RESULT)
    await expect(result).to_contain_text('"key": "acme"')
    await expect(result).to_contain_text('"name": "Acme"')

    # The header persists in this browser (GraphiQL writes it a moment later): after a reload the
    # same query runs authorized again.
    await page.wait_for_function(
        "token => (localStorage.getItem('graphiql:tabState') || '').includes(token)", arg=admin
    )
    await page.reload()
    await expect(page.locator(QUERY_EDITOR)).to_be_visible()
    await page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()
    await expect(page.locator(RESULT)).to_contain_text('"name": "Acme"')

    # A dialog makes GraphiQL add its run-time <style>, which must pass the CSP by the nonce.
    await page.get_by_role("button", name="Open settings dialog").click()
    await expect(page.get_by_role("dialog")).to_be_visible()
    await page.keyboard.press("Escape")

    assert outside == []
    assert errors == []
    assert await _problems(page) == []


async def test_other_hosts_are_unreachable_from_the_test_browser(
    base_url: str, browser: tuple[BrowserContext, list[str]]
) -> None:
    """The premise of the test above: had the page wanted a CDN, it could not have had it."""
    context, outside = browser
    page = await context.new_page()
    await page.goto(f"{base_url}/healthz")  # no CSP here to stop a fetch before the network does
    cdn = "https://unpkg.com/graphiql@3.9.0/graphiql.min.js"
    outcome = await page.evaluate(
        "url => fetch(url).then(() => 'reached', () => 'unreachable')", cdn
    )
    assert outcome == "unreachable"
    assert outside == [cdn]
