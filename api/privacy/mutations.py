"""Mutations of privacy: data exports and erasure."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry import relay

from api.auth import Role
from api.context import Context
from api.errors import INPUT, user_errors
from api.permissions import roles
from api.privacy.types import (
    DataExport,
    MemberChoiceInput,
    RequestDataExportInput,
    RequestDataExportPayload,
    RequestErasureInput,
    RequestErasurePayload,
)
from api.relay import decode_global_id
from consent.erasure import EraseMember
from consent.export import RequestExport
from domain.members import require_external_id
from domain.validation import ErrorCode, InvalidInput, Problem
from loyalty import members

IsMemberOrAdmin = roles(Role.MEMBER, Role.ADMIN)


def _not_found(field: tuple[str, ...] = ()) -> InvalidInput:
    return InvalidInput(
        Problem(field, "No such member in this program.", ErrorCode.MEMBER_NOT_FOUND)
    )


async def chosen_member(info: strawberry.Info[Context, Any], choice: MemberChoiceInput) -> int:
    """The member's key: a member token's own (naming nobody else), or the one an admin named."""
    context = info.context
    program = await context.require_program()
    key: int | None = None
    if choice.id is not None:
        key = decode_global_id(choice.id, "Member")
        if key is None:
            raise InvalidInput(Problem(("id",), "Not a Member id.", ErrorCode.INVALID_ID))
    if choice.external_id is not None:
        require_external_id(choice.external_id)
    principal = context.require_principal()
    if principal.role is Role.MEMBER:
        me = await context.me()
        if me is None:
            raise _not_found()
        if (key is not None and key != me.id) or (
            choice.external_id is not None and choice.external_id != me.external_id
        ):
            raise _not_found()  # another member's: as if there were none
        member_id: int = me.id
        return member_id
    if (key is None) == (choice.external_id is None):
        raise InvalidInput(
            Problem((), "Name the member by id or by externalId (one).", ErrorCode.INVALID_ID)
        )
    if choice.external_id is not None:
        found = await members.member_by_external_id(program.id, choice.external_id)
        if found is None:
            raise _not_found(("externalId",))
        external_key: int = found.id
        return external_key
    assert key is not None
    if key not in await members.members_by_ids(program.id, [key]):
        raise _not_found(("id",))
    return key


@strawberry.type
class PrivacyMutations:
    @strawberry.mutation(
        description=(
            "Make a JSON document of everything the program holds about a member (profile, "
            "consents and their history, preferences, ledger with explanations, tier history, "
            "redemptions and codes, and every other area's records), downloadable for 24 hours "
            "at its downloadPath. A member token exports itself; an admin any member of its "
            "program. The export is logged as a use of the member's data."
        ),
        permission_classes=[IsMemberOrAdmin],
    )
    async def request_data_export(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[RequestDataExportInput, strawberry.argument(description=INPUT)],
    ) -> RequestDataExportPayload:
        context = info.context
        try:
            member_id = await chosen_member(info, input)
            program = await context.require_program()
            principal = context.require_principal()
            record = await context.bus.handle(
                RequestExport(
                    program_id=program.id,
                    program_key=program.key,
                    member_id=member_id,
                    actor=f"{principal.role.value}:{principal.subject}",
                    parts=tuple(context.bus.registry.exports),
                )
            )
        except InvalidInput as refused:
            return RequestDataExportPayload(export=None, user_errors=user_errors(refused))
        return RequestDataExportPayload(export=DataExport.of(record), user_errors=[])

    @strawberry.mutation(
        description=(
            "Erase a member's personal data for good: email, name, birthday and locale are "
            "pseudonymised, the storefront's externalId replaced (so it and the member's tokens "
            "no longer resolve), exports deleted, and the email and externalId kept only as "
            "salted digests so they are not enrolled again (ERASED_MEMBER). Points, ledger, "
            "tiers and redemptions stay as anonymous records. Records member.erased. "
            "Idempotent: erasing again answers alreadyErased. A member token erases itself; an "
            "admin any member of its program."
        ),
        permission_classes=[IsMemberOrAdmin],
    )
    async def request_erasure(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[RequestErasureInput, strawberry.argument(description=INPUT)],
    ) -> RequestErasurePayload:
        context = info.context
        try:
            member_id = await chosen_member(info, input)
            program = await context.require_program()
            erasure = await context.bus.handle(
                EraseMember(
                    program_id=program.id,
                    member_id=member_id,
                    requested_by=context.require_principal().role.value,
                )
            )
        except InvalidInput as refused:
            return RequestErasurePayload(
                member_id=None,
                erased_at=None,
                already_erased=False,
                user_errors=user_errors(refused),
            )
        context.forget_program()  # `me` of this request is gone with the member
        return RequestErasurePayload(
            member_id=strawberry.ID(str(relay.GlobalID("Member", str(erasure.member_id)))),
            erased_at=erasure.erased_at,
            already_erased=erasure.already_erased,
            user_errors=[],
        )
