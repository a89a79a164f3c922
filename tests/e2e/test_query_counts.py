"""No N+1: the queries a request sends do not grow with what it lists."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import pytest

from api.auth import Role
from bench.screen import REWARDS, STATUS_DOCUMENT, TIERS
from tests.conftest import token
from tests.e2e import campaign_helpers
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.feedback_helpers import answers, open_survey, submit
from tests.e2e.tier_helpers import configure_tiers

pytestmark = pytest.mark.e2e

ADMIN = token(Role.ADMIN)
STATUS = "{ me { id displayName points { available pending debt lifetimeEarned expiringSoon { points expiresOn } } } }"
LEDGER = "{ me { ledger(first: 100) { edges { node { id kind points reason explanation { code points } balanceAfter { available } } } } } }"
AUDIT = "{ me { ledger(first: 100) { edges { node { id returnId idempotencyKey actor { kind subject } changes { available pending debt lifetimeEarned } } } } } }"
MEMBERS = "{ members(first: 100) { edges { node { id externalId points { available expiringSoon { points } } } } } }"
TIER = "tier { current { key multiplier } next { key threshold } progress { qualifying toNext percent windowEndsOn } retainBy { metric amount } downgradeOn }"
TIER_STATUS = f"{{ me {{ points {{ available pending expiringSoon {{ points }} }} {TIER} }} }}"
MEMBER_TIERS = f"{{ members(first: 100) {{ edges {{ node {{ id {TIER} }} }} }} }}"
GRANT = (
    """mutation($input: AwardPointsInput!) { awardPoints(input: $input) { userErrors { code } } }"""
)


class QueryCounter(logging.Handler):
    """Counts statements Tortoise sends to PostgreSQL (it logs each at DEBUG)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if not str(record.msg).startswith(("Created connection pool", "Closed connection pool")):
            self.count += 1


async def _queries(gql: GraphQLClient, query: str, bearer: str) -> int:
    logger = logging.getLogger("tortoise.db_client")
    counter, level = QueryCounter(), logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    try:
        await gql.ok(query, bearer=bearer)
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)
    return counter.count


async def _grant(gql: GraphQLClient, external_id: str, n: int) -> None:
    source = {"manual": {"points": 10 + n, "reason": "Welcome"}}
    variables = {
        "input": {
            "idempotencyKey": f"{external_id}-{n}",
            "externalId": external_id,
            "source": source,
        }
    }
    await gql.ok(GRANT, variables, bearer=token(Role.STOREFRONT))


# Writes a member's n-th batch of entries (client, external id, n): `_grant` one, `_sale_and_return`
# two (an award and its reversal).
Writer = Callable[[GraphQLClient, str, int], Awaitable[None]]

SALE = """mutation($order: AwardPointsInput!, $return: ReverseOrderInput!) {
  awardPoints(input: $order) { userErrors { code } }
  reverseOrder(input: $return) { userErrors { code } }
}"""


async def _sale_and_return(gql: GraphQLClient, external_id: str, n: int) -> None:
    order = {"orderId": f"o-{n}", "total": "10.00", "currency": "EUR", "lines": []}
    variables = {
        "order": {
            "idempotencyKey": f"o-{n}",
            "externalId": external_id,
            "source": {"order": order},
        },
        "return": {
            "idempotencyKey": f"r-{n}",
            "orderId": f"o-{n}",
            "returnId": f"r-{n}",
            "amount": "5.00",
            "currency": "EUR",
        },
    }
    await gql.ok(SALE, variables, bearer=token(Role.STOREFRONT))


async def _ledger_costs(
    gql: GraphQLClient, query: str, write: Writer, *, entries: int
) -> tuple[int, int]:
    """The queries a member's `query` costs after one `write`, then after `entries` of them: the
    two counts are equal when nothing is fetched per entry."""
    await provision(gql)
    await enroll(gql, "c-1")
    await write(gql, "c-1", 0)
    member = token(Role.MEMBER, subject="c-1")
    one = await _queries(gql, query, member)
    for n in range(1, entries):
        await write(gql, "c-1", n)
    return one, await _queries(gql, query, member)


async def test_member_status_is_a_handful_of_queries(gql: GraphQLClient) -> None:
    await provision(gql)
    await enroll(gql, "c-1")
    await _grant(gql, "c-1", 0)
    # program, member, balance, expiring lots
    assert 2 <= await _queries(gql, STATUS, token(Role.MEMBER, subject="c-1")) <= 4


