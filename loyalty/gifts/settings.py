"""A program's gift settings (configureGift): one per kind, replaced whole, and the current
period of each gift's budget account topped up or cut to the new budget at once."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from backbone.uow import UnitOfWork
from domain import gifts as rules

if TYPE_CHECKING:
    from loyalty.gifts.commands import ConfigureGift

# The setting's columns under the alias `s`, as settings_of reads them.
SETTING = (
    "s.kind, s.points, s.budget_points, s.budget_period, s.member_cap, s.active, s.personalized,"
    " s.surprise_rule, s.every_nth_order, s.draw_basis_points, s.draw_seed,"
    " s.trigger_event_type, s.trigger_post_kind"
)
_UPSERT = """
INSERT INTO gift_setting (program_id, kind, points, budget_points, budget_period, member_cap,
  active, personalized, surprise_rule, every_nth_order, draw_basis_points, draw_seed,
  trigger_event_type, trigger_post_kind, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
ON CONFLICT (program_id, kind) DO UPDATE SET points = EXCLUDED.points,
  budget_points = EXCLUDED.budget_points, budget_period = EXCLUDED.budget_period,
  member_cap = EXCLUDED.member_cap, active = EXCLUDED.active,
  personalized = EXCLUDED.personalized, surprise_rule = EXCLUDED.surprise_rule,
  every_nth_order = EXCLUDED.every_nth_order, draw_basis_points = EXCLUDED.draw_basis_points,
  draw_seed = CASE WHEN $16 OR EXCLUDED.draw_seed IS NULL THEN EXCLUDED.draw_seed
    ELSE coalesce(gift_setting.draw_seed, EXCLUDED.draw_seed) END,
  trigger_event_type = EXCLUDED.trigger_event_type,
  trigger_post_kind = EXCLUDED.trigger_post_kind, updated_at = EXCLUDED.updated_at
RETURNING id
"""
_CURRENT_BUDGET = """
SELECT id, total, remaining FROM gift_budget
WHERE setting_id = $1 AND period = $2 AND period_start = $3 FOR UPDATE
"""
_SET_BUDGET = "UPDATE gift_budget SET total = $2, remaining = $3 WHERE id = $1"


@dataclass(frozen=True, slots=True, kw_only=True)
class Configured:
    setting_id: int
    settings: rules.GiftSettings


def settings_of(row: dict[str, Any]) -> rules.GiftSettings:
    basis_points = row["draw_basis_points"]
    return rules.GiftSettings(
        kind=rules.GiftKind(row["kind"]),
        points=row["points"],
        budget_points=row["budget_points"],
        budget_period=rules.Period(row["budget_period"]),
        member_cap=row["member_cap"],
        active=row["active"],
        personalized=row["personalized"],
        surprise_rule=rules.SurpriseRule(row["surprise_rule"]) if row["surprise_rule"] else None,
        every_nth_order=row["every_nth_order"],
        draw_probability=(
            Decimal(basis_points) / rules.DRAW_SCALE if basis_points is not None else None
        ),
        draw_seed=row["draw_seed"],
        trigger_event_type=row["trigger_event_type"],
        trigger_post_kind=row["trigger_post_kind"],
    )


async def configure_gift(command: ConfigureGift, uow: UnitOfWork) -> Configured:
    program, asked = command.program, command.settings
    settings = rules.validate(asked)
    async with uow:
        now = uow.now()
        chance = settings.draw_basis_points if settings.draw_probability is not None else None
        [row] = await uow.connection.execute_query_dict(
            _UPSERT,
            [
                program.id, settings.kind.value, settings.points, settings.budget_points,
                settings.budget_period.value, settings.member_cap, settings.active,
                settings.personalized,
                settings.surprise_rule.value if settings.surprise_rule else None,
                settings.every_nth_order, chance, settings.draw_seed,
                settings.trigger_event_type, settings.trigger_post_kind, now,
                asked.draw_seed is not None,
            ],
        )  # fmt: skip
        today = now.astimezone(ZoneInfo(program.timezone)).date()
        key = [row["id"], settings.budget_period.value]
        key.append(rules.period_start(settings.budget_period, today))
        current = await uow.connection.execute_query_dict(_CURRENT_BUDGET, key)
        if current:
            budget = current[0]
            after = rules.top_up(
                rules.Budget(budget["total"], budget["remaining"]), settings.budget_points
            )
            await uow.connection.execute_query_dict(
                _SET_BUDGET, [budget["id"], after.total, after.remaining]
            )
    return Configured(setting_id=row["id"], settings=settings)
