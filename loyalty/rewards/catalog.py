"""The catalog's writes: rewards, their stock, pools of partner codes, the program's settings.

An admin's change locks the reward row (FOR NO KEY UPDATE) and nothing of a member's, so it never
waits in a circle with a redemption (backbone/locks.py): a redemption takes the same row last,
with its short conditional stock update.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from backbone.uow import UnitOfWork
from domain.events import RewardCodesImported, RewardCreated, RewardsConfigured, RewardUpdated
from domain.redemptions import LIVE, RewardsSettings, validate_pool_codes, validate_settings
from domain.rewards import CodeSource, Discount, MemberLimit, RewardSpec, validate_reward
from domain.validation import ErrorCode, InvalidInput, Problem
from loyalty.rewards.commands import ConfigureRewards, CreateReward, ImportCodes, UpdateReward
from loyalty.rewards.models import Redemption, Reward, RewardSettings

# What updateReward may change: kind, discount and code source are fixed at creation, since
# codes already handed out were made under them.
EDITABLE = frozenset(
    {
        "name", "description", "image_url", "points_cost", "tier_prices", "tier_gate", "stock",
        "limit", "available_from", "available_until", "active", "refundable",
    }
)  # fmt: skip
_IMPORT = """
INSERT INTO reward_code (program_id, reward_id, code, source, created_at)
SELECT $1, $2, code, 'POOL', $4 FROM unnest($3::varchar[]) AS code
ON CONFLICT (program_id, code) DO NOTHING RETURNING id
"""


async def create_reward(command: CreateReward, uow: UnitOfWork) -> Reward:
    spec = validate_reward(command.spec, currency=command.program.currency)
    async with uow:
        now = uow.now()
        reward = await Reward.create(
            program_id=command.program.id,
            **_columns(spec),
            stock_total=spec.stock,
            created_at=now,
            updated_at=now,
            using_db=uow.connection,
        )
        uow.record(RewardCreated(program_id=command.program.id, reward_id=reward.id))
    return reward


async def update_reward(command: UpdateReward, uow: UnitOfWork) -> Reward:
    unknown = set(command.changes) - EDITABLE
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    async with uow:
        reward = await locked_reward(uow.connection, command.program.id, command.reward_id)
        before = spec_of(reward)
        spec = validate_reward(
            dataclasses.replace(before, **command.changes), currency=command.program.currency
        )
        if spec.stock != before.stock:
            await _restock(uow.connection, reward, spec.stock)
        for name, value in _columns(spec).items():
            setattr(reward, name, value)
        reward.updated_at = uow.now()
        await reward.save(using_db=uow.connection)
        changed = tuple(
            _CAMEL.get(name, name)
            for name in sorted(EDITABLE)
            if getattr(before, name) != getattr(spec, name)
        )
        if changed:
            uow.record(
                RewardUpdated(program_id=reward.program_id, reward_id=reward.id, changed=changed)
            )
    return reward


_CAMEL = {
    "image_url": "imageUrl",
    "points_cost": "pointsCost",
    "tier_prices": "tierPrices",
    "tier_gate": "tierGate",
    "limit": "memberLimit",
    "available_from": "availableFrom",
    "available_until": "availableUntil",
}


async def _restock(connection: BaseDBAsyncClient, reward: Reward, left: int | None) -> None:
    """Set the units left; the total moves with them, so total - live redemptions = left holds.
    The row is locked: every redemption updates it too, so none commits between the count of
    live redemptions and this change."""
    if left is None:
        reward.stock_total = reward.stock_left = None
        return
    live = (
        await Redemption.filter(reward_id=reward.id, status__in=LIVE).using_db(connection).count()
    )
    reward.stock_total, reward.stock_left = live + left, left


async def import_codes(command: ImportCodes, uow: UnitOfWork) -> int:
    """Add partner codes to a POOL reward's pool. A code already known in the program (in any
    pool, or generated) is skipped, never given twice; the answer is how many were added."""
    codes = validate_pool_codes(command.codes)
    async with uow:
        reward = await locked_reward(uow.connection, command.program.id, command.reward_id)
        if reward.code_source is not CodeSource.POOL:
            raise InvalidInput(
                Problem(
                    ("rewardId",),
                    "Only a DISCOUNT_CODE reward with codeSource POOL takes imported codes.",
                    ErrorCode.INVALID_CODE,
                )
            )
        rows = await uow.connection.execute_query_dict(
            _IMPORT, [reward.program_id, reward.id, codes, uow.now()]
        )
        if rows:
            uow.record(
                RewardCodesImported(
                    program_id=reward.program_id, reward_id=reward.id, imported=len(rows)
                )
            )
    return len(rows)


async def configure_rewards(command: ConfigureRewards, uow: UnitOfWork) -> RewardsSettings:
    settings = validate_settings(command.settings)
    async with uow:
        await RewardSettings.update_or_create(
            defaults={
                "hold_minutes": settings.hold_minutes,
                "within_reach_percent": settings.within_reach_percent,
                "updated_at": uow.now(),
            },
            program_id=command.program_id,
            using_db=uow.connection,
        )
        uow.record(
            RewardsConfigured(
                program_id=command.program_id,
                hold_minutes=settings.hold_minutes,
                within_reach_percent=settings.within_reach_percent,
            )
        )
    return settings


async def settings_of(connection: BaseDBAsyncClient, program_id: int) -> RewardsSettings:
    found = await RewardSettings.get_or_none(program_id=program_id, using_db=connection)
    if found is None:
        return RewardsSettings()
    return RewardsSettings(found.hold_minutes, found.within_reach_percent)


async def locked_reward(connection: BaseDBAsyncClient, program_id: int, reward_id: int) -> Reward:
    found = (
        await Reward.select_for_update(no_key=True)
        .using_db(connection)
        .get_or_none(id=reward_id, program_id=program_id)
    )
    if found is None:
        raise reward_not_found()
    return found


def reward_not_found() -> InvalidInput:
    return InvalidInput(
        Problem(("rewardId",), "No such reward in this program.", ErrorCode.REWARD_NOT_FOUND)
    )


def spec_of(reward: Reward) -> RewardSpec:
    discount = (
        Discount(reward.discount_type, reward.discount_value)
        if reward.discount_type is not None
        else None
    )
    limit = (
        MemberLimit(reward.limit_count, reward.limit_period)
        if reward.limit_count is not None and reward.limit_period is not None
        else None
    )
    return RewardSpec(
        name=reward.name,
        description=reward.description,
        image_url=reward.image_url,
        kind=reward.kind,
        discount=discount,
        code_source=reward.code_source,
        points_cost=reward.points_cost,
        tier_prices=tuple(sorted(reward.tier_prices.items())),
        tier_gate=tuple(reward.tier_gate),
        stock=reward.stock_left,
        limit=limit,
        available_from=reward.available_from,
        available_until=reward.available_until,
        active=reward.active,
        refundable=reward.refundable,
    )


def _columns(spec: RewardSpec) -> dict[str, Any]:
    """The reward's columns but the stock total (which counts redemptions too)."""
    return {
        "name": spec.name,
        "description": spec.description,
        "image_url": spec.image_url,
        "kind": spec.kind,
        "discount_type": spec.discount.type if spec.discount else None,
        "discount_value": spec.discount.value if spec.discount else None,
        "code_source": spec.code_source,
        "points_cost": spec.points_cost,
        "tier_prices": dict(spec.tier_prices),
        "tier_gate": list(spec.tier_gate),
        "stock_left": spec.stock,
        "limit_count": spec.limit.count if spec.limit else None,
        "limit_period": spec.limit.period if spec.limit else None,
        "available_from": spec.available_from,
        "available_until": spec.available_until,
        "active": spec.active,
        "refundable": spec.refundable,
    }
