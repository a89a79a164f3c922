"""What a request costs and how buckets are configured (domain/throttling.py)."""

from __future__ import annotations

import pytest

from domain.throttling import (
    DEFAULT_BUCKETS,
    MIN_BUCKET,
    MUTATION_COST,
    Bucket,
    actual_cost,
    parse_buckets,
    requested_cost,
    retry_after,
    returned_fields,
)

pytestmark = pytest.mark.unit
ROLES = tuple(DEFAULT_BUCKETS)


def test_a_mutation_costs_more_than_the_same_query() -> None:
    assert requested_cost(0, mutation=False) == 1
    assert requested_cost(30, mutation=True) == 30 + MUTATION_COST


def test_the_actual_cost_counts_returned_fields_and_never_exceeds_the_request() -> None:
    data = {"me": {"ledger": {"edges": [{"node": {"id": 1, "points": 2}}] * 3}}}
    assert returned_fields(data) == 1 + 1 + 1 + 3 * (1 + 2)
    assert actual_cost(returned_fields(data), mutation=False, requested=100) == 12
    assert actual_cost(500, mutation=False, requested=100) == 100
    assert actual_cost(0, mutation=True, requested=100) == 1 + MUTATION_COST


def test_retry_after_is_the_whole_seconds_until_the_cost_is_back() -> None:
    bucket = Bucket(MIN_BUCKET, 100)
    assert retry_after(bucket, available=50.0, cost=300) == 3
    assert retry_after(bucket, available=299.5, cost=300) == 1
    assert retry_after(bucket, available=400.0, cost=300) == 1


def test_every_default_bucket_holds_the_costliest_accepted_request() -> None:
    assert all(bucket.maximum >= MIN_BUCKET for bucket in DEFAULT_BUCKETS.values())


@pytest.mark.parametrize(
    "text", ["member=10/5", "member=9000/0", "member=9000", "guest=9000/5", "member=9000/5x"]
)
def test_bad_bucket_specs_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"member|guest"):
        parse_buckets(text, ROLES)


def test_no_spec_keeps_the_defaults() -> None:
    assert parse_buckets("", ROLES) == DEFAULT_BUCKETS
