"""Member and program services against the real database, below the GraphQL layer."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from domain.clock import FixedClock
from domain.members import MemberStatus
from domain.validation import ErrorCode, InvalidInput
from loyalty import members, programs
from loyalty.models import Member, Program
from loyalty.programs import ProgramRef

pytestmark = pytest.mark.integration


@pytest.fixture
async def acme(db: None, clock: FixedClock) -> ProgramRef:
    program = await programs.create_program(
        key="acme",
        name="Acme",
        currency="JPY",
        timezone="Asia/Tokyo",
        default_locale="ja",
        clock=clock,
    )
    return programs.ref(program)


async def _enroll(
    program: ProgramRef, clock: FixedClock, external_id: str = "c-1", **details: object
):
    fields: dict[str, object] = {
        "email": "a@example.com",
        "display_name": "A",
        "birthday": None,
        "locale": None,
        **details,
    }
    return await members.enroll_member(program, external_id=external_id, clock=clock, **fields)  # type: ignore[arg-type]


async def test_enrollment_uses_program_defaults_and_clock(
    acme: ProgramRef, clock: FixedClock
) -> None:
    enrollment = await _enroll(acme, clock)
    stored = await Member.get(id=enrollment.member.id)
    assert (stored.locale, stored.status, stored.created_at) == (
        "ja",
        MemberStatus.ACTIVE,
        clock.now(),
    )


async def test_birthday_today_is_judged_in_the_program_time_zone(
    acme: ProgramRef, clock: FixedClock
) -> None:
    # 2026-06-15T20:00Z is already 2026-06-16 in Tokyo: a Tokyo birthday of the 16th is not future.
    clock.set(clock.now().replace(hour=20))
    enrollment = await _enroll(acme, clock, birthday=date(2000, 6, 16))
    assert enrollment.member.birthday == date(2000, 6, 16)
    with pytest.raises(InvalidInput) as refused:
        await _enroll(acme, clock, "c-2", birthday=date(2026, 6, 17))
    assert refused.value.problems[0].code is ErrorCode.INVALID_BIRTHDAY


async def test_concurrent_service_enrollments_converge_on_one_row(
    acme: ProgramRef, clock: FixedClock
) -> None:
    results = await asyncio.gather(*(_enroll(acme, clock) for _ in range(25)))
    assert {r.member.id for r in results} == {results[0].member.id}
    assert sum(r.created for r in results) == 1
    assert await Member.filter(program_id=acme.id).count() == 1


async def test_update_of_unknown_member_changes_nothing(
    acme: ProgramRef, clock: FixedClock
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await members.update_member(
            acme,
            999,
            email="x@example.com",
            display_name=None,
            birthday=None,
            locale=None,
            status=None,
            clock=clock,
        )
    assert refused.value.problems[0].code is ErrorCode.MEMBER_NOT_FOUND


async def test_failed_update_rolls_back_every_field(acme: ProgramRef, clock: FixedClock) -> None:
    member = (await _enroll(acme, clock)).member
    with pytest.raises(InvalidInput):
        await members.update_member(
            acme,
            member.id,
            email="new@example.com",
            display_name="\x00",
            birthday=None,
            locale=None,
            status=MemberStatus.SUSPENDED,
            clock=clock,
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
