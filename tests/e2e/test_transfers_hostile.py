"""Transfers attacked from outside: hostile inputs, other programs' and roles' tokens, races with
the members' other writes, and what a member could learn of others; the ledger audit after."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from api.auth import Role
from domain.clock import FixedClock
from tests.conftest import token
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.partner_helpers import partner as partner_token
from tests.e2e.points_helpers import (
    ADMIN,
    STORE,
    assert_ledger_audits_clean,
    award_manual,
    bal,
    balance,
    configure,
    errors,
    key,
    ledger,
    member_token,
    redeem,
)
from tests.e2e.rewards_helpers import create_reward, redeem_reward
from tests.e2e.transfer_helpers import SEND, my_transfers, reverse, send, setup

pytestmark = pytest.mark.e2e

NODE = "query($id: ID!) { node(id: $id) { id ... on PointsTransfer { points message } } }"


async def _nothing_moved(gql: GraphQLClient, expected: dict[str, dict[str, int]]) -> None:
    for name, points in expected.items():
        assert await balance(gql, name) == points, name
        assert await my_transfers(gql, name) == [], name


async def test_hostile_amounts_are_refused_typed_or_as_bad_arguments(gql: GraphQLClient) -> None:
    codes = await setup(gql, {"ann": 1_000, "bob": 0})
    for points in (0, -1, -(2**31)):
        assert errors(await send(gql, "ann", codes["bob"], points)) == ["TRANSFER_BELOW_MINIMUM"]
    for bad in (2**31, 2**53, 1.5, "10", None):
        input = {"idempotencyKey": key(), "recipient": codes["bob"], "points": bad}
        body = await gql.post(SEND, {"input": input}, bearer=member_token("ann"))
        assert body.get("errors"), (bad, body)
        assert body.get("data") is None, (bad, body)
    assert errors(await send(gql, "ann", codes["bob"], 1_000_001)) == ["TRANSFER_ABOVE_MAXIMUM"]
    await _nothing_moved(gql, {"ann": bal(1_000, lifetime=1_000), "bob": bal(0)})


async def test_hostile_messages_and_keys_are_refused_and_nothing_moves(gql: GraphQLClient) -> None:
    codes = await setup(gql, {"ann": 1_000, "bob": 0})
    for message in ("bell\x07", "rtl\u202eevil", "zero\u200bwidth", "nul\x00", "x" * 10_000):
        refused = await send(gql, "ann", codes["bob"], 5, message=message)
        assert errors(refused) == ["INVALID_TRANSFER_MESSAGE"], repr(message[:20])
    for idem in ("", " k", "k" * 10_000, "k\x00"):
        input = {"idempotencyKey": idem, "recipient": codes["bob"], "points": 5}
        refused = await gql.ok(SEND, {"input": input}, bearer=member_token("ann"))
        assert errors(refused["transferPoints"]) == ["INVALID_IDEMPOTENCY_KEY"], repr(idem[:20])
    await _nothing_moved(gql, {"ann": bal(1_000, lifetime=1_000), "bob": bal(0)})
    # A blank message is no message; a long message of plain text up to the bound is kept.
    sent = await send(gql, "ann", codes["bob"], 5, message="   ")
    assert (sent["userErrors"], sent["transfer"]["message"]) == ([], None)


async def test_codes_are_matched_as_typed_and_look_alikes_reach_no_one(gql: GraphQLClient) -> None:
    """Spaces, hyphens and case do not matter; the code spelled with Cyrillic or full-width
    look-alikes, padded with a NUL or a zero-width space, or repeated to 8,000 characters
    reaches no one (Unicode case folding: tests/unit/test_transfer_rules.py)."""
    codes = await setup(gql, {"ann": 1_000, "bob": 0})
    bob = codes["bob"]
    spaced = f"  {bob[:4].lower()} {bob[4:]} "
    assert (await send(gql, "ann", spaced, 1))["userErrors"] == []
    cyrillic = bob.translate(
        str.maketrans("ABCEHKMPTX", "\u0410\u0412\u0421\u0415\u041d\u041a\u041c\u0420\u0422\u0425")
    )
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in bob)
    for text in (cyrillic, fullwidth, bob * 1_000, "\x00" + bob, bob + "\u200b"):
        if text != bob:
            assert errors(await send(gql, "ann", text, 1)) == ["RECIPIENT_UNAVAILABLE"], text
    assert await balance(gql, "bob") == bal(1)


async def test_held_points_are_not_transferable(gql: GraphQLClient) -> None:
    codes = await setup(gql, {"ann": 150, "bob": 0})
    reward = await create_reward(gql, pointsCost=100)
    held = await redeem_reward(gql, "ann", reward["id"], hold=True)
    assert held["userErrors"] == [], held
    assert errors(await send(gql, "ann", codes["bob"], 60)) == ["INSUFFICIENT_POINTS"]
    assert (await send(gql, "ann", codes["bob"], 50))["userErrors"] == []
    assert await balance(gql, "bob") == bal(50)
    await assert_ledger_audits_clean()


async def test_other_roles_programs_and_forged_tokens_reach_nothing(gql: GraphQLClient) -> None:
    codes = await setup(gql, {"ann": 100, "bob": 0})
    transfer = (await send(gql, "ann", codes["bob"], 10, message="secret"))["transfer"]
    await provision(gql, "globex")
    await enroll(gql, "ann", program="globex")  # the same externalId in another program
    forged = member_token("ann")[:-4] + "AAAA"
    partner = await partner_token(gql, "auditor")
    input = {"idempotencyKey": key(), "recipient": codes["bob"], "points": 5}
    for bearer in (forged, "not-a-jwt"):
        body = await gql.post(SEND, {"input": input}, bearer=bearer)
        assert body["errors"], body
    body = await gql.post(SEND, {"input": input}, bearer=partner)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # globex's ann is not acme's ann: her token moves nothing here, and sees nothing.
    other = await send(gql, "ann", codes["bob"], 5, program="globex")
    assert errors(other) in (["TRANSFERS_DISABLED"], ["RECIPIENT_UNAVAILABLE"])
    for bearer in (member_token("ann", "globex"), partner, token(Role.ADMIN, "globex")):
        assert (await gql.ok(NODE, {"id": transfer["id"]}, bearer=bearer))["node"] is None
    for bearer in (STORE, member_token("bob"), partner):
        body = await gql.post(
            """mutation($input: ReverseTransferInput!) {
              reverseTransfer(input: $input) { userErrors { code } } }""",
            {"input": {"idempotencyKey": key(), "transferId": transfer["id"], "reason": "x"}},
            bearer=bearer,
        )
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # Ids of another type, or malformed, name no transfer.
    for bad in (transfer["sentEntryId"], transfer["senderId"], "%%%", "UG9pbnRzVHJhbnNmZXI6OTk5"):
        refused = await reverse(gql, bad)
        assert errors(refused) in (["INVALID_ID"], ["TRANSFER_NOT_FOUND"]), bad
    assert await balance(gql, "ann") == bal(90, lifetime=100)
    assert await balance(gql, "bob") == bal(10)


async def test_answers_tell_a_sender_nothing_about_who_else_a_code_might_be(
    gql: GraphQLClient,
) -> None:
    """Unknown, suspended, erased and other programs' codes all answer the same, word for word."""
    codes = await setup(gql, {"ann": 100, "bob": 0, "cy": 0})
    cy_id = (await gql.ok("{ me { id } }", bearer=member_token("cy")))["me"]["id"]
    await gql.ok(
        """mutation($input: UpdateMemberInput!) { updateMember(input: $input) { userErrors { code } } }""",
        {"input": {"id": cy_id, "status": "SUSPENDED"}},
        bearer=STORE,
    )
    await provision(gql, "globex")
    await enroll(gql, "zed", program="globex")
    zed = (await gql.ok("{ me { referralCode } }", bearer=member_token("zed", "globex")))["me"]
    answers = [
        (await send(gql, "ann", text, 5))["userErrors"]
        for text in ("ZZZZZZZZ", codes["cy"], zed["referralCode"], "nonsense!")
    ]
    assert all(answer == answers[0] for answer in answers), answers
    assert [error["code"] for error in answers[0]] == ["RECIPIENT_UNAVAILABLE"]
    assert await balance(gql, "ann") == bal(100, lifetime=100)


