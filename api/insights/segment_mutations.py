"""createSegment, updateSegment and archiveSegment: an admin's segments of the program.

Rules are typed input (a field enum, an operator enum and a typed value), validated and bounded
in domain/segments.py; a refused input changes nothing and answers userErrors with codes."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import strawberry

from api.context import Context
from api.errors import INPUT, UserError, user_errors
from api.insights.types import Segment
from api.permissions import IsAdmin
from api.relay import decode_global_id
from domain import segments as rules
from domain.validation import ErrorCode, InvalidInput, Problem, actor
from loyalty.insights import reads
from loyalty.insights.commands import ArchiveSegment, CreateSegment, UpdateSegment


@strawberry.input(
    description="One condition: `field` compared by `operator` with `number` (numeric fields) "
    "or `texts` (TIER, LOCALE: one text, or 1-20 with IN); `withinDays` (1-365) for "
    "POINTS_EXPIRING and COMMUNITY_POSTS only. Admin."
)
class SegmentConditionInput:
    field: rules.SegmentField = strawberry.field(description="What it reads.")
    operator: rules.SegmentOperator = strawberry.field(description="How it compares.")
    number: Decimal | None = strawberry.field(
        default=None,
        description="A numeric field's value within its range (scores 1-5, churn probability "
        "0-1 with 4 decimals, days and points whole numbers).",
    )
    texts: list[str] | None = strawberry.field(
        default=None, description="Tier keys or locale tags."
    )
    within_days: int | None = strawberry.field(default=None, description="The window in days.")


@strawberry.input(
    description=f"Every `all` condition holds, and one of `any` when given; at most "
    f"{rules.MAX_CONDITIONS} in all. No conditions: every active member. Admin."
)
class SegmentRulesInput:
    all: list[SegmentConditionInput] = strawberry.field(
        default_factory=list, description="Conditions that must all hold."
    )
    any: list[SegmentConditionInput] = strawberry.field(
        default_factory=list, description="Conditions of which at least one must hold."
    )


@strawberry.input(description="A new segment. Admin.")
class CreateSegmentInput:
    name: str = strawberry.field(description=f"1-{rules.NAME_MAX} characters, unique.")
    description: str | None = strawberry.field(
        default=None, description=f"What it is for, at most {rules.DESCRIPTION_MAX} characters."
    )
    rules: SegmentRulesInput = strawberry.field(description="Who is in it.")
    member_visible: bool = strawberry.field(
        default=False, description="Whether members see it in `me { segments }`."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="A retry with the same key answers the segment created first."
    )


@strawberry.input(description="A live segment's new definition (replaces it whole). Admin.")
class UpdateSegmentInput:
    id: strawberry.ID = strawberry.field(description="The segment (its global id).")
    name: str = strawberry.field(description=f"1-{rules.NAME_MAX} characters, unique.")
    description: str | None = strawberry.field(default=None, description="What it is for.")
    rules: SegmentRulesInput = strawberry.field(description="Who is in it.")
    member_visible: bool = strawberry.field(
        default=False, description="Whether members see it in `me { segments }`."
    )


@strawberry.input(description="The segment to archive. Admin.")
class ArchiveSegmentInput:
    id: strawberry.ID = strawberry.field(description="The segment (its global id).")


@strawberry.type(description="Result of a segment mutation. Admin.")
class SegmentPayload:
    segment: Segment | None = strawberry.field(description="The segment now; null if refused.")
    user_errors: list[UserError] = strawberry.field(description="Why; nothing changed.")


def _conditions(given: list[SegmentConditionInput]) -> list[rules.ConditionInput]:
    return [
        rules.ConditionInput(
            field=item.field,
            operator=item.operator,
            number=item.number,
            texts=tuple(item.texts) if item.texts is not None else None,
            within_days=item.within_days,
        )
        for item in given
    ]


def _details(
    name: str, description: str | None, given: SegmentRulesInput, member_visible: bool
) -> rules.SegmentDetails:
    return rules.validate_segment(
        name=name,
        description=description,
        all_conditions=_conditions(given.all),
        any_conditions=_conditions(given.any),
        member_visible=member_visible,
    )


def _key(value: str) -> int:
    key = decode_global_id(value, "Segment")
    if key is None:
        raise InvalidInput(Problem(("id",), "Not a Segment id.", ErrorCode.INVALID_ID))
    return key


async def _answer(program_id: int, segment_id: int) -> SegmentPayload:
    found = await reads.segment(program_id, segment_id)
    return SegmentPayload(segment=Segment.of(found) if found else None, user_errors=[])


@strawberry.type
class SegmentMutations:
    @strawberry.mutation(
        description="Create a segment from typed rules; `behavioural` is derived from them.",
        permission_classes=[IsAdmin],
    )
    async def create_segment(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[CreateSegmentInput, strawberry.argument(description=INPUT)],
    ) -> SegmentPayload:
        try:
            program = await info.context.require_program()
            principal = info.context.require_principal()
            details = _details(input.name, input.description, input.rules, input.member_visible)
            segment_id = await info.context.bus.handle(
                CreateSegment(
                    program_id=program.id,
                    actor=actor(principal.role.value, principal.subject),
                    details=details,
                    idempotency_key=input.idempotency_key,
                )
            )
        except InvalidInput as refused:
            return SegmentPayload(segment=None, user_errors=user_errors(refused))
        return await _answer(program.id, segment_id)

    @strawberry.mutation(
        description="Replace a live segment's name, description, rules and visibility.",
        permission_classes=[IsAdmin],
    )
    async def update_segment(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[UpdateSegmentInput, strawberry.argument(description=INPUT)],
    ) -> SegmentPayload:
        try:
            program = await info.context.require_program()
            segment_id = _key(input.id)
            details = _details(input.name, input.description, input.rules, input.member_visible)
            await info.context.bus.handle(
                UpdateSegment(program_id=program.id, segment_id=segment_id, details=details)
            )
        except InvalidInput as refused:
            return SegmentPayload(segment=None, user_errors=user_errors(refused))
        return await _answer(program.id, segment_id)

    @strawberry.mutation(
        description="Archive a segment: it holds nobody from now on (again: no change).",
        permission_classes=[IsAdmin],
    )
    async def archive_segment(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[ArchiveSegmentInput, strawberry.argument(description=INPUT)],
    ) -> SegmentPayload:
        try:
            program = await info.context.require_program()
            segment_id = _key(input.id)
            await info.context.bus.handle(
                ArchiveSegment(program_id=program.id, segment_id=segment_id)
            )
        except InvalidInput as refused:
            return SegmentPayload(segment=None, user_errors=user_errors(refused))
        return await _answer(program.id, segment_id)
