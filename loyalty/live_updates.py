"""Live updates: after each committed event about a member, a hint on that member's Redis channel.

The relay (backbone/relay.py) reads the event log only after commit, so a rolled-back write
publishes nothing. The message names the event and whom it concerns, never what changed or any
personal data: a subscriber re-reads the member's status through the normal resolvers, under its
own token's permissions. Delivery is at most what Redis pub/sub gives (no subscriber, no copy),
and a batch the relay retries publishes again: a hint read twice only costs one more read.
"""

from __future__ import annotations

import json

from redis.asyncio import Redis
from tortoise.backends.base.client import BaseDBAsyncClient

from backbone.bus import Registry
from backbone.outbox import LoggedEvent
from backbone.relay import Consumer

NAME = "live.member_updates"


def member_channel(program_id: int, member_id: int) -> str:
    return f"member-updates:{program_id}:{member_id}"


def hint(event: LoggedEvent) -> str:
    """The message: which member, which program, which kind of event; nothing more."""
    return json.dumps(
        {"program_id": event.program_id, "member_id": event.member_id, "event_type": event.type},
        separators=(",", ":"),
    )


class Publisher:
    """The publishing consumer, on a Redis client of its own (the relay also runs in workers
    that have no app: `loyalty worker`), made on first use inside the loop that uses it; its
    owner closes it on shutdown."""

    def __init__(self, redis_url: str) -> None:
        self._redis_url = redis_url
        self._client: Redis | None = None

    def registry(self) -> Registry:
        return Registry(consumers=[Consumer(NAME, self.publish)])

    async def publish(self, event: LoggedEvent, connection: BaseDBAsyncClient) -> None:
        if event.member_id is None:
            return
        if self._client is None:
            self._client = Redis.from_url(self._redis_url)
        # A failure (Redis down) fails the batch: the relay retries it after a pause.
        await self._client.publish(member_channel(event.program_id, event.member_id), hint(event))

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
