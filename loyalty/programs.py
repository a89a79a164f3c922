"""Program (tenant) services: provisioning and settings."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.clock import Clock
from domain.points_config import PointsConfig
from domain.programs import ProgramSettings, validate_new_program, validate_program_update
from domain.validation import ErrorCode, InvalidInput, Problem
from loyalty.locks import retried
from loyalty.models import Program
from loyalty.points.config import from_json


@dataclass(frozen=True, slots=True)
class ProgramRef:
    """What a request needs to know of its tenant; resolved once per request from the token,
    possibly from a cache: writes confirm it with `in_force` inside their transaction."""

    id: int
    key: str
    currency: str
    timezone: str
    default_locale: str
    points: PointsConfig
    config_version: int


def ref(program: Program) -> ProgramRef:
    return ProgramRef(
        program.id,
        program.key,
        program.currency,
        program.timezone,
        program.default_locale,
        from_json(program.points_config),
        program.config_version,
    )


_VERSION = "SELECT config_version FROM program WHERE id = $1"


async def in_force(connection: BaseDBAsyncClient, program: ProgramRef) -> ProgramRef:
    """The program as it stands now, for a write inside its transaction (READ COMMITTED: this
    statement sees every change committed before it). A cached copy is another worker's view for
    up to a few seconds; comparing its version costs one indexed lookup, and only a changed
    program is read again. No lock: a configuration change never waits for members' writes."""
    [row] = await connection.execute_query_dict(_VERSION, [program.id])
    if row["config_version"] == program.config_version:
        return program
    return ref(await Program.get(id=program.id, using_db=connection))


async def find_program(key: str) -> Program | None:
    return await Program.get_or_none(key=key)


async def create_program(
    *, key: str, name: str, currency: str, timezone: str, default_locale: str, clock: Clock
) -> Program:
    """Provision the program for tenant `key`.

    Safe to retry: the same settings again return the existing program; different settings for an
    existing key are refused with PROGRAM_ALREADY_EXISTS and change nothing.
    """
    settings = validate_new_program(
        key=key, name=name, currency=currency, timezone=timezone, default_locale=default_locale
    )
    now = clock.now()
    try:
        async with in_transaction():
            return await Program.create(
                key=key,
                name=settings.name,
                currency=currency,
                timezone=settings.timezone,
                default_locale=settings.default_locale,
                config_version=0,
                created_at=now,
                updated_at=now,
            )
    except IntegrityError:
        existing = await Program.get(key=key)
    if existing.currency == currency and _settings(existing) == settings:
        return existing
    raise InvalidInput(
        Problem(
            ("key",),
            f"Program {key!r} already exists with different settings; use updateProgram.",
            ErrorCode.PROGRAM_ALREADY_EXISTS,
        )
    )


@retried
async def update_program(
    program_id: int,
    *,
    name: str | None,
    timezone: str | None,
    default_locale: str | None,
    clock: Clock,
) -> Program:
    """Change a program's name, time zone or default locale. The currency never changes: amounts
    already recorded in it would silently change meaning."""
    async with in_transaction():
        # No-key, as in configure_points: members' writes to the program carry on meanwhile.
        program = await Program.select_for_update(no_key=True).get(id=program_id)
        settings = validate_program_update(
            _settings(program), name=name, timezone=timezone, default_locale=default_locale
        )
        program.name = settings.name
        program.timezone = settings.timezone
        program.default_locale = settings.default_locale
        # The time zone places expiry dates and cap periods: writes must see it change at once.
        program.config_version += 1
        program.updated_at = clock.now()
        await program.save(
            update_fields=["name", "timezone", "default_locale", "config_version", "updated_at"]
        )
        return program


def _settings(program: Program) -> ProgramSettings:
    return ProgramSettings(program.name, program.timezone, program.default_locale)
