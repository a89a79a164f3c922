"""Campaign offers as pure rules: which of a member's offers applies now, and what it is worth.

A member holds an offer from the moment a campaign was delivered to it (SENT or OFFERED; a
held-out member holds none). Offers never stack: of several that apply at one moment the best
one counts (the highest multiplier, the deepest discount), so a member in two overlapping
campaigns gets what the more generous one promised, and never their product.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from domain.ledger import Balance, Posting, apply
from domain.validation import InvalidInput


@dataclass(frozen=True, slots=True)
class Offer:
    """One campaign's offer as delivered to one member: `value` is the points multiplier or the
    discount percent; it holds from `starts_at` (or the exposure, if later) until `ends_at`."""

    campaign_id: int
    value: Decimal
    starts_at: datetime | None
    ends_at: datetime | None
    exposed_at: datetime

    def applies_at(self, at: datetime) -> bool:
        """Inside the offer's window (end excluded) and after the member was reached."""
        if at < self.exposed_at:
            return False
        if self.starts_at is not None and at < self.starts_at:
            return False
        return self.ends_at is None or at < self.ends_at


def best_offer(offers: Iterable[Offer], at: datetime) -> Offer | None:
    """The most generous offer in force at `at`; of equals, the earliest campaign (stable)."""
    live = [offer for offer in offers if offer.applies_at(at)]
    if not live:
        return None
    return max(live, key=lambda offer: (offer.value, -offer.campaign_id))


@dataclass(frozen=True, slots=True)
class Discounted:
    price: int
    discount: int  # points taken off the price
    percent: int


def discounted_price(price: int, percent: int) -> Discounted:
    """`percent` off a points price, rounded once in the member's favour: the member pays the
    whole points below the exact discounted price (a 25 % discount on 10 points costs 7)."""
    if not 0 < percent <= 100:
        raise ValueError(f"a discount is 1 to 100 percent, not {percent}")
    pays = price * (100 - percent) // 100
    return Discounted(pays, price - pays, percent)


def multiplier_label(multiplier: Decimal) -> str:
    """How the multiplier line of an award's explanation reads (never the campaign's name: an
    admin's name for a segment, "at risk", is not for the member's eyes)."""
    return f"Campaign offer x{format(multiplier.normalize(), 'f')} on base points"


def discount_label(reward_name: str, discounted: Discounted) -> str:
    return f"Campaign offer: {discounted.percent}% off {reward_name}"


def gift_label() -> str:
    """What the member reads on a campaign gift's ledger entry."""
    return "A gift from us"


def gift_fits(balance: Balance, posting: Posting) -> bool:
    """Whether the ledger can take a gift's posting: a member whose balance it would carry past
    what a 32-bit Int holds gets no gift (its delivery stands), rather than the refusal failing
    the whole batch of deliveries, and every run after it, for every member in it."""
    try:
        apply(balance, posting)
    except InvalidInput:
        return False
    return True


def gift_source_ref(delivery_id: int) -> str:
    return f"campaign-gift:{delivery_id}"
