"""domain/gift_undoing.py: which events decide an order's surprise and which undo a gift, and
the budget account's credit back; and THANK_YOU settings refusing events that never fire."""

from __future__ import annotations

import pytest

from domain import gift_undoing as undo
from domain import gifts as rules
from domain.validation import ErrorCode, InvalidInput

pytestmark = pytest.mark.unit


def _earned(pending: bool, source: str = "order:o-1", code: str = "ORDER") -> dict[str, object]:
    return {"sourceRef": source, "reasonCode": code, "pending": pending}


def test_an_order_is_decided_when_its_points_are_spendable() -> None:
    assert undo.surprise_order("points.earned", _earned(False)) == "o-1"
    assert undo.surprise_order("points.earned", _earned(True)) is None  # waits for activation
    activated = {"sourceRef": "order:o-1", "reasonCode": "ACTIVATION"}
    assert undo.surprise_order("points.activated", activated) == "o-1"
    assert undo.surprise_order("points.earned", _earned(False, "gift:3", "GIFT")) is None
    assert undo.surprise_order("points.earned", _earned(False, code="MANUAL")) is None
    assert undo.surprise_order("points.activated", {"sourceRef": "challenge:2"}) is None
    assert undo.surprise_order("points.activated", {"sourceRef": None}) is None
    assert undo.surprise_order("points.reversed", _earned(False)) is None


def test_a_full_return_undoes_the_orders_surprise_and_a_removal_the_posts_thank_you() -> None:
    returned = {"orderId": "o-1", "fullyReturned": True}
    assert undo.undoing("order.returned", returned) == undo.Undoing(
        rules.GiftKind.SURPRISE,
        "order:o-1",
        rules.SkipReason.ORDER_RETURNED,
        undo.RevokeReason.ORDER_RETURNED,
    )
    assert undo.undoing("order.returned", {**returned, "fullyReturned": False}) is None
    for event_type in ("community.post_removed", "community.post_rejected"):
        found = undo.undoing(event_type, {"postId": 7})
        assert found is not None
        assert (found.kind, found.trigger, found.revoke_reason) == (
            rules.GiftKind.THANK_YOU,
            "post:7",
            undo.RevokeReason.POST_REMOVED,
        )
    assert undo.undoing("community.post_removed", {"postId": True}) is None
    assert undo.undoing("community.post_approved", {"postId": 7}) is None


def test_a_credit_back_never_takes_the_budget_above_its_total() -> None:
    assert undo.credit(rules.Budget(50, 20), 30) == rules.Budget(50, 50)
    for points in (31, 0, -1):
        with pytest.raises(ValueError, match="do not fit back"):
            undo.credit(rules.Budget(50, 20), points)


@pytest.mark.parametrize("trigger", ["points.earned", "points.x", "gift.given"])
def test_a_thank_you_for_the_ledgers_or_the_gifts_own_events_is_refused(trigger: str) -> None:
    settings = rules.GiftSettings(
        kind=rules.GiftKind.THANK_YOU, points=5, budget_points=50, trigger_event_type=trigger
    )
    with pytest.raises(InvalidInput) as refused:
        rules.validate(settings)
    [problem] = refused.value.problems
    assert (problem.field, problem.code) == (
        ("triggerEventType",),
        ErrorCode.INVALID_GIFT_CONFIG,
    )
