"""Optional OpenTelemetry tracing: off unless LOYALTY_OTEL_ENDPOINT names an OTLP/HTTP collector.

When on, every HTTP request is a server span (Starlette's instrumentation) and every PostgreSQL
statement a child span (asyncpg's), exported in batches off the request path. Spans carry the
route and the SQL text, never its parameters, tokens or bodies. The libraries are the optional
`tracing` extra (`pip install '.[tracing]'`): a deployment that does not trace installs nothing.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette

from api.settings import SettingsError, Tracing


def enable_tracing(app: Starlette, tracing: Tracing | None) -> Any:
    """Instrument `app` (and asyncpg, process-wide) to export to the configured collector; the
    tracer provider, or None when tracing is off."""
    if tracing is None:
        return None
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:  # the extra is not installed
        raise SettingsError(
            "LOYALTY_OTEL_ENDPOINT is set but the tracing libraries are not installed:"
            " pip install '.[tracing]'"
        ) from None
    exporter = OTLPSpanExporter(endpoint=f"{tracing.endpoint.rstrip('/')}/v1/traces")
    return instrument(app, BatchSpanProcessor(exporter), service_name=tracing.service_name)


def instrument(app: Starlette, processor: Any, *, service_name: str) -> Any:
    """Trace `app`'s requests and asyncpg's statements through `processor` (tests pass an
    in-memory one); the tracer provider."""
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.starlette import StarletteInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(processor)
    StarletteInstrumentor.instrument_app(app, tracer_provider=provider)
    instrumentor = AsyncPGInstrumentor()  # type: ignore[no-untyped-call]
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=provider)
    return provider
