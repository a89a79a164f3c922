"""The webhooks area's part of the composition root: its commands, its relay consumer (the
fan-out into deliveries) and its worker loop (the sender)."""

from __future__ import annotations

from typing import Any

from backbone.bus import Registry
from backbone.uow import UnitOfWork
from domain.events import PartnerClientRevoked, WebhookSecretRotated, WebhookSubscriptionCreated
from domain.validation import ErrorCode, InvalidInput, Problem
from loyalty.webhooks import commands, deliveries, revocation, sender, subscriptions
from loyalty.webhooks.subscriptions import Subscription


def _missing() -> InvalidInput:
    return InvalidInput(
        Problem(
            ("subscriptionId",),
            "No such webhook subscription of yours in the program.",
            ErrorCode.WEBHOOK_SUBSCRIPTION_NOT_FOUND,
        )
    )


async def _find(uow: UnitOfWork, program_id: int, scope: str | None, key: int) -> Subscription:
    found = await subscriptions.find_subscription(uow.connection, program_id, key, scope)
    if found is None:
        raise _missing()
    return found


async def create(command: commands.CreateSubscription, uow: UnitOfWork) -> Any:
    async with uow:
        subscription, secret = await subscriptions.create_subscription(
            uow.connection,
            program_id=command.program_id,
            owner=command.owner,
            url=command.url,
            event_types=command.event_types,
            description=command.description,
            at=uow.now(),
        )
        uow.record(
            WebhookSubscriptionCreated(
                program_id=command.program_id, subscription_id=subscription.id
            )
        )
    return subscription, secret


async def update(command: commands.UpdateSubscription, uow: UnitOfWork) -> Any:
    async with uow:
        found = await _find(uow, command.program_id, command.scope, command.subscription_id)
        return await subscriptions.update_subscription(
            uow.connection,
            found,
            url=command.url,
            event_types=command.event_types,
            description=command.description,
            active=command.active,
        )


async def rotate(command: commands.RotateSecret, uow: UnitOfWork) -> Any:
    async with uow:
        found = await _find(uow, command.program_id, command.scope, command.subscription_id)
        subscription, secret = await subscriptions.rotate_secret(
            uow.connection, found, at=uow.now()
        )
        uow.record(WebhookSecretRotated(program_id=command.program_id, subscription_id=found.id))
    return subscription, secret


async def delete(command: commands.DeleteSubscription, uow: UnitOfWork) -> Any:
    async with uow:
        found = await _find(uow, command.program_id, command.scope, command.subscription_id)
        await subscriptions.delete_subscription(uow.connection, found)
    return found


async def redeliver(command: commands.Redeliver, uow: UnitOfWork) -> Any:
    async with uow:
        delivery = await deliveries.redeliver(
            uow.connection, command.program_id, command.delivery_id, command.scope, at=uow.now()
        )
        if delivery is None:
            raise InvalidInput(
                Problem(
                    ("deliveryId",),
                    "No such webhook delivery of yours in the program.",
                    ErrorCode.WEBHOOK_DELIVERY_NOT_FOUND,
                )
            )
    return delivery


async def send_test(command: commands.SendTest, uow: UnitOfWork) -> Any:
    async with uow:
        found = await _find(uow, command.program_id, command.scope, command.subscription_id)
        return await deliveries.enqueue_test(uow.connection, found, at=uow.now())


def registry() -> Registry:
    part = Registry()
    part.command(commands.CreateSubscription, create)
    part.command(commands.UpdateSubscription, update)
    part.command(commands.RotateSecret, rotate)
    part.command(commands.DeleteSubscription, delete)
    part.command(commands.Redeliver, redeliver)
    part.command(commands.SendTest, send_test)
    part.react(PartnerClientRevoked, revocation.on_client_revoked)
    part.consumers.append(deliveries.consumer())
    part.loops.append(("webhooks.sender", sender.run_sender))
    return part
