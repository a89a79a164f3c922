"""Member services: enrollment, profile updates and tenant-scoped reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from tortoise import connections
from tortoise.exceptions import IntegrityError

from backbone import tombstones
from backbone.uow import UnitOfWork
from domain.events import MemberEnrolled, MemberReactivated, MemberSuspended, MemberUpdated
from domain.ledger import Balance
from domain.members import (
    MemberDetails,
    MemberStatus,
    check_editable,
    check_status_change,
    validate_details,
)
from domain.privacy import TombstoneKind
from domain.validation import ErrorCode, InvalidInput, Problem
from loyalty.commands import EnrollMember, Enrollment, UpdateMember
from loyalty.models import Member
from loyalty.points import reads
from loyalty.points.models import PointsBalance

T = TypeVar("T")


async def enroll_member(command: EnrollMember, uow: UnitOfWork) -> Enrollment:
    """Enroll a member, idempotently on `external_id`.

    A retry with the same details returns the existing member (created=False). Different details
    under an existing externalId are refused with DUPLICATE_EXTERNAL_ID: an enrollment never
    silently overwrites a profile; updateMember does that.
    """
    program = command.program
    now = uow.now()  # no lock to wait for: the member is new
    details = validate_details(
        external_id=command.external_id,
        email=command.email,
        display_name=command.display_name,
        birthday=command.birthday,
        locale=command.locale or program.default_locale,
        today=now.astimezone(ZoneInfo(program.timezone)).date(),
    )
    try:
        async with uow:
            await _refuse_erased(uow, program.id, command.external_id, details.email)
            member = await Member.create(
                program_id=program.id,
                external_id=command.external_id,
                email=details.email,
                display_name=details.display_name,
                birthday=details.birthday,
                locale=details.locale,
                status=MemberStatus.ACTIVE,
                created_at=now,
                updated_at=now,
                using_db=uow.connection,
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
                using_db=uow.connection,
            )
            uow.record(MemberEnrolled(program_id=program.id, member_id=member.id))
        return Enrollment(member, created=True)
    except IntegrityError:
        # A concurrent or earlier enrollment won the unique (program_id, external_id) race.
        existing = await Member.get(program_id=program.id, external_id=command.external_id)
    if _details(existing) == details:
        return Enrollment(existing, created=False)
    raise DuplicateExternalId(existing)


async def _refuse_erased(uow: UnitOfWork, program_id: int, external_id: str, email: str) -> None:
    """An erased member's externalId or email is never enrolled again by accident."""
    identities = {TombstoneKind.EXTERNAL_ID: external_id, TombstoneKind.EMAIL: email}
    found = await tombstones.buried(uow.connection, program_id, identities)
    if found:
        fields = {TombstoneKind.EXTERNAL_ID: "externalId", TombstoneKind.EMAIL: "email"}
        raise InvalidInput(
            *(
                Problem(
                    (fields[kind],),
                    "A member with this identity was erased on request; it is not enrolled again.",
                    ErrorCode.ERASED_MEMBER,
                )
                for kind in found
            )
        )


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


async def update_member(command: UpdateMember, uow: UnitOfWork) -> Member:
    """Change a member's details or suspend/reactivate it; fields left None keep their value."""
    program = command.program
    async with uow:
        # The member's lock (backbone/locks.py), the one its points writes take: a suspension
        # waits for a write that read the member active, and later writes see it.
        member = (
            await Member.select_for_update(no_key=True)
            .using_db(uow.connection)
            .get_or_none(id=command.member_id, program_id=program.id)
        )
        if member is None:
            raise InvalidInput(
                Problem(("id",), "No such member in this program.", ErrorCode.MEMBER_NOT_FOUND)
            )
        check_editable(member.status)
        now = uow.now()
        current = _details(member)
        details = validate_details(
            email=_either(command.email, current.email),
            display_name=_either(command.display_name, current.display_name),
            birthday=_either(command.birthday, current.birthday),
            locale=_either(command.locale, current.locale),
            today=now.astimezone(ZoneInfo(program.timezone)).date(),
        )
        changed = tuple(
            name
            for name, before, after in zip(
                _PROFILE_FIELDS, astuple(current), astuple(details), strict=True
            )
            if before != after
        )
        if changed:
            uow.record(MemberUpdated(program_id=program.id, member_id=member.id, changed=changed))
        status = command.status
        if status is not None and status is not member.status:
            check_status_change(member.status, status)
            member.status = status
            moved = MemberSuspended if status is MemberStatus.SUSPENDED else MemberReactivated
            uow.record(moved(program_id=program.id, member_id=member.id))
        member.email, member.display_name = details.email, details.display_name
        member.birthday, member.locale = details.birthday, details.locale
        member.updated_at = now
        await member.save(using_db=uow.connection)
        return member


# MemberDetails' fields, as the API names them in member.updated events.
_PROFILE_FIELDS = ("email", "displayName", "birthday", "locale")


def _either(given: T | None, current: T) -> T:
    return current if given is None else given


async def members_by_ids(program_id: int, ids: Sequence[int]) -> dict[int, Member]:
    """One query for a batch of ids, scoped to the program (DataLoader backend)."""
    found = await Member.filter(program_id=program_id, id__in=list(ids))
    return {member.id: member for member in found}


async def member_by_external_id(program_id: int, external_id: str) -> Member | None:
    return await Member.get_or_none(program_id=program_id, external_id=external_id)


_MEMBER_WITH_BALANCE = f"""
SELECT m.id, m.program_id, m.external_id, m.email, m.display_name, m.birthday, m.locale, m.status,
       m.created_at, m.updated_at, b.available, b.pending, b.debt, b.lifetime_earned, b.held,
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
