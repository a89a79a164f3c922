"""A program's points configuration, stored as JSON on the program row."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from tortoise.transactions import in_transaction

from domain.clock import Clock
from domain.points_config import (
    Bonus,
    Cap,
    CapPeriod,
    ClawbackPolicy,
    Expiry,
    ExpiryMode,
    PointsConfig,
    Rounding,
    validate_points_config,
)
from loyalty.locks import retried
from loyalty.models import Program


def to_json(config: PointsConfig) -> dict[str, Any]:
    """Decimals as strings: JSON numbers would round-trip through float."""
    return {
        "earn_rate": str(config.earn_rate),
        "rounding": config.rounding.value,
        "bonuses": [
            {"multiplier": str(b.multiplier), "sku": b.sku, "category": b.category}
            for b in config.bonuses
        ],
        "events": dict(config.events),
        "cap": None
        if config.cap is None
        else {"period": config.cap.period.value, "max_points": config.cap.max_points},
        "pending_days": config.pending_days,
        "expiry": {
            "mode": config.expiry.mode.value,
            "amount": config.expiry.amount,
            "round_to_month_end": config.expiry.round_to_month_end,
        },
        "clawback": config.clawback.value,
    }


def from_json(data: dict[str, Any] | None) -> PointsConfig:
    """The stored configuration; a program that never configured points gets the defaults."""
    if not data:
        return PointsConfig()
    cap = data["cap"]
    expiry = data["expiry"]
    return PointsConfig(
        earn_rate=Decimal(data["earn_rate"]),
        rounding=Rounding(data["rounding"]),
        bonuses=tuple(
            Bonus(Decimal(b["multiplier"]), sku=b["sku"], category=b["category"])
            for b in data["bonuses"]
        ),
        events={str(k): int(v) for k, v in data["events"].items()},
        cap=None if cap is None else Cap(CapPeriod(cap["period"]), int(cap["max_points"])),
        pending_days=int(data["pending_days"]),
        expiry=Expiry(
            ExpiryMode(expiry["mode"]), int(expiry["amount"]), bool(expiry["round_to_month_end"])
        ),
        clawback=ClawbackPolicy(data["clawback"]),
    )


@retried
async def configure_points(
    program_id: int,
    config: PointsConfig,
    *,
    clock: Clock,
    listed_events: Sequence[tuple[str, int]] | None = None,
) -> Program:
    """Replace the program's points configuration. Entries already written keep their
    explanations: a rule change never rewrites history. `listed_events`: the events as the
    client listed them, so duplicates and positions are judged (validate_points_config)."""
    validate_points_config(config, listed_events=listed_events)
    async with in_transaction():
        # No-key: members' writes take key-share locks on the program row (their foreign keys),
        # which a plain FOR UPDATE would make wait until this change commits.
        program = await Program.select_for_update(no_key=True).get(id=program_id)
        program.points_config = to_json(config)
        program.config_version += 1
        program.updated_at = clock.now()
        await program.save(update_fields=["points_config", "config_version", "updated_at"])
        return program
