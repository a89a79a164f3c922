"""How the process logs: one JSON object a line in production, readable text in development.

Every line goes through one handler on the root logger, formatted by structlog's
ProcessorFormatter: our `logging.getLogger(__name__)` loggers, uvicorn's, tortoise's and
structlog's own loggers alike. Each line carries the values bound in structlog's context
variables, so a line written while a request is served names its request id (api/request_id.py).
Configured once per process: by the `loyalty` command, and by the app factory in each uvicorn
worker process (spawned workers start with logging unconfigured).
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog
from structlog.typing import EventDict, Processor

# Loggers that would write personal data at a level a user may choose: tortoise's client logs
# every SQL statement with its parameter values (members' emails, names) at DEBUG.
_QUIET = {"tortoise.db_client": logging.INFO}
# uvicorn's own loggers (when uvicorn, not `loyalty serve`, configured them) write to handlers
# of their own, past ours: these are handed to the root's handler.
_UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access")

_installed: logging.Handler | None = None


def configure_logging(
    *, json: bool, level: str | int = "INFO", stream: TextIO | None = None
) -> logging.Handler:
    """Route every log line to `stream` (stderr by default) as JSON or as text, at `level`.
    Calling it again replaces the handler it installed before; returns the handler."""
    global _installed
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    output = stream if stream is not None else sys.stderr
    handler = logging.StreamHandler(output)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            # Fields passed with `extra=` (the access log's) become fields of the line.
            foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(), _drop_color_message],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *_renderers(json, output),
            ],
        )
    )
    root = logging.getLogger()
    if _installed is not None:
        root.removeHandler(_installed)
    root.addHandler(handler)
    root.setLevel(level)
    _installed = handler
    for name, floor in _QUIET.items():
        logging.getLogger(name).setLevel(max(floor, root.level))
    for name in _UVICORN:
        logger = logging.getLogger(name)
        if logger.handlers:
            logger.handlers = []
            logger.propagate = True
    return handler


def _drop_color_message(_: object, __: str, event: EventDict) -> EventDict:
    """uvicorn passes each message again with terminal colour codes, as an extra field."""
    event.pop("color_message", None)
    return event


def _renderers(json: bool, stream: TextIO) -> list[Processor]:
    if json:
        # The traceback as one string field, so an error stays one line. Not structlog's
        # dict_tracebacks: it would add each frame's local variables, personal data included.
        return [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    return [structlog.dev.ConsoleRenderer(colors=stream.isatty())]


def reset_logging() -> None:
    """Remove the handler configure_logging installed and structlog's configuration (tests)."""
    global _installed
    if _installed is not None:
        logging.getLogger().removeHandler(_installed)
        _installed = None
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.NOTSET)
    structlog.reset_defaults()