async def test_same_key_with_different_inputs_at_once_makes_at_most_one_transfer(
    gql: GraphQLClient,
) -> None:
    codes = await setup(gql, {"ann": 1_000, "bob": 0, "cy": 0})
    idem = key()
    answers = await asyncio.gather(
        *(send(gql, "ann", codes["bob" if i % 2 else "cy"], 10 + i, idem=idem) for i in range(10))
    )
    done = [answer for answer in answers if not answer["userErrors"]]
    assert len(done) == 1, answers
    assert (
        sorted(code for answer in answers for code in errors(answer))
        == ["IDEMPOTENCY_KEY_REUSED"] * 9
    )
    points = done[0]["transfer"]["points"]
    assert await balance(gql, "ann") == bal(1_000 - points, lifetime=1_000)
    await assert_ledger_audits_clean()


async def test_transfers_racing_the_senders_redemptions_never_overdraw(gql: GraphQLClient) -> None:
    codes = await setup(gql, {"ann": 1_000, "bob": 0})
    answers = await asyncio.gather(
        *(send(gql, "ann", codes["bob"], 100) for _ in range(8)),
        *(redeem(gql, "ann", 100) for _ in range(8)),
    )
    succeeded = sum(1 for answer in answers if not answer["userErrors"])
    assert succeeded == 10
    assert {code for answer in answers for code in errors(answer)} == {"INSUFFICIENT_POINTS"}
    ann, bob = await balance(gql, "ann"), await balance(gql, "bob")
    assert ann["available"] == 0
    assert bob["available"] == 100 * len(await my_transfers(gql, "bob"))
    await assert_ledger_audits_clean()


