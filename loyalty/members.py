"""Member services: enrollment, profile updates and tenant-scoped reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.clock import Clock, local_today
from domain.ledger import Balance
from domain.members import (
    MemberDetails,
    MemberStatus,
    check_editable,
    check_status_change,
    validate_details,
)
from domain.validation import ErrorCode, InvalidInput, Problem
from loyalty.locks import retried
from loyalty.models import Member
from loyalty.points import reads
from loyalty.points.models import PointsBalance
from loyalty.programs import ProgramRef


@dataclass(frozen=True, slots=True)
class Enrollment:
    member: Member
    created: bool


async def enroll_member(
    program: ProgramRef,
    *,
    external_id: str,
    email: str,
    display_name: str,
    birthday: date | None,
    locale: str | None,
    clock: Clock,
) -> Enrollment:
    """Enroll a member, idempotently on `external_id`.

    A retry with the same details returns the existing member (created=False). Different details
    under an existing externalId are refused with DUPLICATE_EXTERNAL_ID: an enrollment never
    silently overwrites a profile; updateMember does that.
    """
    details = validate_details(
        external_id=external_id,
        email=email,
        display_name=display_name,
        birthday=birthday,
        locale=locale or program.default_locale,
        today=local_today(clock, program.timezone),
    )
    now = clock.now()
    try:
        async with in_transaction():
            member = await Member.create(
                program_id=program.id,
                external_id=external_id,
                email=details.email,
                display_name=details.display_name,
                birthday=details.birthday,
                locale=details.locale,
                status=MemberStatus.ACTIVE,
                created_at=now,
                updated_at=now,
            )
            # Every member has a points balance from the start: writes lock it to serialise.
            await PointsBalance.create(
                member_id=member.id,
                program_id=program.id,
                available=0,
                pending=0,
                debt=0,
                lifetime_earned=0,
                updated_at=now,
            )
            return Enrollment(member, created=True)
    except IntegrityError:
        # A concurrent or earlier enrollment won the unique (program_id, external_id) race.
        existing = await Member.get(program_id=program.id, external_id=external_id)
    if _details(existing) == details:
        return Enrollment(existing, created=False)
    raise DuplicateExternalId(existing)


class DuplicateExternalId(InvalidInput):
    """Other details under a known externalId: refused, naming the member that has it so the
    client can read it or change it with updateMember."""

    def __init__(self, existing: Member) -> None:
        super().__init__(
            Problem(
                ("externalId",),
                f"A member with externalId {existing.external_id!r} exists with other details: "
                "it is the payload's member; change its details with updateMember and its id.",
                ErrorCode.DUPLICATE_EXTERNAL_ID,
            )
        )
        self.existing = existing


@retried
async def update_member(
    program: ProgramRef,
    member_id: int,
    *,
    email: str | None,
    display_name: str | None,
    birthday: date | None,
    locale: str | None,
    status: MemberStatus | None,
    clock: Clock,
) -> Member:
    """Change a member's details or suspend/reactivate it; fields left None keep their value."""
    async with in_transaction():
        # The member's lock (loyalty/locks.py), the one its points writes take: a suspension
        # waits for a write that read the member active, and later writes see it.
        member = await Member.select_for_update(no_key=True).get_or_none(
            id=member_id, program_id=program.id
        )
        if member is None:
            raise InvalidInput(
                Problem(("id",), "No such member in this program.", ErrorCode.MEMBER_NOT_FOUND)
            )
        check_editable(member.status)
        current = _details(member)
        details = validate_details(
            email=current.email if email is None else email,
            display_name=current.display_name if display_name is None else display_name,
            birthday=current.birthday if birthday is None else birthday,
            locale=current.locale if locale is None else locale,
            today=local_today(clock, program.timezone),
        )
        if status is not None and status is not member.status:
            check_status_change(member.status, status)
            member.status = status
        member.email, member.display_name = details.email, details.display_name
        member.birthday, member.locale = details.birthday, details.locale
        member.updated_at = clock.now()
        await member.save()
        return member


async def members_by_ids(program_id: int, ids: Sequence[int]) -> dict[int, Member]:
    """One query for a batch of ids, scoped to the program (DataLoader backend)."""
    found = await Member.filter(program_id=program_id, id__in=list(ids))
    return {member.id: member for member in found}


async def member_by_external_id(program_id: int, external_id: str) -> Member | None:
    return await Member.get_or_none(program_id=program_id, external_id=external_id)


_MEMBER_WITH_BALANCE = f"""
SELECT m.id, m.program_id, m.external_id, m.email, m.display_name, m.birthday, m.locale, m.status,
       m.created_at, m.updated_at, b.available, b.pending, b.debt, b.lifetime_earned,
       {reads.DUE_LOTS} AS due
FROM member m JOIN points_balance b ON b.member_id = m.id
WHERE m.program_id = $1 AND m.external_id = $3
"""  # noqa: S608 - DUE_LOTS is a constant fragment, not input


async def member_with_balance(
    program_id: int, external_id: str, *, now: datetime
) -> tuple[Member, Balance] | None:
    """A member and its points as they stand at `now`, in one round trip: the mobile app's
    status read is the hottest path, and one SQL statement costs a fifth of two ORM queries."""
    rows = await connections.get("default").execute_query_dict(
        _MEMBER_WITH_BALANCE, [program_id, now, external_id]
    )
    if not rows:
        return None
    row = rows[0]
    balance = reads.settled_balance(row, now)
    member = {column: row[column] for column in _MEMBER_COLUMNS}
    member["status"] = MemberStatus(member["status"])
    return Member._init_from_db(**member), balance


_MEMBER_COLUMNS = (
    "id",
    "program_id",
    "external_id",
    "email",
    "display_name",
    "birthday",
    "locale",
    "status",
    "created_at",
    "updated_at",
)


async def list_members(program_id: int, *, after_id: int | None, limit: int) -> list[Member]:
    """A keyset page of the program's members in enrollment order (stable under inserts)."""
    query = Member.filter(program_id=program_id)
    if after_id is not None:
        query = query.filter(id__gt=after_id)
    return await query.order_by("id").limit(limit)


def _details(member: Member) -> MemberDetails:
    return MemberDetails(member.email, member.display_name, member.birthday, member.locale)
