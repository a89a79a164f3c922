"""Redeeming a reward: in one unit of work, the points (spent, or held for a checkout), one unit of
stock, a code where the kind needs one, the redemption and its event.

Locks in the global order (backbone/locks.py): the idempotency key, the member (whose lock also
serialises its per-member limit: two requests of one member count each other's redemptions), then
the reward's stock by a conditional UPDATE and a pool code by SKIP LOCKED. Anything refused rolls
the whole write back: a member who finds the reward out of stock keeps its points.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from backbone import idempotency
from backbone.uow import UnitOfWork
from domain.events import RewardRedeemed
from domain.ledger import Balance, ExplanationLine, redeem
from domain.offers import best_offer, discount_label, discounted_price
from domain.redemptions import (
    RedemptionStatus,
    check_available,
    check_limit,
    check_tier,
    price_for,
)
from domain.rewards import MemberLimit
from loyalty.campaigns.held_offers import discount_offers
from loyalty.points.account import Account, open_account
from loyalty.points.holds import hold
from loyalty.programs import ProgramRef, in_force
from loyalty.rewards.catalog import reward_not_found, settings_of
from loyalty.rewards.commands import RedeemReward, RedemptionResult
from loyalty.rewards.models import Redemption, Reward
from loyalty.rewards.reads import redeemed_in_window
from loyalty.rewards.stock import assign_code, pick_pool_code, take_unit
from loyalty.tiers.published import tier_of


async def redeem_reward(command: RedeemReward, uow: UnitOfWork) -> RedemptionResult:
    if (command.member_id is None) == (command.external_id is None):
        raise ValueError("name the member by id or by externalId, exactly one")
    claim = idempotency.claim_for(
        command,
        program_id=command.program.id,
        client=command.actor,
        key=command.idempotency_key,
        leave_out=("program", "actor"),
    )
    async with uow:
        replay = await uow.claim(claim)
        if replay is not None:
            result: dict[str, Any] = replay
        else:
            account = await open_account(
                uow,
                command.program.id,
                member_id=command.member_id,
                external_id=command.external_id,
                actor=command.actor,
                idempotency_key=command.idempotency_key,
            )
            assert account is not None  # only a skip_locked open finds no account
            await account.settle_due()
            account.require_active()
            redemption = await _redeem(command, account)
            result = {"redemption": redemption.id, "balance": asdict(account.balance)}
            await uow.remember(result)
    if replay is None:
        return RedemptionResult(redemption, Balance(**result["balance"]))
    earlier = await Redemption.get(id=result["redemption"])
    return RedemptionResult(earlier, Balance(**result["balance"]), replayed=True)


async def _redeem(command: RedeemReward, account: Account) -> Redemption:
    uow, now = account.uow, account.now
    program = await in_force(uow.connection, command.program)
    reward = await Reward.get_or_none(
        id=command.reward_id, program_id=program.id, using_db=uow.connection
    )
    if reward is None:
        raise reward_not_found()
    tier_key = await admit(uow.connection, program, reward, account.member_id, now)
    listed = price_for(reward.points_cost, reward.tier_prices, tier_key)
    # A campaign's discount on this reward the member was reached with, in force now.
    offer = best_offer(await discount_offers(uow.connection, account.member_id, reward.id), now)
    discount = discounted_price(listed, int(offer.value)) if offer is not None else None
    price = discount.price if discount is not None else listed
    reason, source = f"Reward: {reward.name}", f"reward:{reward.id}"
    values: dict[str, Any] = {}
    if command.hold:
        minutes = (await settings_of(uow.connection, program.id)).hold_minutes
        held = await hold(account, price, reason=reason, source_ref=source)
        values = {
            "status": RedemptionStatus.HELD,
            "hold_expires_at": now + timedelta(minutes=minutes),
            "held_takes": [list(take) for take in held.takes],
            "hold_entry_id": held.posted.entry_id,
        }
    else:
        posting = redeem(account.balance, account.lots.values(), price, now)
        lines = [ExplanationLine("REWARD", _label(reward, listed, tier_key), -listed)]
        if discount is not None:
            lines.append(
                ExplanationLine(
                    "CAMPAIGN", discount_label(reward.name, discount), discount.discount
                )
            )
        posted = await account.post(
            replace(posting, lines=tuple(lines)), reason_code="REDEMPTION", reason=reason,
            source_ref=source,
        )  # fmt: skip
        values = {
            "status": RedemptionStatus.CONFIRMED,
            "redeem_entry_id": posted.entry_id,
            "confirmed_at": now,
        }
    # Program-level rows last, after the points: the stock row is held only for what follows.
    await take_unit(uow.connection, reward.id)
    picked = await pick_pool_code(uow.connection, reward)
    redemption = await Redemption.create(
        program_id=program.id,
        member_id=account.member_id,
        reward_id=reward.id,
        points=price,
        actor=command.actor,
        idempotency_key=command.idempotency_key,
        created_at=now,
        **values,
        using_db=uow.connection,
    )
    await assign_code(uow.connection, reward, redemption.id, picked, now)
    uow.record(
        RewardRedeemed(
            program_id=program.id,
            member_id=account.member_id,
            redemption_id=redemption.id,
            reward_id=reward.id,
            points=price,
            held=command.hold,
        )
    )
    return redemption


async def admit(
    connection: BaseDBAsyncClient,
    program: ProgramRef,
    reward: Reward,
    member_id: int,
    now: datetime,
) -> str | None:
    """The reward's own rules for the member now, under its lock: available, its tier gate, its
    per-member limit (NOT_AVAILABLE, TIER_REQUIRED, LIMIT_REACHED); the member's tier key."""
    check_available(reward.active, reward.available_from, reward.available_until, now)
    tier = await tier_of(connection, program.id, member_id)
    tier_key = tier.key if tier is not None else None
    check_tier(reward.tier_gate, tier_key)
    if reward.limit_count is not None and reward.limit_period is not None:
        used = await redeemed_in_window(
            connection, reward.id, member_id, now=now, tz=program.timezone
        )
        check_limit(MemberLimit(reward.limit_count, reward.limit_period), used)
    return tier_key


def _label(reward: Reward, price: int, tier: str | None) -> str:
    if tier is not None and price != reward.points_cost:
        return f"{reward.name} at the {tier} tier's price"
    return reward.name
