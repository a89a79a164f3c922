"""The process's log configuration: every logger's lines in one format, JSON or text."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from api.logs import configure_logging, reset_logging

pytestmark = pytest.mark.unit


@pytest.fixture
def restore_logging() -> Iterator[None]:
    level = logging.getLogger().level
    yield
    reset_logging()
    logging.getLogger().setLevel(level)


def test_library_lines_are_json_with_the_context_and_without_uvicorns_colours(
    restore_logging: None,
) -> None:
    buffer = io.StringIO()
    configure_logging(json=True, level="INFO", stream=buffer)
    with structlog.contextvars.bound_contextvars(request_id="r-1"):
        logging.getLogger("tests.library").info(
            "Started server process [%d]", 42, extra={"color_message": "\x1b[36m%d\x1b[0m"}
        )
    logging.getLogger("tortoise.db_client").debug("SELECT ... ['ada@example.com']")
    [line] = [json.loads(text) for text in buffer.getvalue().splitlines()]
    assert line["event"] == "Started server process [42]"
    assert (line["logger"], line["level"], line["request_id"]) == ("tests.library", "info", "r-1")
    assert "color_message" not in line


def test_sql_stays_unlogged_even_at_debug(restore_logging: None) -> None:
    buffer = io.StringIO()
    configure_logging(json=True, level="DEBUG", stream=buffer)
    logging.getLogger("tortoise.db_client").debug("SELECT ... ['ada@example.com']")
    logging.getLogger("api.anything").debug("kept")
    assert [json.loads(text)["event"] for text in buffer.getvalue().splitlines()] == ["kept"]


def test_development_writes_readable_text(restore_logging: None) -> None:
    buffer = io.StringIO()
    configure_logging(json=False, level="INFO", stream=buffer)
    configure_logging(json=False, level="INFO", stream=buffer)  # again: still one handler
    logging.getLogger("api.anything").warning("disk %s", "full")
    [text] = buffer.getvalue().splitlines()
    assert "disk full" in text
    assert "[api.anything]" in text
    assert not text.startswith("{")
