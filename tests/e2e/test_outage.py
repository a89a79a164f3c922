"""PostgreSQL out of reach: clients get a retryable SERVICE_UNAVAILABLE (HTTP 503 with Retry-After
when nothing could be answered), never "Unexpected error.", and service resumes with the database.

The API runs as its own process (uvicorn) and reaches the real test server through a TCP
connection this test can cut: unplugged, connections in use are reset and new ones refused, as
when the server or the network goes away. Nothing about the database is mocked.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from subprocess import DEVNULL, PIPE
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from api.auth import Role
from api.database import connection_params
from tests.conftest import token
from tests.e2e.conftest import CREATE_PROGRAM, ENROLL
from tests.serving import free_port, loyalty_env

pytestmark = pytest.mark.e2e

ADMIN = {"Authorization": f"Bearer {token(Role.ADMIN)}"}
STOREFRONT = {"Authorization": f"Bearer {token(Role.STOREFRONT)}"}
MEMBERS = "{ members(first: 1) { edges { cursor } } }"
STATEMENT_TIMEOUT_MS = 1000
UNAVAILABLE = {
    "message": "The service is temporarily unavailable; retry later.",
    "extensions": {"code": "SERVICE_UNAVAILABLE"},
}


@dataclass
class Cable:
    """A TCP link to PostgreSQL that can be unplugged and plugged in again on the same port."""

    upstream: dict[str, Any]
    port: int
    _server: asyncio.Server | None = None
    _links: list[asyncio.StreamWriter] = field(default_factory=list)
    _flowing: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self._flowing.set()

    def stall(self) -> None:
        """Connections stay open but nothing passes: a frozen server, or a network dropping
        packets. Nothing tells the client; only its own clock can."""
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    async def plug(self) -> None:
        self._server = await asyncio.start_server(self._forward, "127.0.0.1", self.port)

    async def unplug(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._links:
            writer.transport.abort()  # a reset, as from a server or network gone away
        self._links.clear()
        await self._server.wait_closed()

    async def _forward(self, client_in: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        host, port = self.upstream["host"], self.upstream["port"]
        if host.startswith("/"):
            server_in, server = await asyncio.open_unix_connection(f"{host}/.s.PGSQL.{port}")
        else:
            server_in, server = await asyncio.open_connection(host, port)
        self._links += [client, server]
        await asyncio.gather(
            _pipe(client_in, server, self._flowing), _pipe(server_in, client, self._flowing)
        )


async def _pipe(
    source: asyncio.StreamReader, sink: asyncio.StreamWriter, flowing: asyncio.Event
) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await source.read(65536):
            await flowing.wait()
            sink.write(data)
            await sink.drain()
    sink.close()


@pytest.fixture
async def cable(database_url: str, db: None) -> AsyncIterator[Cable]:
    """Unplugged at first: the API starts with no database to reach."""
    link = Cable(connection_params(database_url), free_port())
    yield link
    if link._server is not None and link._server.is_serving():
        await link.unplug()


@pytest.fixture
async def api(cable: Cable, database_url: str, redis_url: str, tmp_path: Any) -> AsyncIterator[str]:
    """The API in its own process, its DATABASE_URL through the cable."""
    parts = urlsplit(database_url)
    through_cable = urlunsplit(
        (parts.scheme, f"{parts.username or 'postgres'}@127.0.0.1:{cable.port}", parts.path, "", "")
    )
    port = free_port()
    env = loyalty_env(
        tmp_path,
        DATABASE_URL=through_cable,
        REDIS_URL=redis_url,
        LOYALTY_WORKER="off",
        LOYALTY_DB_STATEMENT_TIMEOUT_MS=str(STATEMENT_TIMEOUT_MS),
    )
    command = ["uvicorn", "api.app:app_from_environment", "--factory", "--port", str(port)]
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", *command, env=env, stdout=DEVNULL, stderr=PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await _wait_alive(base, server)
        yield base
    finally:
        server.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(server.communicate(), timeout=30)
        assert b"unexpected error" not in stderr, stderr.decode()  # an outage is not a bug


async def _wait_alive(base: str, server: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient(base_url=base) as http:
        for _ in range(300):
            if server.returncode is not None:
                raise AssertionError("the API exited")
            with contextlib.suppress(httpx.TransportError):
                if (await http.get("/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise AssertionError("the API never started")


async def _post(
    http: httpx.AsyncClient, query: str, headers: dict[str, str], **variables: Any
) -> httpx.Response:
    return await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )


def _assert_unavailable(response: httpx.Response, path: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"].isdigit()
    [error] = response.json()["errors"]
    assert {k: error[k] for k in UNAVAILABLE} == UNAVAILABLE
    assert error["path"] == [path]


async def test_an_unreachable_database_is_a_retryable_503(cable: Cable, api: str) -> None:
    program = {"input": {"name": "Acme", "currency": "EUR"}}
    member = {"input": {"externalId": "ann", "email": "ann@example.com", "displayName": "Ann"}}
    async with httpx.AsyncClient(base_url=api, timeout=30) as http:
        # Not there when the API started.
        _assert_unavailable(await _post(http, CREATE_PROGRAM, ADMIN, **program), "createProgram")
        _assert_unavailable(await _post(http, MEMBERS, ADMIN), "members")
        typename = await _post(http, "{ __typename }", ADMIN)
        assert _answered(typename) == {"__typename": "Query"}  # needs no database

        await cable.plug()
        assert (await _post(http, CREATE_PROGRAM, ADMIN, **program)).status_code == 200
        assert _answered(await _post(http, MEMBERS, ADMIN)) == {"members": {"edges": []}}

        await cable.unplug()  # lost mid-session, connections in the pool included
        _assert_unavailable(await _post(http, MEMBERS, ADMIN), "members")
        _assert_unavailable(await _post(http, ENROLL, STOREFRONT, **member), "enrollMember")
        # A document answering in part is not a 503; its failed field still says why.
        partial = await _post(
            http, '{ __typename memberByExternalId(externalId: "x") { id } }', ADMIN
        )
        assert partial.status_code == 200
        assert partial.json()["errors"][0]["extensions"] == {"code": "SERVICE_UNAVAILABLE"}

        await cable.plug()
        enrolled = await _post(http, ENROLL, STOREFRONT, **member)
        assert enrolled.json()["data"]["enrollMember"]["created"] is True


async def test_a_database_that_stops_answering_is_a_503_not_a_hang(cable: Cable, api: str) -> None:
    program = {"input": {"name": "Acme", "currency": "EUR"}}
    async with httpx.AsyncClient(base_url=api, timeout=60) as http:
        await cable.plug()
        assert (await _post(http, CREATE_PROGRAM, ADMIN, **program)).status_code == 200
        warm = await asyncio.gather(*(_post(http, MEMBERS, ADMIN) for _ in range(4)))
        assert {response.status_code for response in warm} == {200}  # pooled connections open

        cable.stall()
        started = asyncio.get_running_loop().time()
        stalled = await asyncio.gather(*(_post(http, MEMBERS, ADMIN) for _ in range(4)))
        waited = asyncio.get_running_loop().time() - started
        for response in stalled:
            _assert_unavailable(response, "members")
        # The statement limit plus the client's grace, not the minutes a TCP stall can last.
        assert waited < STATEMENT_TIMEOUT_MS / 1000 + 10, waited

        cable.resume()
        recovered = await _post(http, MEMBERS, ADMIN)
        for _ in range(50):  # connections the stall spoiled are replaced as they are found
            if recovered.status_code == 200:
                break
            await asyncio.sleep(0.2)
            recovered = await _post(http, MEMBERS, ADMIN)
        assert _answered(recovered) == {"members": {"edges": []}}


REGISTER = """mutation { registerPartnerClient(input: {name: "CRM", scopes: [REFERRALS_READ]})
  { client { clientId } clientSecret } }"""
REFERRALS = "{ referrals(first: 1) { edges { cursor } } }"


async def test_partners_get_retryable_answers_while_the_database_is_away(
    cable: Cable, api: str
) -> None:
    program = {"input": {"name": "Acme", "currency": "EUR"}}
    async with httpx.AsyncClient(base_url=api, timeout=30) as http:
        await cable.plug()
        assert (await _post(http, CREATE_PROGRAM, ADMIN, **program)).status_code == 200
        registered = (await _post(http, REGISTER, ADMIN)).json()["data"]["registerPartnerClient"]
        credentials = (registered["client"]["clientId"], registered["clientSecret"])
        form = {"grant_type": "client_credentials"}
        issued = await http.post("/oauth/token", data=form, auth=credentials)
        partner = {"Authorization": f"Bearer {issued.json()['access_token']}"}

        await cable.unplug()
        refused = await http.post("/oauth/token", data=form, auth=credentials)
        assert (refused.status_code, refused.json()["error"]) == (503, "temporarily_unavailable")
        assert refused.headers["Retry-After"].isdigit()
        # The partner's client cannot be checked (nothing cached yet): retry, not "unauthenticated".
        unchecked = await _post(http, REFERRALS, partner)
        assert unchecked.status_code == 503, unchecked.text
        assert unchecked.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"

        await cable.plug()
        assert (await http.post("/oauth/token", data=form, auth=credentials)).status_code == 200
        answered = await _post(http, REFERRALS, partner)
        assert _answered(answered) == {"referrals": {"edges": []}}


def _answered(response: httpx.Response) -> object:
    """The data of an answer without errors (its `extensions` report the request's cost)."""
    body = response.json()
    assert "errors" not in body, body
    return body["data"]
