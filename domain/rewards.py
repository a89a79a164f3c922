"""The rewards catalog as pure rules: what a reward is, and which inputs describe one.

Every field an admin sends is checked here before anything reaches SQL; all problems of one input
are reported together. Redemption-time rules (windows, prices, limits, suggestions, codes) are in
domain/redemptions.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from urllib.parse import urlsplit

from domain.currency import minor_unit_exponent
from domain.ledger import MAX_POINTS
from domain.validation import ErrorCode, ProblemCollector, is_plain

NAME_MAX = 100
DESCRIPTION_MAX = 2000
IMAGE_URL_MAX = 2048
MAX_STOCK = 1_000_000_000  # fits the 32-bit Int clients read
MAX_LIMIT = 1000
MAX_TIERS = 20
TIER_KEY_MAX = 32
MAX_FIXED_DISCOUNT = Decimal(1_000_000)
PERCENT_SCALE = 2
_TIER_KEY = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}", re.ASCII)


class RewardKind(StrEnum):
    DISCOUNT_CODE = "DISCOUNT_CODE"
    PHYSICAL_ITEM = "PHYSICAL_ITEM"
    EXPERIENCE = "EXPERIENCE"
    DONATION = "DONATION"


class DiscountType(StrEnum):
    FIXED_AMOUNT = "FIXED_AMOUNT"
    PERCENTAGE = "PERCENTAGE"
    FREE_SHIPPING = "FREE_SHIPPING"


class CodeSource(StrEnum):
    """GENERATED: an unguessable code made at redemption; POOL: drawn from codes an admin imported."""

    GENERATED = "GENERATED"
    POOL = "POOL"


class LimitPeriod(StrEnum):
    """Calendar periods in the program's time zone, or the member's whole membership."""

    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    YEAR = "YEAR"
    LIFETIME = "LIFETIME"


@dataclass(frozen=True, slots=True)
class Discount:
    type: DiscountType
    value: Decimal | None  # an amount in the program's currency, a percentage, or none


@dataclass(frozen=True, slots=True)
class MemberLimit:
    count: int
    period: LimitPeriod


@dataclass(frozen=True, slots=True)
class RewardSpec:
    """A reward's catalog fields, as the admin set them (already checked when built here)."""

    name: str
    description: str
    image_url: str | None
    kind: RewardKind
    discount: Discount | None
    code_source: CodeSource | None
    points_cost: int
    tier_prices: tuple[tuple[str, int], ...]  # (tier key, points) as listed
    tier_gate: tuple[str, ...]
    stock: int | None
    limit: MemberLimit | None
    available_from: datetime | None
    available_until: datetime | None
    active: bool
    refundable: bool


