"""Surveys, responses and text answers by global id (node(id:)): who may see which."""

from __future__ import annotations

from typing import Any

import strawberry

from api.auth import Role
from api.context import Context
from api.feedback.types import Survey, SurveyResponse, SurveyTextAnswer
from loyalty.feedback import reads


async def visible_survey(info: strawberry.Info[Context, Any], key: int) -> Survey | None:
    """Every survey of the program for admins; its open and closed ones for members."""
    principal = info.context.require_principal()
    program = await info.context.program()
    if program is None or principal.role not in (Role.ADMIN, Role.MEMBER):
        return None
    found = await reads.find_survey(program.id, key)
    if found is None or (principal.role is Role.MEMBER and found.status == "DRAFT"):
        return None
    return Survey.from_model(found)


async def visible_response(info: strawberry.Info[Context, Any], key: int) -> SurveyResponse | None:
    """A response for its program's admins, and for the member who gave it."""
    principal = info.context.require_principal()
    program = await info.context.program()
    if program is None or principal.role not in (Role.ADMIN, Role.MEMBER):
        return None
    found = await reads.find_response(program.id, key)
    if found is None:
        return None
    if principal.role is Role.MEMBER:
        me = await info.context.me()
        if me is None or me.id != found.member_id:
            return None
    return SurveyResponse.from_model(found)


async def visible_text_answer(
    info: strawberry.Info[Context, Any], key: int
) -> SurveyTextAnswer | None:
    """A text answer for its program's admins only."""
    principal = info.context.require_principal()
    program = await info.context.program()
    if program is None or principal.role is not Role.ADMIN:
        return None
    found = await reads.find_text_answer(program.id, key)
    return SurveyTextAnswer.of(found) if found is not None else None
