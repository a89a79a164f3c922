"""Mutations of the members area."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from api.context import Context
from api.errors import INPUT, user_errors
from api.members.types import (
    EnrollMemberInput,
    EnrollMemberPayload,
    Member,
    UpdateMemberInput,
    UpdateMemberPayload,
)
from api.permissions import IsStorefrontOrAdmin
from api.referrals.mutations import attribute_at_enrolment
from api.relay import decode_global_id
from domain.referrals import check_code_text
from domain.validation import ErrorCode, InvalidInput, Problem
from loyalty import members
from loyalty.commands import EnrollMember, UpdateMember


@strawberry.type
class MemberMutations:
    @strawberry.mutation(
        description=(
            "Enroll a customer. Idempotent on externalId: a retry returns the same member with "
            "created=false; other details under a known externalId give DUPLICATE_EXTERNAL_ID "
            "with the existing member in `member`, to read or change with updateMember."
        ),
        permission_classes=[IsStorefrontOrAdmin],
    )
    async def enroll_member(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[EnrollMemberInput, strawberry.argument(description=INPUT)],
    ) -> EnrollMemberPayload:
        try:
            if input.referral_code is not None:
                check_code_text(input.referral_code)
            enrollment = await info.context.bus.handle(
                EnrollMember(
                    program=await info.context.require_program(),
                    external_id=input.external_id,
                    email=input.email,
                    display_name=input.display_name,
                    birthday=input.birthday,
                    locale=input.locale,
                )
            )
        except members.DuplicateExternalId as clash:
            return EnrollMemberPayload(
                member=Member.from_model(clash.existing),
                created=False,
                user_errors=user_errors(clash),
            )
        except InvalidInput as refused:
            return EnrollMemberPayload(member=None, created=False, user_errors=user_errors(refused))
        return EnrollMemberPayload(
            member=Member.from_model(enrollment.member),
            created=enrollment.created,
            user_errors=[],
            referral_errors=await attribute_at_enrolment(info, enrollment.member.id, input),
        )

    @strawberry.mutation(
        description="Change a member's profile, or suspend and reactivate it.",
        permission_classes=[IsStorefrontOrAdmin],
    )
    async def update_member(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[UpdateMemberInput, strawberry.argument(description=INPUT)],
    ) -> UpdateMemberPayload:
        try:
            key = decode_global_id(input.id, Member.__name__)
            if key is None:
                raise InvalidInput(Problem(("id",), "Not a Member id.", ErrorCode.INVALID_ID))
            member = await info.context.bus.handle(
                UpdateMember(
                    program=await info.context.require_program(),
                    member_id=key,
                    email=input.email,
                    display_name=input.display_name,
                    birthday=input.birthday,
                    locale=input.locale,
                    status=input.status,
                )
            )
        except InvalidInput as refused:
            return UpdateMemberPayload(member=None, user_errors=user_errors(refused))
        return UpdateMemberPayload(member=Member.from_model(member), user_errors=[])
