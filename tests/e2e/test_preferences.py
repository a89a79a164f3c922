"""The preference center through GraphQL, and the one answer other services ask of it: may this
member be messaged on this channel now (consent, channel, weekly cap, quiet hours)?"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from tortoise import connections

from consent.published import may_message, record_message
from domain.preferences import Channel, MessageVerdict
from loyalty.models import Member, Program
from tests.e2e.conftest import GraphQLClient
from tests.e2e.points_helpers import STORE, member_token

pytestmark = pytest.mark.e2e

PREFERENCES = """channels { channel enabled weeklyCap consented } topics
  quietHours { start end } timezone locale"""
READ = f"{{ me {{ preferences {{ {PREFERENCES} }} }} }}"
UPDATE = f"""mutation($input: UpdatePreferencesInput!) {{ updatePreferences(input: $input) {{
  preferences {{ {PREFERENCES} }} userErrors {{ field code }} }} }}"""
CONSENT = """mutation($input: UpdateConsentsInput!) { updateConsents(input: $input) {
  userErrors { code } } }"""


async def _update(gql: GraphQLClient, input: dict[str, Any], bearer: str) -> dict[str, Any]:
    data = await gql.ok(UPDATE, {"input": input}, bearer=bearer)
    payload: dict[str, Any] = data["updatePreferences"]
    return payload


async def test_defaults_then_changes_then_clearing(gql: GraphQLClient, ann: str) -> None:
    me = member_token(ann)
    prefs = (await gql.ok(READ, bearer=me))["me"]["preferences"]
    assert prefs == {
        "channels": [
            {"channel": c, "enabled": True, "weeklyCap": None, "consented": False}
            for c in ("EMAIL", "PUSH", "SMS")
        ],
        "topics": [],
        "quietHours": None,
        "timezone": "UTC",
        "locale": None,
    }
    payload = await _update(
        gql,
        {
            "sms": False,
            "emailWeeklyCap": 2,
            "topics": ["offers", "news", "offers"],
            "quietHours": {"start": "22:00", "end": "07:30"},
            "timezone": "Europe/Paris",
            "locale": "PT-br",
        },
        me,
    )
    assert payload["userErrors"] == []
    assert payload["preferences"] == {
        "channels": [
            {"channel": "EMAIL", "enabled": True, "weeklyCap": 2, "consented": False},
            {"channel": "PUSH", "enabled": True, "weeklyCap": None, "consented": False},
            {"channel": "SMS", "enabled": False, "weeklyCap": None, "consented": False},
        ],
        "topics": ["offers", "news"],
        "quietHours": {"start": "22:00", "end": "07:30"},
        "timezone": "Europe/Paris",
        "locale": "pt-BR",
    }
    cleared = await _update(
        gql,
        {"externalId": ann, "emailWeeklyCap": None, "quietHours": None, "timezone": None},
        STORE,
    )
    assert cleared["userErrors"] == []
    assert cleared["preferences"]["channels"][0]["weeklyCap"] is None
    assert cleared["preferences"]["quietHours"] is None
    assert cleared["preferences"]["timezone"] == "UTC"
    assert cleared["preferences"]["topics"] == ["offers", "news"]


async def test_bad_preferences_are_refused_at_their_fields(gql: GraphQLClient, ann: str) -> None:
    payload = await _update(
        gql,
        {
            "pushWeeklyCap": 1001,
            "topics": ["Bad topic"],
            "quietHours": {"start": "24:00", "end": "7:00"},
            "timezone": "Mars/Olympus",
            "locale": "not a locale",
        },
        member_token(ann),
    )
    assert sorted((tuple(e["field"]), e["code"]) for e in payload["userErrors"]) == sorted(
        [
            (("input", "quietHours", "start"), "INVALID_PREFERENCES"),
            (("input", "quietHours", "end"), "INVALID_PREFERENCES"),
        ]
    )
    payload = await _update(
        gql,
        {
            "pushWeeklyCap": 1001,
            "topics": ["Bad topic"],
            "timezone": "Mars/Olympus",
            "locale": "not a locale",
        },
        member_token(ann),
    )
    assert sorted((tuple(e["field"]), e["code"]) for e in payload["userErrors"]) == sorted(
        [
            (("input", "pushWeeklyCap"), "INVALID_PREFERENCES"),
            (("input", "topics", "0"), "INVALID_PREFERENCES"),
            (("input", "timezone"), "INVALID_TIMEZONE"),
            (("input", "locale"), "INVALID_LOCALE"),
        ]
    )
    assert payload["preferences"] is None


async def test_may_message_weighs_consent_channel_cap_and_quiet_hours(
    gql: GraphQLClient, ann: str
) -> None:
    me = member_token(ann)
    member = await Member.get(external_id=ann)
    program = await Program.get(key="acme")
    connection = connections.get("default")
    noon = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)  # 14:00 in Paris

    async def verdict(channel: Channel, now: datetime = noon) -> MessageVerdict:
        check = await may_message(connection, program.id, member.id, channel, now)
        return check.decision.verdict

    assert await verdict(Channel.EMAIL) is MessageVerdict.NO_CONSENT
    changes = [{"purpose": p, "granted": True} for p in ("marketing_email", "marketing_sms")]
    await gql.ok(CONSENT, {"input": {"changes": changes}}, bearer=me)
    assert await verdict(Channel.EMAIL) is MessageVerdict.ALLOWED
    await _update(
        gql,
        {
            "sms": False,
            "emailWeeklyCap": 1,
            "quietHours": {"start": "22:00", "end": "07:00"},
            "timezone": "Europe/Paris",
        },
        me,
    )
    assert await verdict(Channel.SMS) is MessageVerdict.CHANNEL_OFF
    late = datetime(2026, 6, 15, 21, 30, tzinfo=UTC)  # 23:30 in Paris
    assert await verdict(Channel.EMAIL, late) is MessageVerdict.QUIET_HOURS
    assert await verdict(Channel.EMAIL) is MessageVerdict.ALLOWED
    await record_message(connection, program.id, member.id, Channel.EMAIL, noon)
    assert await verdict(Channel.EMAIL) is MessageVerdict.CAP_REACHED
    week_later = datetime(2026, 6, 22, 12, 1, tzinfo=UTC)
    assert await verdict(Channel.EMAIL, week_later) is MessageVerdict.ALLOWED
    prefs = (await gql.ok(READ, bearer=me))["me"]["preferences"]
    assert [c["consented"] for c in prefs["channels"]] == [True, False, True]
