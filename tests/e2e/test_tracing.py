"""Optional OpenTelemetry tracing: off by default; when on, a GraphQL request is a server span
with its PostgreSQL statements as children, and no span carries a token or a parameter."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.applications import Starlette
from starlette.routing import Route

from api.auth import TokenVerifier
from api.endpoint import LoyaltyGraphQL
from api.tracing import enable_tracing, instrument
from api.trusted.registry import TrustedDocuments
from backbone.bus import MessageBus
from tests.conftest import AUTH
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.points_helpers import member_token

pytestmark = pytest.mark.e2e


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    yield exporter
    AsyncPGInstrumentor().uninstrument()  # type: ignore[no-untyped-call]


def test_tracing_is_off_unless_configured() -> None:
    assert enable_tracing(Starlette(), None) is None
    assert not AsyncPGInstrumentor().is_instrumented_by_opentelemetry  # type: ignore[no-untyped-call]


async def test_a_request_is_a_span_with_its_statements(
    app: Starlette, bus: MessageBus, gql: GraphQLClient, spans: InMemorySpanExporter
) -> None:
    await provision(gql)
    await enroll(gql, "ann")  # its email: ann@example.com
    view = LoyaltyGraphQL(TokenVerifier(AUTH), bus, graphiql=False, documents=TrustedDocuments(()))
    traced = Starlette(routes=[Route("/graphql", view, methods=["POST"])])
    traced.state.redis = app.state.redis
    instrument(traced, SimpleSpanProcessor(spans), service_name="loyalty-test")
    token = member_token("ann")
    transport = httpx.ASGITransport(app=traced)
    async with httpx.AsyncClient(transport=transport, base_url="http://loyalty.test") as http:
        answer = await http.post(
            "/graphql",
            json={"query": "{ me { email points { available } } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 200, answer.text
    assert "errors" not in answer.json(), answer.text
    finished = spans.get_finished_spans()
    [server] = [s for s in finished if s.kind.name == "SERVER"]
    assert server.attributes is not None
    assert server.attributes.get("http.route") == "/graphql"
    assert server.resource.attributes["service.name"] == "loyalty-test"
    statements = [s for s in finished if s.attributes and "db.statement" in s.attributes]
    assert statements, [s.name for s in finished]
    assert all(s.context.trace_id == server.context.trace_id for s in statements)
    everything = repr([(s.name, dict(s.attributes or {})) for s in finished])
    assert token not in everything
    assert "ann@example.com" not in everything  # SQL text only, never its parameters
