"""Program (tenant) services: provisioning and settings."""

from __future__ import annotations

from dataclasses import astuple, dataclass

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from backbone.uow import UnitOfWork
from domain.events import ProgramCreated, ProgramUpdated
from domain.points_config import PointsConfig
from domain.programs import ProgramSettings, validate_new_program, validate_program_update
from domain.validation import ErrorCode, InvalidInput, Problem
from loyalty.commands import CreateProgram, UpdateProgram
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


async def in_force(
    connection: BaseDBAsyncClient, program: ProgramRef, *, version: int | None = None
) -> ProgramRef:
    """The program as it stands now, for a write inside its transaction (READ COMMITTED: this
    statement sees every change committed before it). A cached copy is another worker's view for
    up to a few seconds; comparing its version costs one indexed lookup (none when the write read
    `version` already, with the member it locked), and only a changed program is read again. No
    lock: a configuration change never waits for members' writes."""
    if version is None:
        [row] = await connection.execute_query_dict(_VERSION, [program.id])
        version = row["config_version"]
    if version == program.config_version:
        return program
    return ref(await Program.get(id=program.id, using_db=connection))


async def find_program(key: str) -> Program | None:
    return await Program.get_or_none(key=key)


async def create_program(command: CreateProgram, uow: UnitOfWork) -> Program:
    """Provision the program for tenant `key`.

    Safe to retry: the same settings again return the existing program; different settings for an
    existing key are refused with PROGRAM_ALREADY_EXISTS and change nothing.
    """
    settings = validate_new_program(
        key=command.key,
        name=command.name,
        currency=command.currency,
        timezone=command.timezone,
        default_locale=command.default_locale,
    )
    try:
        async with uow:
            now = uow.now()
            program = await Program.create(
                key=command.key,
                name=settings.name,
                currency=command.currency,
                timezone=settings.timezone,
                default_locale=settings.default_locale,
                config_version=0,
                created_at=now,
                updated_at=now,
                using_db=uow.connection,
            )
            uow.record(ProgramCreated(program_id=program.id, currency=program.currency))
        return program
    except IntegrityError:
        existing = await Program.get(key=command.key)
    if existing.currency == command.currency and _settings(existing) == settings:
        return existing
    raise InvalidInput(
        Problem(
            ("key",),
            f"Program {command.key!r} already exists with different settings; use updateProgram.",
            ErrorCode.PROGRAM_ALREADY_EXISTS,
        )
    )


async def update_program(command: UpdateProgram, uow: UnitOfWork) -> Program:
    """Change a program's name, time zone or default locale. The currency never changes: amounts
    already recorded in it would silently change meaning."""
    async with uow:
        # No-key, as in configure_points: members' writes to the program carry on meanwhile.
        program = (
            await Program.select_for_update(no_key=True)
            .using_db(uow.connection)
            .get(id=command.program_id)
        )
        before = _settings(program)
        settings = validate_program_update(
            before,
            name=command.name,
            timezone=command.timezone,
            default_locale=command.default_locale,
        )
        program.name = settings.name
        program.timezone = settings.timezone
        program.default_locale = settings.default_locale
        # The time zone places expiry dates and cap periods: writes must see it change at once.
        program.config_version += 1
        program.updated_at = uow.now()
        await program.save(
            update_fields=["name", "timezone", "default_locale", "config_version", "updated_at"],
            using_db=uow.connection,
        )
        changed = tuple(
            name
            for name, old, new in zip(_SETTINGS, astuple(before), astuple(settings), strict=True)
            if old != new
        )
        if changed:
            uow.record(ProgramUpdated(program_id=program.id, changed=changed))
        return program


# ProgramSettings' fields, as the API names them in program.updated events.
_SETTINGS = ("name", "timezone", "defaultLocale")


def _settings(program: Program) -> ProgramSettings:
    return ProgramSettings(program.name, program.timezone, program.default_locale)