async def test_concurrent_reversals_of_one_transfer_reverse_it_once(gql: GraphQLClient) -> None:
    codes = await setup(gql, {"ann": 1_000, "bob": 0})
    transfer = (await send(gql, "ann", codes["bob"], 300))["transfer"]
    answers = await asyncio.gather(*(reverse(gql, transfer["id"]) for _ in range(6)))
    assert (
        sorted(code for answer in answers for code in errors(answer))
        == ["TRANSFER_ALREADY_REVERSED"] * 5
    )
    assert await balance(gql, "ann") == bal(1_000, lifetime=1_000)
    assert await balance(gql, "bob") == bal(0)
    await assert_ledger_audits_clean()


async def test_a_reversal_racing_the_recipient_spending_leaves_a_consistent_debt(
    gql: GraphQLClient,
) -> None:
    codes = await setup(gql, {"ann": 1_000, "bob": 0})
    transfers = [(await send(gql, "ann", codes["bob"], 100))["transfer"] for _ in range(5)]
    answers = await asyncio.gather(
        *(reverse(gql, transfer["id"]) for transfer in transfers),
        *(redeem(gql, "bob", 100) for _ in range(5)),
    )
    reversals, spends = answers[:5], answers[5:]
    assert all(answer["userErrors"] == [] for answer in reversals), reversals
    spent = 100 * sum(1 for answer in spends if not answer["userErrors"])
    assert await balance(gql, "ann") == bal(1_000, lifetime=1_000)
    bob = await balance(gql, "bob")
    assert (bob["available"], bob["debt"]) == (0, spent)
    await assert_ledger_audits_clean()


async def test_many_transfers_and_reversals_at_once_between_members_audit_clean(
    gql: GraphQLClient,
) -> None:
    names = ("ann", "bob", "cy", "dee")
    codes = await setup(gql, dict.fromkeys(names, 500))
    first = [(await send(gql, "ann", codes[name], 50))["transfer"] for name in names[1:]]
    answers = await asyncio.gather(
        *(
            send(gql, sender, codes[recipient], 7)
            for sender in names
            for recipient in names
            if sender != recipient
            for _ in range(2)
        ),
        *(reverse(gql, transfer["id"]) for transfer in first),
    )
    assert all(answer["userErrors"] == [] for answer in answers), answers
    totals = [await balance(gql, name) for name in names]
    assert sum(found["available"] for found in totals) == 2_000
    assert all(found["available"] == 500 for found in totals)  # 6 sent, 6 received each
    await assert_ledger_audits_clean()


async def test_an_erased_senders_transfer_can_still_be_reversed_and_audits_clean(
    gql: GraphQLClient,
) -> None:
    from tests.e2e.privacy_helpers import erase

    codes = await setup(gql, {"ann": 200, "bob": 0})
    transfer = (await send(gql, "ann", codes["bob"], 80, message="hi bob"))["transfer"]
    ann_id = transfer["senderId"]
    await erase(gql, id=ann_id)
    seen = await gql.ok(NODE, {"id": transfer["id"]}, bearer=member_token("bob"))
    assert seen["node"]["message"] is None
    assert (await reverse(gql, transfer["id"]))["userErrors"] == []
    assert await balance(gql, "bob") == bal(0)
    await assert_ledger_audits_clean()


