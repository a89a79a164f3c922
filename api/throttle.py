"""Cost-based throttling of GraphQL requests: each client's leaky bucket in Redis.

The bucket is one Redis hash per client (program, role, and a digest of the token's subject: a
member's externalId never appears in a key), updated by one Lua script, so every API replica
and worker shares it and a request's check-and-charge is atomic. Redis's own clock refills it.
A request is charged its requested cost before it runs (domain/throttling.py) and given back
what it did not use; when the bucket cannot pay, nothing runs and the answer is THROTTLED with
the seconds until it could (HTTP 429 and Retry-After). Every answer carries
`extensions.cost { requestedQueryCost actualQueryCost throttleStatus { maximumAvailable
currentlyAvailable restoreRate } }`. If Redis cannot be reached, requests are not throttled
(fail open: availability first), counted in `loyalty_rate_limits_unchecked_total`, and a
warning is logged.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import OperationType
from redis.asyncio import Redis
from strawberry.extensions import SchemaExtension

from api.auth import Principal
from api.document_measure import FragmentCycle, measure_operations
from api.errors import ClientError, TopLevelCode
from api.limits import connection_fields
from backbone.metrics import RATE_LIMITS_UNCHECKED
from domain import throttling as rules

log = logging.getLogger(__name__)

# KEYS[1]: the bucket. ARGV: maximum, restore per second, cost (negative: a refund).
# Returns {1 if charged else 0, points available after, as text}.
_CHARGE = """
local now = redis.call('TIME')
local at = tonumber(now[1]) + tonumber(now[2]) / 1000000
local maximum, rate, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'available', 'at')
local available = tonumber(state[1]) or maximum
local since = tonumber(state[2]) or at
available = math.min(maximum, available + math.max(0, at - since) * rate)
local charged = 0
if cost <= available or cost < 0 then
  available = math.min(maximum, available - cost)
  charged = 1
end
redis.call('HSET', KEYS[1], 'available', tostring(available), 'at', tostring(at))
redis.call('EXPIRE', KEYS[1], math.ceil(maximum / rate) + 1)
return {charged, tostring(available)}
"""
_scripts: dict[int, Any] = {}
_WARN_EVERY_SECONDS = 60.0
_warned_at = 0.0


def bucket_key(principal: Principal) -> str:
    subject = hashlib.sha256(principal.subject.encode()).hexdigest()[:24]
    return f"throttle:{principal.program_key}:{principal.role.value}:{subject}"


async def charge(redis: Redis, key: str, bucket: rules.Bucket, cost: int) -> tuple[bool, float]:
    """Charge (or, negative, refund) `cost`: whether it was charged, and what is left."""
    script = _scripts.get(id(redis))
    if script is None:
        script = _scripts[id(redis)] = redis.register_script(_CHARGE)
    charged, available = await script(keys=[key], args=[bucket.maximum, bucket.restore_rate, cost])
    return bool(charged), float(available)


class CostThrottle(SchemaExtension):
    """Charges each operation's cost to its caller's bucket around execution."""

    def __init__(self) -> None:
        self._cost: dict[str, Any] | None = None

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        principal: Principal | None = getattr(context, "principal", None)
        redis: Redis | None = getattr(context, "redis", None)
        measured = self._requested()
        if principal is None or redis is None or measured is None:
            yield
            return
        requested, mutation = measured
        bucket = principal.bucket or context.buckets[principal.role.value]
        key = bucket_key(principal)
        try:
            charged, available = await charge(redis, key, bucket, requested)
        except Exception as error:  # fail open, whatever Redis did
            _warn(error)
            self._cost = {"requestedQueryCost": requested, "throttleStatus": None}
            yield
            return
        if not charged:
            self._cost = _cost(requested, 0, bucket, available)
            refused = ClientError(
                f"Throttled: this request costs {requested} points and {int(available)} are"
                f" available, {bucket.restore_rate} more each second.",
                TopLevelCode.THROTTLED,
            )
            wait = rules.retry_after(bucket, available, requested)
            refused.extensions = {**(refused.extensions or {}), "retryAfterSeconds": wait}
            self.execution_context.result = GraphQLExecutionResult(data=None, errors=[refused])
            yield
            return
        yield
        result = self.execution_context.result
        data = getattr(result, "data", None)
        actual = rules.actual_cost(
            rules.returned_fields(data), mutation=mutation, requested=requested
        )
        try:
            _, available = await charge(redis, key, bucket, actual - requested)
        except Exception as error:  # the refund is lost, nothing else
            _warn(error)
        self._cost = _cost(requested, actual, bucket, available)

    def get_results(self) -> dict[str, Any]:
        return {"cost": self._cost} if self._cost is not None else {}

    def _requested(self) -> tuple[int, bool] | None:
        """The operation's requested cost and whether it is a mutation (None: nothing to run)."""
        context = self.execution_context
        document = context.graphql_document
        if document is None:
            return None
        name = context.operation_name
        try:
            for operation, measure in measure_operations(
                document, context.variables or {}, connection_fields(context.schema._schema)
            ):
                if name is None or (operation.name and operation.name.value == name):
                    mutation = operation.operation is OperationType.MUTATION
                    return rules.requested_cost(measure.cost, mutation=mutation), mutation
        except FragmentCycle:
            return None  # validation refused it already
        return None


def _cost(requested: int, actual: int, bucket: rules.Bucket, available: float) -> dict[str, Any]:
    return {
        "requestedQueryCost": requested,
        "actualQueryCost": actual,
        "throttleStatus": {
            "maximumAvailable": bucket.maximum,
            "currentlyAvailable": int(available),
            "restoreRate": bucket.restore_rate,
        },
    }


def _warn(error: Exception) -> None:
    global _warned_at
    RATE_LIMITS_UNCHECKED.inc()
    now = time.monotonic()
    if now - _warned_at >= _WARN_EVERY_SECONDS:
        _warned_at = now
        log.warning("throttling is off while Redis cannot be reached: %r", error)


__all__ = ["CostThrottle", "bucket_key", "charge"]
