"""Cost-based throttling, pure: what a request costs and how full each client's bucket may be.

Shopify-style: every client (a member, a storefront, a partner client, an admin) has a leaky
bucket of cost points, refilled at a steady rate up to its maximum. A query costs the fields it
could return (api/document_measure.py: each field once, a connection's selection once per item
of its page), at least 1; a mutation costs `MUTATION_COST` more, since it writes. The request is
charged what it could cost before it runs, and given back what it did not use once it has: its
actual cost is the fields it returned. A request costing more than the bucket holds waits until
enough has flowed back in: `retry_after`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from domain.validation import ErrorCode, InvalidInput, Problem

MUTATION_COST = 10
# Every bucket holds at least the costliest document the API accepts (api/schema.py MAX_COST,
# plus a mutation's surcharge), so any accepted request runs on a full bucket.
MIN_BUCKET = 5_000 + MUTATION_COST
MAX_BUCKET = 1_000_000
MAX_RESTORE = 100_000
_SPEC = re.compile(r"([a-z]+)=(\d{1,7})/(\d{1,6})")


@dataclass(frozen=True, slots=True)
class Bucket:
    """At most `maximum` points; `restore_rate` points flow back each second."""

    maximum: int
    restore_rate: int


# Per role. Members poll their own status; storefronts write orders for a whole shop; admins run
# back offices. Operators change them with LOYALTY_RATE_LIMITS.
DEFAULT_BUCKETS: Mapping[str, Bucket] = {
    "member": Bucket(MIN_BUCKET, 100),
    "storefront": Bucket(4 * MIN_BUCKET, 1000),
    "partner": Bucket(2 * MIN_BUCKET, 250),
    "admin": Bucket(2 * MIN_BUCKET, 500),
}


def requested_cost(nodes: int, *, mutation: bool) -> int:
    """What a request is charged before it runs."""
    return max(nodes, 1) + (MUTATION_COST if mutation else 0)


def actual_cost(returned: int, *, mutation: bool, requested: int) -> int:
    """What it is charged once it ran: the fields it returned, never more than requested."""
    return min(max(returned, 1) + (MUTATION_COST if mutation else 0), requested)


def retry_after(bucket: Bucket, available: float, cost: int) -> int:
    """Whole seconds until `cost` points are back, at least 1."""
    missing = max(cost - available, 0.0)
    return max(math.ceil(missing / bucket.restore_rate), 1)


def parse_buckets(text: str, roles: tuple[str, ...]) -> dict[str, Bucket]:
    """`member=1000/50,storefront=5000/500`: maximum/restore per second for each role named;
    the others keep their default. Raises ValueError saying what is wrong."""
    buckets = dict(DEFAULT_BUCKETS)
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = _SPEC.fullmatch(part)
        if match is None or match.group(1) not in roles:
            raise ValueError(
                f"{part!r} is not role=maximum/restore_per_second (roles: {', '.join(roles)})"
            )
        maximum, restore = int(match.group(2)), int(match.group(3))
        if not (MIN_BUCKET <= maximum <= MAX_BUCKET and 1 <= restore <= MAX_RESTORE):
            raise ValueError(
                f"{part!r}: maximum must be {MIN_BUCKET}-{MAX_BUCKET} and restore"
                f" 1-{MAX_RESTORE} per second"
            )
        buckets[match.group(1)] = Bucket(maximum, restore)
    return buckets


def check_bucket(maximum: int, restore_rate: int, field: tuple[str, ...]) -> Bucket:
    """A client's own bucket as an admin sets it, within the bounds every bucket keeps."""
    if not (MIN_BUCKET <= maximum <= MAX_BUCKET and 1 <= restore_rate <= MAX_RESTORE):
        raise InvalidInput(
            Problem(
                field,
                f"maximum must be {MIN_BUCKET}-{MAX_BUCKET} points and restorePerSecond"
                f" 1-{MAX_RESTORE}.",
                ErrorCode.INVALID_RATE_LIMIT,
            )
        )
    return Bucket(maximum, restore_rate)


def returned_fields(data: object) -> int:
    """The fields an answer's data holds, each object's every key once, as the requested cost
    counts them: counted without recursion, in time linear in the answer."""
    count, pending = 0, [data]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            count += len(value)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return count
