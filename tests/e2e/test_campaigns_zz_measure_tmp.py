import time
from tortoise import connections
from tests.conftest import START
from tests.e2e.campaign_helpers import deliver, deliveries, running
from tests.e2e.conftest import provision

_MEMBERS = """
INSERT INTO member (program_id, external_id, email, display_name, locale, status, created_at, updated_at)
SELECT p.id, 'm' || g, 'm' || g || '@example.com', 'Member ' || g, p.default_locale, 'ACTIVE', $2, $2
FROM program p CROSS JOIN generate_series(1, $3) g WHERE p.key = $1
"""
_CONSENT = """
INSERT INTO consent_record (program_id, member_id, purpose_key, granted, policy_version, source, actor, recorded_at)
SELECT program_id, id, 'marketing_email', true, 1, 'ADMIN', 'admin:x', $1 FROM member
"""

async def test_measure(gql, bus):
    await provision(gql)
    n = 2000
    await connections.get("default").execute_query(_MEMBERS, ["acme", START, n])
    try:
        await connections.get("default").execute_query(_CONSENT, [START])
    except Exception as e:
        print("consent seed failed", e)
    await running(gql, holdoutPercent=10)
    t = time.perf_counter()
    report = await deliver(bus)
    took = time.perf_counter() - t
    print(f"\nMEASURE email campaign {n} members: {took:.2f}s, {n/took:.0f}/s {report}")
    t = time.perf_counter()
    report = await deliver(bus)
    print(f"MEASURE second run (nothing to do): {time.perf_counter()-t:.3f}s {report}")
    await running(gql, name="offer", message=None, offer={"kind": "POINTS_MULTIPLIER", "multiplier": "2"})
    t = time.perf_counter()
    report = await deliver(bus)
    took = time.perf_counter() - t
    print(f"MEASURE offer campaign {n} members: {took:.2f}s, {n/took:.0f}/s {report}")


async def test_explain(gql, bus):
    from loyalty.campaigns.models import Campaign
    from loyalty.campaigns import targets
    await provision(gql)
    await connections.get("default").execute_query(_MEMBERS, ["acme", START, 2000])
    await running(gql, message=None, offer={"kind": "POINTS_MULTIPLIER", "multiplier": "2"})
    await deliver(bus)
    c = await Campaign.first()
    conn = connections.get("default")
    orig = conn.execute_query_dict
    async def spy(sql, params=None):
        t = time.perf_counter()
        r = await orig(sql, params)
        print(f"SQL {time.perf_counter()-t:.4f}s {sql[:80]!r}")
        if "NOT EXISTS" in sql:
            plan = await orig("EXPLAIN ANALYZE " + sql, params)
            for row in plan: print("  ", row["QUERY PLAN"])
        return r
    conn.execute_query_dict = spy
    t = time.perf_counter()
    page = await targets.targets_page(conn, c, after=(0, ""), limit=200, now=START)
    print("PAGE", len(page), time.perf_counter() - t)
    conn.execute_query_dict = orig
    t = time.perf_counter()
    await deliver(bus)
    print("EMPTY RUN", time.perf_counter() - t)
