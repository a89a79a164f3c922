"""Mutations of the consent area: members' consents and preferences, the program's purposes."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from api.auth import Role
from api.consent import fields
from api.consent.types import (
    ConsentPurpose,
    CreatePurposeInput,
    MemberPreferences,
    PublishPolicyVersionInput,
    PurposePayload,
    UpdateConsentsInput,
    UpdateConsentsPayload,
    UpdatePreferencesInput,
    UpdatePreferencesPayload,
)
from api.context import Context
from api.errors import INPUT, ClientError, TopLevelCode, user_errors
from api.permissions import IsAdmin, roles
from api.relay import decode_global_id
from consent import commands
from consent.models import ConsentPurpose as PurposeModel
from domain.consent import (
    DEFAULT_SOURCE_BY_ROLE,
    SOURCES_BY_ROLE,
    ConsentChange,
    is_purpose_key,
)
from domain.members import is_external_id
from domain.preferences import parse_clock
from domain.validation import ErrorCode, InvalidInput, Problem, ProblemCollector, actor

IsMemberStorefrontOrAdmin = roles(Role.MEMBER, Role.STOREFRONT, Role.ADMIN)


async def _member(
    info: strawberry.Info[Context, Any], external_id: str | None, member_id: strawberry.ID | None
) -> commands.MemberRef:
    """A member token for itself (naming another member is FORBIDDEN); staff name exactly one
    of externalId and memberId."""
    context = info.context
    principal = context.require_principal()
    program = await context.require_program()
    if principal.role is Role.MEMBER:
        me = await context.me()
        if me is None:
            raise InvalidInput(Problem((), "No such member.", ErrorCode.MEMBER_NOT_FOUND))
        named = decode_global_id(member_id, "Member") if member_id is not None else me.id
        if (external_id is not None and external_id != me.external_id) or named != me.id:
            raise ClientError(
                "Forbidden: a member token changes only its own member.", TopLevelCode.FORBIDDEN
            )
        return commands.MemberRef(program_id=program.id, member_id=me.id)
    problems = ProblemCollector()
    if (external_id is None) == (member_id is None):
        problems.add((), "Name the member by externalId or memberId.", ErrorCode.MEMBER_NOT_FOUND)
    key = None
    if member_id is not None:
        key = decode_global_id(member_id, "Member")
        if key is None:
            problems.add("memberId", "Not a Member id.", ErrorCode.INVALID_ID)
    if external_id is not None and not is_external_id(external_id):
        problems.add("externalId", "Not a valid externalId.", ErrorCode.INVALID_EXTERNAL_ID)
    problems.raise_if_any()
    return commands.MemberRef(program_id=program.id, member_id=key, external_id=external_id)


@strawberry.type
class ConsentMutations:
    @strawberry.mutation(
        description="Grant or withdraw purposes for a member, appended to its consent ledger "
        "(consent.granted / consent.withdrawn). A withdrawal takes effect in the same commit. "
        "Granting a purpose again after a new policy version is the re-consent. CONTRACT "
        "purposes cannot be withdrawn (NOT_WITHDRAWABLE); a change that changes nothing is "
        "not recorded. A member token changes its own consents (source APP); storefronts "
        "record consent given with them (e.g. at checkout).",
        permission_classes=[IsMemberStorefrontOrAdmin],
    )
    async def update_consents(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[UpdateConsentsInput, strawberry.argument(description=INPUT)],
    ) -> UpdateConsentsPayload:
        principal = info.context.require_principal()
        try:
            member = await _member(info, input.external_id, input.member_id)
            source = input.source or DEFAULT_SOURCE_BY_ROLE[principal.role.value]
            if source not in SOURCES_BY_ROLE[principal.role.value]:
                raise InvalidInput(
                    Problem(
                        ("source",),
                        f"A {principal.role.value} token cannot record consent from {source}.",
                        ErrorCode.INVALID_CONSENT_SOURCE,
                    )
                )
            member_id = await info.context.bus.handle(
                commands.UpdateConsents(
                    member=member,
                    changes=tuple(ConsentChange(c.purpose, c.granted) for c in input.changes),
                    source=source,
                    actor=_actor(principal.role, principal.subject),
                )
            )
        except InvalidInput as refused:
            return UpdateConsentsPayload(consents=None, user_errors=user_errors(refused))
        return UpdateConsentsPayload(
            consents=await fields.consents(info, member_id), user_errors=[]
        )

    @strawberry.mutation(
        description="Change a member's preference center: channels, weekly caps, topics, "
        "quiet hours, time zone, locale. A member token for itself; storefronts and admins "
        "name the member.",
        permission_classes=[IsMemberStorefrontOrAdmin],
    )
    async def update_preferences(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[UpdatePreferencesInput, strawberry.argument(description=INPUT)],
    ) -> UpdatePreferencesPayload:
        try:
            member = await _member(info, input.external_id, input.member_id)
            program = await info.context.require_program()
            changes = _preference_changes(input)
            member_id, _ = await info.context.bus.handle(
                commands.UpdatePreferences(
                    member=member, program_timezone=program.timezone, changes=changes
                )
            )
        except InvalidInput as refused:
            return UpdatePreferencesPayload(preferences=None, user_errors=user_errors(refused))
        view: MemberPreferences = await fields.preferences(info, member_id)
        return UpdatePreferencesPayload(preferences=view, user_errors=[])

    @strawberry.mutation(
        description="Add a purpose to the program (consent.purpose_created), at policy version 1.",
        permission_classes=[IsAdmin],
    )
    async def create_purpose(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[CreatePurposeInput, strawberry.argument(description=INPUT)],
    ) -> PurposePayload:
        try:
            program = await info.context.require_program()
            row = await info.context.bus.handle(
                commands.CreatePurpose(
                    program_id=program.id,
                    key=input.key,
                    description=input.description,
                    legal_basis=input.legal_basis,
                )
            )
        except InvalidInput as refused:
            return PurposePayload(purpose=None, user_errors=user_errors(refused))
        return PurposePayload(purpose=_purpose(row), user_errors=[])

    @strawberry.mutation(
        description="Publish a new policy version of a purpose (consent.policy_published): "
        "members who granted an older version show needsReconsent until they grant it again.",
        permission_classes=[IsAdmin],
    )
    async def publish_policy_version(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[PublishPolicyVersionInput, strawberry.argument(description=INPUT)],
    ) -> PurposePayload:
        try:
            program = await info.context.require_program()
            if not is_purpose_key(input.purpose):
                raise InvalidInput(
                    Problem(("purpose",), "Not a purpose key.", ErrorCode.UNKNOWN_PURPOSE)
                )
            row = await info.context.bus.handle(
                commands.PublishPolicyVersion(
                    program_id=program.id, purpose=input.purpose, description=input.description
                )
            )
        except InvalidInput as refused:
            return PurposePayload(purpose=None, user_errors=user_errors(refused))
        return PurposePayload(purpose=_purpose(row), user_errors=[])


def _actor(role: Role, subject: str) -> str:
    """Who recorded a consent: a member token by its role alone, since the ledger is
    append-only and a member's subject (its externalId) is personal data erasure must forget."""
    return role.value if role is Role.MEMBER else actor(role.value, subject)


def _purpose(row: dict[str, Any]) -> ConsentPurpose:
    return ConsentPurpose.from_model(PurposeModel._init_from_db(**row))


def _preference_changes(input: UpdatePreferencesInput) -> dict[str, Any]:
    problems = ProblemCollector()
    changes: dict[str, Any] = {}
    for name in ("email", "push", "sms", "topics"):
        value = getattr(input, name)
        if value is not None:
            changes[name] = value
    for name in ("email_weekly_cap", "push_weekly_cap", "sms_weekly_cap", "timezone", "locale"):
        value = getattr(input, name)
        if value is not strawberry.UNSET:
            changes[name] = value
    quiet = input.quiet_hours
    if quiet is None:
        changes["quiet_start"] = changes["quiet_end"] = None
    elif quiet is not strawberry.UNSET:
        for part in ("start", "end"):
            minute = parse_clock(getattr(quiet, part))
            if minute is None:
                problems.add(
                    ("quietHours", part), "A time is HH:MM, 24-hour.", ErrorCode.INVALID_PREFERENCES
                )
            changes[f"quiet_{part}"] = minute
    problems.raise_if_any()
    return changes
