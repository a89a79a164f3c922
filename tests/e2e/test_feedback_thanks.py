"""The thank-you for answering a survey, through the gifts engine (a THANK_YOU configured on
`feedback.submitted`): given once per response, however often the event is delivered or the
answers retried; and a member's answers in its export, its words gone with its erasure."""

from __future__ import annotations

import pytest
from strawberry import relay

from backbone.bus import MessageBus
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.feedback_helpers import TEXTS, answers, open_survey, results, submit
from tests.e2e.gift_helpers import (
    configure_gift,
    gift_entries,
    given,
    registered_consumer,
    relay_all,
    relay_and_give,
)
from tests.e2e.points_helpers import ADMIN, member_token
from tests.e2e.privacy_helpers import erase, exported

pytestmark = pytest.mark.e2e


async def test_an_answer_is_thanked_once_per_response_by_the_gift_engine(
    gql: GraphQLClient, bus: MessageBus
) -> None:
    await provision(gql)
    consumer = await registered_consumer(bus)
    configured = await configure_gift(
        gql, kind="THANK_YOU", points=50, budgetPoints=1_000,
        triggerEventType="feedback.submitted",
    )  # fmt: skip
    assert configured["userErrors"] == []
    assert configured["gift"]["triggerPostKind"] is None
    await enroll(gql, "ann")
    await enroll(gql, "bob")
    survey = await open_survey(gql)
    first = await submit(gql, "ann", survey, answers(), key="k1")
    await submit(gql, "ann", survey, answers(), key="k1")  # retried: nothing more
    await submit(gql, "ann", survey, answers(), key="k2")  # the same answers again: neither
    await relay_and_give(bus, consumer, until=1)
    await relay_and_give(bus, consumer, until=1)  # delivered and given again: nothing more
    [thanks] = await given(gql, "THANK_YOU")
    response = relay.GlobalID.from_id(first["response"]["id"])
    assert (thanks["status"], thanks["points"]) == ("GIVEN", 50)
    assert thanks["trigger"] == f"response:{response.node_id}"
    assert thanks["why"]["summary"] == (
        "50 points given: a thank-you for answering a survey (A thank-you for your contribution)."
    )
    [entry] = await gift_entries(gql, "ann")
    assert entry["points"] == 50
    await submit(gql, "bob", survey, answers(nps=3))
    await relay_all(bus)
    await relay_and_give(bus, consumer, until=2)
    assert sorted(g["status"] for g in await given(gql, "THANK_YOU")) == ["GIVEN", "GIVEN"]
    assert len(await gift_entries(gql, "ann")) == 1
    assert len(await gift_entries(gql, "bob")) == 1


async def test_answers_are_exported_and_their_words_erased_with_the_member(
    gql: GraphQLClient,
) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    await enroll(gql, "bob")
    survey = await open_survey(gql)
    await submit(gql, "ann", survey, answers(nps=10, text="Ann's own words"))
    await submit(gql, "bob", survey, answers(nps=0, text="Bob's words"))
    document = await exported(gql, member_token("ann"))
    [response] = document["surveyResponses"]
    assert response["surveyName"] == "Q3"
    assert [a["questionKey"] for a in response["answers"]] == [
        "nps", "delivery", "channel", "comment",
    ]  # fmt: skip
    assert response["answers"][-1]["text"] == "Ann's own words"
    assert "Bob's words" not in str(document)
    assert (await erase(gql, externalId="ann"))["userErrors"] == []
    texts = await gql.ok(TEXTS, {"id": survey}, bearer=ADMIN)
    assert [e["node"]["text"] for e in texts["survey"]["textAnswers"]["edges"]] == ["Bob's words"]
    found = await results(gql, survey)
    assert found["responses"] == 2  # an erased member's scores stay, as nobody's
    assert found["nps"]["promoters"] == found["nps"]["detractors"] == 1
    assert found["questions"][-1]["answers"] == 1