def validate_reward(spec: RewardSpec, *, currency: str) -> RewardSpec:
    """The spec with its texts trimmed; InvalidInput with every problem otherwise."""
    problems = ProblemCollector()
    code = ErrorCode.INVALID_REWARD
    name = problems.one_line_text(
        "name", spec.name, max_length=NAME_MAX, label="name", code=ErrorCode.INVALID_NAME
    )
    description = spec.description.strip()
    if len(description) > DESCRIPTION_MAX or not all(
        is_plain(line) for line in description.split("\n")
    ):
        problems.add(
            "description",
            f"description must be at most {DESCRIPTION_MAX} printable characters (line breaks allowed).",
            code,
        )
    if spec.image_url is not None and not is_image_url(spec.image_url):
        problems.add(
            "imageUrl",
            f"imageUrl must be an https URL of at most {IMAGE_URL_MAX} characters.",
            code,
        )
    _check_discount(problems, spec, currency)
    if not 1 <= spec.points_cost <= MAX_POINTS:
        problems.add(
            "pointsCost", f"pointsCost must be 1 to {MAX_POINTS}.", ErrorCode.INVALID_AMOUNT
        )
    if len(spec.tier_prices) > MAX_TIERS or len(spec.tier_gate) > MAX_TIERS:
        problems.add(("tierPrices",), f"At most {MAX_TIERS} tiers may be named.", code)
    for index, (key, points) in enumerate(spec.tier_prices):
        at = ("tierPrices", str(index))
        if not is_tier_key(key):
            problems.add((*at, "tier"), f"{key!r} is not a tier key.", code)
        elif key in dict(spec.tier_prices[:index]):
            problems.add((*at, "tier"), f"Tier {key!r} is priced twice.", code)
        if not 1 <= points <= MAX_POINTS:
            problems.add((*at, "points"), f"points must be 1 to {MAX_POINTS}.", code)
    for index, key in enumerate(spec.tier_gate):
        if not is_tier_key(key):
            problems.add(("tierGate", str(index)), f"{key!r} is not a tier key.", code)
        elif key in spec.tier_gate[:index]:
            problems.add(("tierGate", str(index)), "tierGate names this tier twice.", code)
    if spec.stock is not None and not 0 <= spec.stock <= MAX_STOCK:
        problems.add("stock", f"stock must be 0 to {MAX_STOCK}, or null for unlimited.", code)
    if spec.limit is not None and not 1 <= spec.limit.count <= MAX_LIMIT:
        problems.add(("memberLimit", "count"), f"count must be 1 to {MAX_LIMIT}.", code)
    start, end = spec.available_from, spec.available_until
    if any(moment is not None and moment.tzinfo is None for moment in (start, end)):
        problems.add("availableFrom", "Instants need their UTC offset.", code)
    elif start is not None and end is not None and start >= end:
        problems.add("availableUntil", "availableUntil must be after availableFrom.", code)
    problems.raise_if_any()
    assert name is not None
    return RewardSpec(
        name,
        description,
        spec.image_url,
        spec.kind,
        spec.discount,
        spec.code_source,
        spec.points_cost,
        spec.tier_prices,
        spec.tier_gate,
        spec.stock,
        spec.limit,
        start,
        end,
        spec.active,
        spec.refundable,
    )


def _check_discount(problems: ProblemCollector, spec: RewardSpec, currency: str) -> None:
    code = ErrorCode.INVALID_REWARD
    is_code = spec.kind is RewardKind.DISCOUNT_CODE
    if is_code != (spec.discount is not None) or is_code != (spec.code_source is not None):
        problems.add(
            "discount",
            "discount and codeSource are required for, and only for, DISCOUNT_CODE.",
            code,
        )
    discount = spec.discount
    if discount is None:
        return
    value = discount.value
    match discount.type:
        case DiscountType.FREE_SHIPPING:
            if value is not None:
                problems.add(("discount", "value"), "FREE_SHIPPING takes no value.", code)
        case DiscountType.FIXED_AMOUNT:
            scale = minor_unit_exponent(currency)
            low = Decimal(1).scaleb(-scale)
            if value is None:
                problems.add(("discount", "value"), "FIXED_AMOUNT needs a value.", code)
            else:
                problems.decimal(
                    ("discount", "value"), value, low=low, high=MAX_FIXED_DISCOUNT, scale=scale,
                    label=f"A {currency} amount", code=ErrorCode.INVALID_AMOUNT,
                )  # fmt: skip
        case DiscountType.PERCENTAGE:
            if value is None:
                problems.add(("discount", "value"), "PERCENTAGE needs a value.", code)
            else:
                problems.decimal(
                    ("discount", "value"), value, low=Decimal("0.01"), high=Decimal(100),
                    scale=PERCENT_SCALE, label="A percentage", code=ErrorCode.INVALID_AMOUNT,
                )  # fmt: skip


def is_tier_key(key: str) -> bool:
    return _TIER_KEY.fullmatch(key) is not None


def is_image_url(url: str) -> bool:
    """An absolute https URL on one line: shown in apps, so never javascript: or plain http."""
    if len(url) > IMAGE_URL_MAX or not is_plain(url) or any(c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname)
