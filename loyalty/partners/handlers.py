"""The partner clients area's part of the composition root: its commands."""

from __future__ import annotations

from typing import Any

from backbone.bus import Registry
from backbone.uow import UnitOfWork
from domain.events import PartnerClientRegistered, PartnerClientRevoked, PartnerSecretRotated
from domain.partners import clean_name, clean_overlap, clean_scopes
from domain.throttling import check_bucket
from loyalty.partners import commands, service


async def register(command: commands.RegisterPartnerClient, uow: UnitOfWork) -> Any:
    name, scopes = clean_name(command.name), clean_scopes(command.scopes)
    limit = command.rate_limit
    bucket = check_bucket(*limit, ("rateLimit",)) if limit is not None else None
    async with uow:
        client, secret = await service.register(
            uow.connection,
            program_id=command.program_id,
            name=name,
            scopes=scopes,
            actor=command.actor,
            bucket=bucket,
            at=uow.now(),
        )
        uow.record(PartnerClientRegistered(program_id=command.program_id, client_key=client.id))
    return client, secret


async def rotate(command: commands.RotatePartnerSecret, uow: UnitOfWork) -> Any:
    overlap = clean_overlap(command.overlap_hours)
    async with uow:
        client, secret = await service.rotate(
            uow.connection, command.program_id, command.client_key, overlap=overlap, at=uow.now()
        )
        uow.record(
            PartnerSecretRotated(
                program_id=command.program_id,
                client_key=client.id,
                overlap_hours=int(overlap.total_seconds() // 3600),
            )
        )
    return client, secret


async def revoke(command: commands.RevokePartnerClient, uow: UnitOfWork) -> Any:
    async with uow:
        client = await service.revoke(
            uow.connection, command.program_id, command.client_key, uow.now()
        )
        uow.record(
            PartnerClientRevoked(
                program_id=command.program_id, client_key=client.id, client_id=client.client_id
            )
        )
    return client


def registry() -> Registry:
    part = Registry()
    part.command(commands.RegisterPartnerClient, register)
    part.command(commands.RotatePartnerSecret, rotate)
    part.command(commands.RevokePartnerClient, revoke)
    return part
