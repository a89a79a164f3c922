"""A program's transfer limits: read inside a transfer's transaction (the defaults until an
admin sets its own), and replaced whole by configureTransfers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise.backends.base.client import BaseDBAsyncClient

from backbone.uow import UnitOfWork
from domain import transfers as rules

if TYPE_CHECKING:
    from loyalty.points.transfer_commands import ConfigureTransfers

_READ = """
SELECT enabled, min_points, max_points, daily_sent_cap, daily_received_cap, min_membership_days
FROM points_transfer_settings WHERE program_id = $1
"""
_UPSERT = """
INSERT INTO points_transfer_settings (program_id, enabled, min_points, max_points,
  daily_sent_cap, daily_received_cap, min_membership_days, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (program_id) DO UPDATE SET enabled = EXCLUDED.enabled,
  min_points = EXCLUDED.min_points, max_points = EXCLUDED.max_points,
  daily_sent_cap = EXCLUDED.daily_sent_cap, daily_received_cap = EXCLUDED.daily_received_cap,
  min_membership_days = EXCLUDED.min_membership_days, updated_at = EXCLUDED.updated_at
"""


async def settings_of(connection: BaseDBAsyncClient, program_id: int) -> rules.TransferSettings:
    """The limits in force: a transfer reads them in its own transaction (READ COMMITTED), so a
    change committed before it counts, whichever worker's cache is older."""
    rows = await connection.execute_query_dict(_READ, [program_id])
    return rules.TransferSettings(**rows[0]) if rows else rules.DEFAULTS


async def configure_transfers(
    command: ConfigureTransfers, uow: UnitOfWork
) -> rules.TransferSettings:
    settings = rules.validate_settings(command.settings)
    async with uow:
        await uow.connection.execute_query_dict(
            _UPSERT,
            [
                command.program.id, settings.enabled, settings.min_points, settings.max_points,
                settings.daily_sent_cap, settings.daily_received_cap,
                settings.min_membership_days, uow.now(),
            ],
        )  # fmt: skip
    return settings
