"""Why a gift was given or not, in plain words: the `why` of a `Gift` (its ledger entry answers
its own, as every entry does: domain/why.py)."""

from __future__ import annotations

from domain.consent import ACCOUNT, PERSONALIZATION
from domain.gift_undoing import RevokeReason
from domain.gifts import GiftKind, SkipReason, Status, reason
from domain.why import LOYALTY_ACTIVITY, PURCHASE_HISTORY, Factor, Why

_WHY = {
    GiftKind.WELCOME: "a welcome gift for joining the program",
    GiftKind.BIRTHDAY: "a gift for your birthday",
    GiftKind.ANNIVERSARY: "a gift for the anniversary of the day you joined",
    GiftKind.SURPRISE: "a surprise at one of your orders",
    GiftKind.THANK_YOU: "a thank-you for your contribution",
}
# A THANK_YOU says what it thanks for when its trigger names it (domain/gifts.THANKED_FOR).
_THANKED_WHY = {"response": "a thank-you for answering a survey"}
_SKIPPED_WHY = {
    SkipReason.BUDGET_SPENT: "the gift's budget for the period was spent",
    SkipReason.MEMBER_CAP: "you had reached the most gifts of this kind for the period",
    SkipReason.NO_CONSENT: "it is personalised, and you object to personalisation",
    SkipReason.NOT_ACTIVE: "the account was not active",
    SkipReason.SWITCHED_OFF: "the program switched this gift off",
    SkipReason.ORDER_RETURNED: "its order was returned",
    SkipReason.POST_REMOVED: "its post was removed or rejected",
}
_REVOKED_WHY = {
    RevokeReason.ORDER_RETURNED: "the order was returned",
    RevokeReason.POST_REMOVED: "the post was removed or rejected",
}


def explain(
    *,
    kind: GiftKind,
    status: Status,
    points: int,
    trigger: str,
    occasion: int | None,
    personalized: bool,
    skipped: SkipReason | None,
    revoked: RevokeReason | None = None,
) -> Why:
    """Why a gift was given (or not): its kind and trigger; a personalised one says it used the
    member's activity for personalisation."""
    what = _WHY[kind]
    if kind is GiftKind.THANK_YOU:
        what = _THANKED_WHY.get(trigger.partition(":")[0], what)
    if status is Status.GIVEN:
        summary = f"{points} points given: {what} ({reason(kind, occasion)})."
    elif status is Status.SKIPPED and skipped is not None:
        summary = f"Not given: {what}, but {_SKIPPED_WHY[skipped]}."
    elif status is Status.REVOKED and revoked is not None:
        summary = f"{points} points taken back: {what}, but {_REVOKED_WHY[revoked]}."
    else:
        summary = f"Due: {what}; it is given within a minute."
    factors = [Factor("kind", kind.value), Factor("trigger", trigger)]
    if occasion is not None:
        factors.append(Factor("occasion", str(occasion)))
    if skipped is not None:
        factors.append(Factor("skipped", skipped.value))
    if revoked is not None:
        factors.append(Factor("revoked", revoked.value))
    purposes = (ACCOUNT, PERSONALIZATION) if personalized else (ACCOUNT,)
    used = (LOYALTY_ACTIVITY, PURCHASE_HISTORY) if personalized else (LOYALTY_ACTIVITY,)
    return Why(summary, tuple(factors), used, purposes)