async def test_member_status_with_tier_and_progress_is_a_handful_of_queries(
    gql: GraphQLClient,
) -> None:
    await provision(gql)
    await configure_tiers(gql)
    await enroll(gql, "c-1")
    await _grant(gql, "c-1", 0)
    # program, member, balance, expiring lots, and one for the tier (tiers, standing, buckets)
    assert 3 <= await _queries(gql, TIER_STATUS, token(Role.MEMBER, subject="c-1")) <= 5


async def test_listing_members_with_tiers_does_not_query_per_member(gql: GraphQLClient) -> None:
    await provision(gql)
    await configure_tiers(gql)
    for n in range(3):
        await enroll(gql, f"c-{n}")
    few = await _queries(gql, MEMBER_TIERS, ADMIN)
    for n in range(3, 40):
        await enroll(gql, f"c-{n}")
    assert 2 <= await _queries(gql, MEMBER_TIERS, ADMIN) == few <= 5


async def test_a_page_of_100_ledger_entries_costs_the_same_as_one(gql: GraphQLClient) -> None:
    one, many = await _ledger_costs(gql, LEDGER, _grant, entries=100)
    assert 2 <= many == one <= 3


async def test_listing_members_with_points_does_not_query_per_member(gql: GraphQLClient) -> None:
    await provision(gql)
    for n in range(3):
        await enroll(gql, f"c-{n}")
    few = await _queries(gql, MEMBERS, ADMIN)
    for n in range(3, 40):
        await enroll(gql, f"c-{n}")
    assert 2 <= await _queries(gql, MEMBERS, ADMIN) == few <= 4


async def test_audit_fields_of_a_ledger_page_cost_no_query_per_entry(gql: GraphQLClient) -> None:
    one, many = await _ledger_costs(gql, AUDIT, _sale_and_return, entries=30)
    # program, member and balance, entries, the returns' ids
    assert 3 <= many == one <= 4


