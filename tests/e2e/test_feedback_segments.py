"""Survey results per segment (a behavioural segment counts only members who consent to
profiling), and a member's surveys: the open ones a campaign sent it, and those it answered."""

from __future__ import annotations

from datetime import timedelta

import pytest
from strawberry import relay
from tortoise import connections

from tests.conftest import START
from tests.e2e.conftest import GraphQLClient, provision
from tests.e2e.feedback_helpers import CLOSE, answers, open_survey, results, submit
from tests.e2e.gift_helpers import enroll
from tests.e2e.insights_helpers import condition, create_segment, set_profiling
from tests.e2e.points_helpers import ADMIN, member_token

pytestmark = pytest.mark.e2e

ME = """{ me { surveys { answered survey { name status } response { answers { score } } } } }"""
# The campaigns area's delivery job writes these rows; the test stands in for it.
_CAMPAIGN = """
INSERT INTO campaign (program_id, name, trigger, status, starts_at, channel, template_key,
  survey_id, created_at, updated_at)
SELECT program_id, $2, 'SCHEDULED', 'RUNNING', $3, 'EMAIL', 'survey', id, $3, $3
FROM survey WHERE id = $1 RETURNING id, program_id
"""
_DELIVERY = """
INSERT INTO campaign_delivery (program_id, campaign_id, member_id, occasion, arm, status, reason,
  due_at, delivered_at, created_at)
SELECT m.program_id, $1, m.id, '', 'default', $3, $4, $5, $5, $5
FROM member m WHERE m.external_id = $2
"""


def _key(global_id: str) -> int:
    return int(relay.GlobalID.from_id(global_id).node_id)


async def test_results_per_segment_count_its_members_only(gql: GraphQLClient) -> None:
    await provision(gql)
    survey = await open_survey(gql)
    for who, locale, nps in (("ann", "de", 10), ("bob", "de", 2), ("cid", "en", 9)):
        await enroll(gql, who, locale=locale)
        await submit(gql, who, survey, answers(nps=nps))
    german = await create_segment(
        gql, "German", all=[condition("LOCALE", "EQ", texts=["de"])], memberVisible=False
    )
    assert german["userErrors"] == [], german
    found = await results(gql, survey, german["segment"]["id"])
    assert found["responses"] == 2
    assert found["nps"] == {"score": "0.0", "promoters": 1, "passives": 0, "detractors": 1}
    everyone = await results(gql, survey)
    assert (everyone["responses"], everyone["nps"]["score"]) == (3, "33.3")
    # Behaviour (orders, here any number of them) places only members consenting to profiling.
    active = await create_segment(
        gql, "Buyers", all=[condition("ORDER_COUNT", "GTE", number="0")], memberVisible=False
    )
    assert (await results(gql, survey, active["segment"]["id"]))["responses"] == 0
    await set_profiling(gql, "cid", True)
    buyers = await results(gql, survey, active["segment"]["id"])
    assert (buyers["responses"], buyers["nps"]["promoters"]) == (1, 1)
    unknown = await gql.ok(
        "query($id: ID!, $s: ID) { survey(id: $id) { results(segmentId: $s) { responses } } }",
        {"id": survey, "s": "U2VnbWVudDo5OTk5OQ=="},  # Segment:99999
        bearer=ADMIN,
    )
    assert unknown["survey"]["results"] is None


async def test_a_member_sees_the_open_surveys_sent_to_it_and_those_it_answered(
    gql: GraphQLClient,
) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    await enroll(gql, "bob")
    sent = await open_survey(gql, "Sent")
    unsent = await open_survey(gql, "Unsent")
    answered_elsewhere = await open_survey(gql, "Linked")
    connection = connections.get("default")
    [campaign] = await connection.execute_query_dict(
        _CAMPAIGN, [_key(sent), "Ask", START + timedelta(hours=1)]
    )
    await connection.execute_query(_DELIVERY, [campaign["id"], "ann", "SENT", None, START])
    await connection.execute_query(
        _DELIVERY, [campaign["id"], "bob", "SKIPPED", "NO_CONSENT", START]
    )
    await submit(gql, "ann", answered_elsewhere, answers(nps=8))
    mine = (await gql.ok(ME, bearer=member_token("ann")))["me"]["surveys"]
    assert [(s["survey"]["name"], s["answered"]) for s in mine] == [
        ("Linked", True),
        ("Sent", False),
    ]
    assert mine[0]["response"]["answers"][0] == {"score": 8}
    assert unsent not in str(mine)
    assert (await gql.ok(ME, bearer=member_token("bob")))["me"]["surveys"] == []
    await gql.ok(CLOSE, {"input": {"id": sent}}, bearer=ADMIN)
    await gql.ok(CLOSE, {"input": {"id": answered_elsewhere}}, bearer=ADMIN)
    closed = (await gql.ok(ME, bearer=member_token("ann")))["me"]["surveys"]
    assert [(s["survey"]["name"], s["survey"]["status"]) for s in closed] == [("Linked", "CLOSED")]
