"""'Why am I seeing this': plain-words reasons for what the program chose for a member.

Each answer names what decided it (factors), which kinds of the member's data it used and for
which purposes (domain/consent.py's keys): points and tiers run the member's account (the
`account` purpose, a contract basis); suggestions are personalisation (`personalization`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.consent import ACCOUNT, CATEGORY_WORDS, PERSONALIZATION, DataCategory
from domain.ledger import EntryKind

LOYALTY_ACTIVITY = CATEGORY_WORDS[DataCategory.LOYALTY_ACTIVITY]
PURCHASE_HISTORY = CATEGORY_WORDS[DataCategory.PURCHASE_HISTORY]


@dataclass(frozen=True, slots=True)
class Factor:
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Why:
    summary: str
    factors: tuple[Factor, ...]
    data_used: tuple[str, ...]
    purposes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a ledger entry's explanation."""

    code: str
    label: str
    points: int


_VERBS = {
    EntryKind.EARN: "earned",
    EntryKind.REDEEM: "spent",
    EntryKind.EXPIRE: "expired",
    EntryKind.REVERSE: "taken back",
    EntryKind.ADJUST: "corrected",
    EntryKind.ACTIVATE: "became spendable",
    EntryKind.HOLD: "reserved for a checkout",
    EntryKind.RELEASE: "given back from a checkout",
    EntryKind.REFUND: "refunded",
    EntryKind.TRANSFER_OUT: "transferred away",
    EntryKind.TRANSFER_IN: "transferred to you",
}
_ORDER_REASONS = frozenset({"ORDER", "RETURN"})


def _points(n: int) -> str:
    return f"{n} point" if abs(n) == 1 else f"{n} points"


def for_entry(
    *,
    kind: EntryKind,
    points: int,
    reason_code: str,
    reason: str,
    source_ref: str | None,
    lines: Sequence[Line],
) -> Why:
    """A ledger entry: what moved the points, line by line."""
    summary = f"{_points(abs(points))} {_VERBS[kind]}: {reason}."
    if len(lines) > 1:
        summary += " " + "; ".join(f"{line.label} ({line.points:+d})" for line in lines) + "."
    factors = [Factor("reason", reason_code)]
    if source_ref:
        factors.append(Factor("source", source_ref))
    factors += [Factor(line.code, f"{line.label} ({line.points:+d})") for line in lines]
    used = (PURCHASE_HISTORY, LOYALTY_ACTIVITY) if reason_code in _ORDER_REASONS else ()
    return Why(summary, tuple(factors), used or (LOYALTY_ACTIVITY,), (ACCOUNT,))


_TIER_REASONS = {
    "QUALIFIED": "your qualifying {metric} reached {to}'s threshold{of}",
    "EVALUATION": "the program's evaluation applied its current thresholds",
    "DOWNGRADE": "the grace period ended with your qualifying {metric} below {from_} threshold",
    "ASSIGNED": "the program's staff assigned you {to}",
    "ASSIGNMENT_ENDED": "the staff's assignment ended; you have the tier your activity earns",
}
_METRIC_WORDS = {"POINTS": "points", "SPEND": "spend"}


def for_tier_change(
    *,
    from_tier: str | None,
    to_tier: str,
    reason: str,
    note: str | None,
    metric: str | None = None,
    threshold: str | None = None,
) -> Why:
    """A change of tier: from what, to what, the rule that moved it and, when the program still
    has the tier, what qualifies for it (its threshold as it stands now)."""
    words = _TIER_REASONS.get(reason, reason.lower()).format(
        to=to_tier,
        from_=f"{from_tier}'s" if from_tier else "the",
        metric=_METRIC_WORDS.get(metric or "", "activity"),
        of=f" of {threshold}" if threshold is not None else "",
    )
    summary = (
        f"Your tier moved from {from_tier} to {to_tier}: {words}."
        if from_tier
        else f"Your tier became {to_tier}: {words}."
    )
    factors = [Factor("reason", reason)]
    if from_tier:
        factors.append(Factor("fromTier", from_tier))
    factors.append(Factor("toTier", to_tier))
    if metric is not None:
        factors.append(Factor("metric", metric))
    if threshold is not None:
        factors.append(Factor("threshold", threshold))
    if note:
        factors.append(Factor("note", note))
    used: tuple[str, ...] = ()
    if reason != "ASSIGNED":
        used = (PURCHASE_HISTORY, LOYALTY_ACTIVITY) if metric == "SPEND" else (LOYALTY_ACTIVITY,)
    return Why(summary, tuple(factors), used, (ACCOUNT,))


def for_suggestion(
    *, reward: str, price: int, available: int, points_needed: int, progress_percent: int
) -> Why:
    """A reward suggested because it is nearly affordable."""
    summary = (
        f"Suggested because you are close to {reward}: you have {available} of its {price} "
        f"points ({progress_percent}%), {_points(points_needed)} to go."
    )
    factors = (
        Factor("price", str(price)),
        Factor("balance", str(available)),
        Factor("pointsNeeded", str(points_needed)),
        Factor("progressPercent", str(progress_percent)),
    )
    return Why(summary, factors, (LOYALTY_ACTIVITY,), (PERSONALIZATION,))
