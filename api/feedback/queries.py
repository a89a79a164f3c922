"""Queries of surveys: the program's surveys (admins) and one survey by id."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from api.auth import Role
from api.context import Context
from api.feedback.nodes import visible_survey
from api.feedback.types import Survey, SurveyConnection
from api.permissions import IsAdmin, roles
from api.relay import AFTER, FIRST, decode_cursor, decode_global_id, keyset_connection, page_size
from domain.surveys import SurveyStatus
from loyalty.feedback.reads import surveys_page

CURSOR = "survey"


@strawberry.type
class FeedbackQueries:
    @strawberry.field(
        description="The program's surveys, oldest first, in every status (or one).",
        permission_classes=[IsAdmin],
    )
    async def surveys(
        self,
        info: strawberry.Info[Context, Any],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
        status: Annotated[
            SurveyStatus | None, strawberry.argument(description="Only surveys in this status.")
        ] = None,
    ) -> SurveyConnection:
        limit = page_size(first, "surveys")
        after_id = decode_cursor(after, CURSOR)
        program = await info.context.program()
        rows = (
            await surveys_page(program.id, after_id=after_id, status=status, limit=limit + 1)
            if program is not None
            else []
        )
        return keyset_connection(
            SurveyConnection, rows, limit, CURSOR, Survey.from_model, after=after
        )

    @strawberry.field(
        description="A survey by its global id: any of the program's for admins, an open or "
        "closed one for members; null if there is none.",
        permission_classes=[roles(Role.MEMBER, Role.ADMIN)],
    )
    async def survey(
        self,
        info: strawberry.Info[Context, Any],
        id: Annotated[strawberry.ID, strawberry.argument(description="The survey's global id.")],
    ) -> Survey | None:
        key = decode_global_id(id, "Survey")
        return await visible_survey(info, key) if key is not None else None