async def test_the_recipient_sees_its_entries_with_reasons_and_no_sender_identity(
    gql: GraphQLClient,
) -> None:
    codes = await setup(gql, {"ann": 200, "bob": 0})
    transfer = (await send(gql, "ann", codes["bob"], 80))["transfer"]
    [entry] = await ledger(gql, "bob")
    assert entry["reason"] == "Points received from another member"
    assert "ann" not in str(entry).lower()
    assert (await reverse(gql, transfer["id"], "Card fraud"))["userErrors"] == []
    newest = (await ledger(gql, "bob"))[0]
    assert newest["reason"] == "Transfer reversed by the program: Card fraud"


async def test_the_transfers_of_a_page_of_members_cost_as_those_of_one(gql: GraphQLClient) -> None:
    """Member.transfers under members(first:) is one batched read, not one per member."""
    from tests.e2e.test_query_counts import _queries

    page = "{ members(first: 100) { edges { node { id transfers(first: 5) { edges { node { id direction } } } } } } }"
    codes = await setup(gql, {"ann": 1_000, "bob": 0})
    await send(gql, "ann", codes["bob"], 5)
    few = await _queries(gql, page, ADMIN)
    more = {f"m{i}": 10 for i in range(12)}
    for name in more:
        await enroll(gql, name)
        await award_manual(gql, name, 10)
        assert (await send(gql, name, codes["bob"], 3))["userErrors"] == []
    assert await _queries(gql, page, ADMIN) == few
    data = await gql.ok(page, bearer=ADMIN)
    seen = {len(edge["node"]["transfers"]["edges"]) for edge in data["members"]["edges"]}
    assert seen == {1, 5}  # each sender one; bob's page capped at 5 of his 13


async def test_a_counterparts_member_id_opens_nothing_of_it(gql: GraphQLClient) -> None:
    codes = await setup(gql, {"ann": 100, "bob": 0})
    transfer = (await send(gql, "ann", codes["bob"], 10))["transfer"]
    probe = """query($id: ID!) { node(id: $id) { id ... on Member { email displayName
      points { available } } } }"""
    for viewer, other in (("bob", transfer["senderId"]), ("ann", transfer["recipientId"])):
        assert (await gql.ok(probe, {"id": other}, bearer=member_token(viewer)))["node"] is None
        body = await gql.post(
            "query($id: ID!) { member(id: $id) { email } }", {"id": other},
            bearer=member_token(viewer),
        )  # fmt: skip
        assert (body.get("data") or {}).get("member") is None, body


async def test_points_past_their_expiry_are_not_sent_before_any_job_ran(
    gql: GraphQLClient, clock: FixedClock
) -> None:
    codes = await setup(gql, {"ann": 0, "bob": 0})
    await configure(gql, expiry={"mode": "AFTER_DAYS", "amount": 30})
    await award_manual(gql, "ann", 100)
    clock.advance(timedelta(days=31))
    assert errors(await send(gql, "ann", codes["bob"], 50)) == ["INSUFFICIENT_POINTS"]
    assert await balance(gql, "bob") == bal(0)
    assert (await balance(gql, "ann"))["available"] == 0
    await assert_ledger_audits_clean()


async def test_the_daily_caps_turn_at_the_programs_midnight_not_utcs(
    gql: GraphQLClient, clock: FixedClock
) -> None:
    codes = await setup(gql, {"ann": 5_000, "bob": 0}, maxPoints=100, dailySentCap=100)
    changed = await gql.ok(
        """mutation($input: UpdateProgramInput!) { updateProgram(input: $input) {
          userErrors { code } } }""",
        {"input": {"name": "Acme", "timezone": "America/New_York", "defaultLocale": "en"}},
        bearer=ADMIN,
    )
    assert changed["updateProgram"]["userErrors"] == []
    clock.set(datetime(2026, 6, 15, 23, 30, tzinfo=UTC))  # 19:30 in New York
    assert (await send(gql, "ann", codes["bob"], 100))["userErrors"] == []
    clock.set(datetime(2026, 6, 16, 3, 59, tzinfo=UTC))  # a new UTC day, 23:59 in New York
    assert errors(await send(gql, "ann", codes["bob"], 1)) == ["TRANSFER_DAILY_SENT_CAP"]
    clock.set(datetime(2026, 6, 16, 4, 0, tzinfo=UTC))  # midnight in New York
    assert (await send(gql, "ann", codes["bob"], 100))["userErrors"] == []
    assert errors(await send(gql, "ann", codes["bob"], 1)) == ["TRANSFER_DAILY_SENT_CAP"]
    assert await balance(gql, "bob") == bal(200)
