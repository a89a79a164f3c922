"""The message bus: commands to their one handler each, events to their in-transaction handlers.

A command is a frozen dataclass naming what a client asked for; its handler does the write in the
unit of work it is given. The bus makes a fresh unit of work for every attempt, and runs the whole
attempt again when PostgreSQL aborted it to break a deadlock (backbone/locks.py). Which handler
serves which command, and who reacts to which event, is declared per area (a `Registry`) and put
together in one composition root (api/composition.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from tortoise.backends.base.client import BaseDBAsyncClient

from backbone.jobs import Job
from backbone.locks import with_retries
from backbone.outbox import LoggedEvent
from backbone.relay import Consumer
from backbone.uow import EventHandler, UnitOfWork
from domain.clock import Clock
from domain.events import DomainEvent

R = TypeVar("R")


class Command(Generic[R]):
    """Base of every command; `R` is what its handler returns."""

    __slots__ = ()


CommandHandler = Callable[[Any, UnitOfWork], Awaitable[Any]]
# A part of every worker beside its jobs and relay, until the event is set (the webhook sender).
WorkerLoop = tuple[str, Callable[["MessageBus", Any], Awaitable[None]]]
# One area's part of a member's data export: (connection, program id, member id) -> a JSON-able
# dict of the records it holds about the member, merged into the export document by its keys.
ExportPart = Callable[[Any, int, int], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class WritingConsumer:
    """A reader of the event log after commit that writes like a command: its handler is given
    the relay's connection to read with and the bus, whose units of work it opens inside the
    relay's transaction (savepoints on that connection), so what it writes runs the
    in-transaction reactions, records its own events and commits with the consumer's cursor:
    once per event (ledger entries included)."""

    name: str
    handle: Callable[[LoggedEvent, BaseDBAsyncClient, MessageBus], Awaitable[None]]
    types: frozenset[str] | None = None


@dataclass
class Registry:
    """One area's part of the composition: its command handlers, its in-transaction reactions
    to events (of any area), its consumers of the event log after commit, its jobs, and its
    parts of a member's data export."""

    commands: dict[type[Command[Any]], CommandHandler] = field(default_factory=dict)
    reactions: dict[type[DomainEvent], list[EventHandler]] = field(default_factory=dict)
    consumers: list[Consumer] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    exports: list[ExportPart] = field(default_factory=list)
    loops: list[WorkerLoop] = field(default_factory=list)
    writers: list[WritingConsumer] = field(default_factory=list)

    def command(self, kind: type[Command[Any]], handler: CommandHandler) -> None:
        if kind in self.commands:
            raise ValueError(f"{kind.__name__} has a handler already")
        self.commands[kind] = handler

    def react(self, kind: type[DomainEvent], handler: EventHandler) -> None:
        self.reactions.setdefault(kind, []).append(handler)

    @classmethod
    def combined(cls, parts: Iterable[Registry]) -> Registry:
        whole = cls()
        for part in parts:
            for kind, handler in part.commands.items():
                whole.command(kind, handler)
            for event, handlers in part.reactions.items():
                for handler in handlers:
                    whole.react(event, handler)
            whole.consumers.extend(part.consumers)
            whole.jobs.extend(part.jobs)
            whole.exports.extend(part.exports)
            whole.loops.extend(part.loops)
            whole.writers.extend(part.writers)
        for what, names in (
            ("consumer", [c.name for c in whole.consumers] + [w.name for w in whole.writers]),
            ("job", [job.name for job in whole.jobs]),
            ("loop", [name for name, _ in whole.loops]),
        ):
            if len(set(names)) != len(names):
                raise ValueError(f"{what} names must be unique: {names}")
        return whole


class MessageBus:
    def __init__(self, registry: Registry, clock: Clock) -> None:
        self.registry = registry
        self.clock = clock
        # What the relay delivers to: the plain consumers, and the writing ones bound to this bus.
        self.consumers = [
            *registry.consumers,
            *(Consumer(w.name, self._bound(w), w.types) for w in registry.writers),
        ]

    def _bound(self, writer: WritingConsumer) -> Any:
        async def handle(event: LoggedEvent, connection: BaseDBAsyncClient) -> None:
            # The units of work the handler opens nest in the relay's transaction: the task's
            # current connection is the relay's, so they are savepoints on `connection`.
            await writer.handle(event, connection, self)

        return handle

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.clock, self.registry.reactions)

    async def handle(self, command: Command[R]) -> R:
        """Run the command's handler in a new unit of work, again on a deadlock."""
        handler = self.registry.commands.get(type(command))
        if handler is None:
            raise LookupError(f"no handler for {type(command).__name__}")
        result = await with_retries(
            type(command).__name__, lambda: handler(command, self.unit_of_work())
        )
        return cast(R, result)
