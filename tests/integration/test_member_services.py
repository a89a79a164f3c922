"""Member and program services against the real database, below the GraphQL layer: commands
run through the app's message bus, as resolvers run them."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from backbone.bus import MessageBus
from domain.clock import FixedClock
from domain.members import MemberStatus
from domain.validation import ErrorCode, InvalidInput
from loyalty import programs
from loyalty.commands import CreateProgram, EnrollMember, Enrollment, UpdateMember
from loyalty.models import Member, Program
from loyalty.programs import ProgramRef

pytestmark = pytest.mark.integration


@pytest.fixture
async def acme(db: None, bus: MessageBus) -> ProgramRef:
    program = await bus.handle(
        CreateProgram(
            key="acme", name="Acme", currency="JPY", timezone="Asia/Tokyo", default_locale="ja"
        )
    )
    return programs.ref(program)


async def _enroll(
    bus: MessageBus, program: ProgramRef, external_id: str = "c-1", *, birthday: date | None = None
) -> Enrollment:
    return await bus.handle(
        EnrollMember(
            program=program,
            external_id=external_id,
            email="a@example.com",
            display_name="A",
            birthday=birthday,
            locale=None,
        )
    )


async def test_enrollment_uses_program_defaults_and_clock(
    acme: ProgramRef, bus: MessageBus, clock: FixedClock
) -> None:
    enrollment = await _enroll(bus, acme)
    stored = await Member.get(id=enrollment.member.id)
    assert (stored.locale, stored.status, stored.created_at) == (
        "ja",
        MemberStatus.ACTIVE,
        clock.now(),
    )


async def test_birthday_today_is_judged_in_the_program_time_zone(
    acme: ProgramRef, bus: MessageBus, clock: FixedClock
) -> None:
    # 2026-06-15T20:00Z is already 2026-06-16 in Tokyo: a Tokyo birthday of the 16th is not future.
    clock.set(clock.now().replace(hour=20))
    enrollment = await _enroll(bus, acme, birthday=date(2000, 6, 16))
    assert enrollment.member.birthday == date(2000, 6, 16)
    with pytest.raises(InvalidInput) as refused:
        await _enroll(bus, acme, "c-2", birthday=date(2026, 6, 17))
    assert refused.value.problems[0].code is ErrorCode.INVALID_BIRTHDAY


async def test_concurrent_service_enrollments_converge_on_one_row(
    acme: ProgramRef, bus: MessageBus
) -> None:
    results = await asyncio.gather(*(_enroll(bus, acme) for _ in range(25)))
    assert {r.member.id for r in results} == {results[0].member.id}
    assert sum(r.created for r in results) == 1
    assert await Member.filter(program_id=acme.id).count() == 1


async def test_update_of_unknown_member_changes_nothing(acme: ProgramRef, bus: MessageBus) -> None:
    with pytest.raises(InvalidInput) as refused:
        await bus.handle(UpdateMember(program=acme, member_id=999, email="x@example.com"))
    assert refused.value.problems[0].code is ErrorCode.MEMBER_NOT_FOUND


async def test_failed_update_rolls_back_every_field(acme: ProgramRef, bus: MessageBus) -> None:
    member = (await _enroll(bus, acme)).member
    with pytest.raises(InvalidInput):
        await bus.handle(
            UpdateMember(
                program=acme,
                member_id=member.id,
                email="new@example.com",
                display_name="\x00",
                status=MemberStatus.SUSPENDED,
            )
        )
    stored = await Member.get(id=member.id)
    assert (stored.email, stored.display_name, stored.status) == (
        "a@example.com",
        "A",
        MemberStatus.ACTIVE,
    )


async def test_program_currency_is_stored_as_given_and_checked_by_the_database(
    acme: ProgramRef,
) -> None:
    from tortoise.exceptions import IntegrityError

    assert (await Program.get(id=acme.id)).currency == "JPY"
    # The database refuses what the domain refuses, even if a bug let it through the code.
    with pytest.raises(IntegrityError):
        await Program.filter(id=acme.id).update(currency="yen")