class StatementLog(logging.Handler):
    """The statements Tortoise sends, as it logs them at DEBUG."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.statements.append(" ".join(record.getMessage().split()))


AWARD_ORDER = """mutation($input: AwardPointsInput!) {
  awardPoints(input: $input) { entry { points } userErrors { code } } }"""


# The member's tier multiplier (loyalty/tiers/published.py), and the tiers' in-transaction
# reaction: one statement keeps the qualifying bucket and reads what an upgrade needs.
TIER_OF = (
    "SELECT t.key, t.multiplier FROM tier t LEFT JOIN member_tier mt"
    " ON mt.member_id = $2 AND mt.program_id = t.program_id"
)


async def test_an_award_for_an_order_is_nine_statements_its_events_with_its_result(
    gql: GraphQLClient,
) -> None:
    """The outbox costs an award exactly one INSERT, whatever events it records; the tiers two
    (TIER_OF and the reaction); the referrals one (the member's pending referral, by a unique
    index); the other 8 statements are the award as it was before."""
    await provision(gql)
    await enroll(gql, "ann")
    order = {"orderId": "o-1", "total": "10.00", "currency": "EUR", "lines": []}
    variables = {
        "input": {"idempotencyKey": "k-1", "externalId": "ann", "source": {"order": order}}
    }
    logger = logging.getLogger("tortoise.db_client")
    log, level = StatementLog(), logger.level
    logger.addHandler(log)
    logger.setLevel(logging.DEBUG)
    try:
        data = await gql.ok(AWARD_ORDER, variables, bearer=token(Role.STOREFRONT))
    finally:
        logger.removeHandler(log)
        logger.setLevel(level)
    assert data["awardPoints"]["userErrors"] == []
    outbox = [s for s in log.statements if "event_outbox" in s]
    assert len(outbox) == 1
    # The result a retry replays is stored with the events, in the same statement.
    assert outbox[0].startswith("WITH remembered AS ( UPDATE idempotency_key SET result")
    assert [s.split(" (")[0].split(" WHERE")[0] for s in log.statements] == [
        "INSERT INTO idempotency_key",
        # ... with the program's config_version, in one statement
        "SELECT m.id, m.status, b.available, b.pending, b.debt, b.lifetime_earned, b.held,",
        "SELECT id, remaining, status, activates_at, expires_at, expired FROM points_lot",
        TIER_OF,
        "WITH entry AS",
        "WITH recorded AS",  # the order and its lines, in one statement
        "WITH added AS",
        "SELECT id, referrer_id, referee_id, attributed_at FROM referral",
        "WITH remembered AS",
    ]


async def test_the_mobile_status_screen_costs_the_same_for_one_reward_or_forty(
    gql: GraphQLClient,
) -> None:
    """The document `make bench` measures (bench/screen.py): points, tier and progress, rewards
    within reach."""
    await provision(gql)
    await enroll(gql, "c-1")
    await _grant(gql, "c-1", 190)
    tiers = await gql.ok(
        "mutation($input: ConfigureTiersInput!) { configureTiers(input: $input) { userErrors { code } } }",
        {"input": {"tiers": TIERS, "policy": {}}},
        bearer=ADMIN,
    )
    assert tiers["configureTiers"]["userErrors"] == []

    async def add_reward(n: int, points: int) -> None:
        data = await gql.ok(
            "mutation($input: CreateRewardInput!) { createReward(input: $input) { userErrors { code } } }",
            {"input": {"name": f"R{n}", "kind": "EXPERIENCE", "pointsCost": points}},
            bearer=ADMIN,
        )
        assert data["createReward"]["userErrors"] == []

    member = token(Role.MEMBER, subject="c-1")
    await add_reward(0, REWARDS[0][1])
    one = await _queries(gql, STATUS_DOCUMENT, member)
    for n in range(1, 40):
        await add_reward(n, 210 + n)
    screen = await gql.ok(STATUS_DOCUMENT, bearer=member)
    assert screen["me"]["tier"]["current"]["key"] == "base"
    assert len(screen["me"]["rewardsWithinReach"]) == 3
    # The member with its balance, its tier, expiring points, consent, the candidates.
    assert await _queries(gql, STATUS_DOCUMENT, member) == one <= 5


async def test_a_members_surveys_with_their_answers_cost_the_same_for_one_or_four(
    gql: GraphQLClient,
) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    document = """{ me { surveys { answered survey { name questions { key } }
      response { submittedAt answers { questionKey score choice text } survey { name } } } } }"""
    member = token(Role.MEMBER, subject="ann")
    await submit(gql, "ann", await open_survey(gql, "S0"), answers(text="hi"))
    one = await _queries(gql, document, member)
    for n in range(1, 4):
        await submit(gql, "ann", await open_survey(gql, f"S{n}"), answers(text="hi"), f"k{n}")
    assert len((await gql.ok(document, bearer=member))["me"]["surveys"]) == 4
    # The member, its surveys, their responses, the answers, the responses' surveys.
    assert await _queries(gql, document, member) == one <= 6


async def test_listing_segments_with_sizes_costs_the_same_for_one_or_five(
    gql: GraphQLClient,
) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    document = "{ segments(first: 100) { edges { node { name size rules { all { field } } } } } }"
    create = """mutation($input: CreateSegmentInput!) { createSegment(input: $input) {
      userErrors { code } } }"""
    rules = {"all": [{"field": "ORDER_COUNT", "operator": "GTE", "number": "0"}]}
    await gql.ok(create, {"input": {"name": "S0", "rules": rules}}, bearer=ADMIN)
    one = await _queries(gql, document, ADMIN)
    for n in range(1, 5):
        await gql.ok(create, {"input": {"name": f"S{n}", "rules": rules}}, bearer=ADMIN)
    assert len((await gql.ok(document, bearer=ADMIN))["segments"]["edges"]) == 5
    # The program, the page of segments, and every size in one statement.
    assert await _queries(gql, document, ADMIN) == one <= 3


async def test_listing_campaigns_with_delivery_counts_costs_the_same_for_one_or_five(
    gql: GraphQLClient,
) -> None:
    await provision(gql)
    document = (
        "{ campaigns(first: 100) { edges { node { name deliveryCounts { status count } } } } }"
    )
    await campaign_helpers.created(gql, name="C0")
    one = await _queries(gql, document, ADMIN)
    for n in range(1, 5):
        await campaign_helpers.created(gql, name=f"C{n}")
    assert len((await gql.ok(document, bearer=ADMIN))["campaigns"]["edges"]) == 5
    # The program, the page of campaigns, and every campaign's counts in one statement.
    assert await _queries(gql, document, ADMIN) == one <= 3
