"""One access log line per GraphQL request (logger `api.access`): which operation, for which
program, by which client, how long, and how it ended.

The line carries no personal data and nothing a caller could use: never the token, the document,
its variables or the answer. A member token's subject is the member's `externalId`, which may
be personal data: it is logged as a keyed pseudonym (the same member gives the same pseudonym,
in every process of a deployment), other clients by their id. Operation names are logged only
when they are plain GraphQL names of at most 64 characters.

The pieces are noted while the request runs (by LoyaltyGraphQL and the AccessNote extension) on
a record found through a context variable, and the line is written by the AccessLog wrapper
once the answer has gone, with its HTTP status.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import logging
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from graphql import DocumentNode, FieldNode, OperationDefinitionNode
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from api.auth import Principal, Role

log = logging.getLogger("api.access")

_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
MAX_ROOT_FIELDS = 4
MAX_CODES = 4
PSEUDONYM_HEX = 12


@dataclass
class AccessRecord:
    """What the access line of the request being served will say."""

    provided_name: str | None = None
    operation: str | None = None
    principal: Principal | None = None
    outcome: str | None = None
    codes: tuple[str, ...] = ()


_current: contextvars.ContextVar[AccessRecord | None] = contextvars.ContextVar(
    "access_record", default=None
)


def note_operation_name(name: object) -> None:
    """The operationName the request sent: the label when the document is refused unread."""
    record = _current.get()
    if record is not None:
        record.provided_name = name if isinstance(name, str) else None


def note_caller(principal: Principal | None) -> None:
    """The authenticated caller, once its token is verified."""
    record = _current.get()
    if record is not None:
        record.principal = principal


def note_result(result: object) -> None:
    """How the operation ended: errors, mutation userErrors, or ok."""
    record = _current.get()
    if record is None or not isinstance(result, ExecutionResult):
        return
    if result.errors:
        record.outcome = "errors"
        codes = {str((e.extensions or {}).get("code", "UNCODED")) for e in result.errors}
        record.codes = tuple(sorted(codes))[:MAX_CODES]
    elif _has_user_errors(result.data):
        record.outcome = "user_errors"
    else:
        record.outcome = "ok"


class AccessNote(SchemaExtension):
    """Names the operation from its parsed document: its name, else its root fields."""

    def on_operation(self) -> Any:
        try:
            yield
        finally:
            record = _current.get()
            if record is not None:
                context = self.execution_context
                record.operation = operation_label(context.operation_name, context.graphql_document)


def operation_label(name: str | None, document: DocumentNode | None) -> str:
    """The operation's name when it is a GraphQL name of at most 64 characters, else its root
    fields (at most MAX_ROOT_FIELDS, then `+N`), else "anonymous"."""
    if name is not None and _NAME.fullmatch(name):
        return name
    operation = _operation(document, name)
    if operation is None:
        return "anonymous"
    fields = list(
        dict.fromkeys(
            selection.name.value[:64]
            for selection in operation.selection_set.selections
            if isinstance(selection, FieldNode)
        )
    )
    if not fields:
        return "anonymous"
    more = len(fields) - MAX_ROOT_FIELDS
    return ",".join(fields[:MAX_ROOT_FIELDS]) + (f",+{more}" if more > 0 else "")


class AccessLog:
    """ASGI wrapper writing the access line of each request to the app it wraps."""

    def __init__(self, app: ASGIApp, *, secret: str | None) -> None:
        self.app = app
        # A key of its own, derived from a deployment secret, so pseudonyms agree across
        # processes yet cannot be recomputed from a guessed externalId without the secret.
        seed = secret.encode() if secret is not None else secrets.token_bytes(32)
        self._key = hashlib.sha256(b"loyalty access log pseudonyms\0" + seed).digest()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        record = AccessRecord()
        reset = _current.set(record)
        status = 500  # unless the app answers: an exception becomes a 500 further out
        started = time.perf_counter()

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            _current.reset(reset)
            self._write(record, scope["method"], status, time.perf_counter() - started)

    def _write(self, record: AccessRecord, method: str, status: int, seconds: float) -> None:
        principal = record.principal
        operation = record.operation or operation_label(record.provided_name, None)
        fields: dict[str, object] = {
            "method": method,
            "operation": operation,
            "program": principal.program_key if principal else None,
            "client_role": principal.role.value if principal else None,
            "client": self._client(principal),
            "duration_ms": round(seconds * 1000, 2),
            "outcome": record.outcome or f"http_{status}",
            "status": status,
        }
        if record.codes:
            fields["codes"] = list(record.codes)
        log.info("graphql request", extra=fields)

    def _client(self, principal: Principal | None) -> str | None:
        if principal is None:
            return None
        if principal.role is not Role.MEMBER:
            return principal.subject  # a storefront's, partner's or admin's client id
        digest = hmac.new(self._key, principal.subject.encode(), hashlib.sha256).hexdigest()
        return f"member:{digest[:PSEUDONYM_HEX]}"


def _operation(document: DocumentNode | None, name: str | None) -> OperationDefinitionNode | None:
    """The operation that runs: the one named, or the only one."""
    if document is None:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is not None:
        named = [o for o in operations if o.name is not None and o.name.value == name]
        return named[0] if named else None
    return operations[0] if len(operations) == 1 else None


def _has_user_errors(data: object) -> bool:
    """A mutation payload at the root answered with userErrors."""
    if not isinstance(data, dict):
        return False
    return any(isinstance(v, dict) and bool(v.get("userErrors")) for v in data.values())
