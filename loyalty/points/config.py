"""A program's points configuration, stored as JSON on the program row."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from backbone.uow import UnitOfWork
from domain.events import PointsConfigured
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
from loyalty.commands import ConfigurePoints
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


async def configure_points(command: ConfigurePoints, uow: UnitOfWork) -> Program:
    """Replace the program's points configuration. Entries already written keep their
    explanations: a rule change never rewrites history."""
    validate_points_config(command.config, listed_events=command.listed_events)
    async with uow:
        # No-key: members' writes take key-share locks on the program row (their foreign keys),
        # which a plain FOR UPDATE would make wait until this change commits.
        program = (
            await Program.select_for_update(no_key=True)
            .using_db(uow.connection)
            .get(id=command.program_id)
        )
        program.points_config = to_json(command.config)
        program.config_version += 1
        program.updated_at = uow.now()
        await program.save(
            update_fields=["points_config", "config_version", "updated_at"],
            using_db=uow.connection,
        )
        uow.record(PointsConfigured(program_id=program.id, config_version=program.config_version))
        return program
