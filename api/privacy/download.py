"""GET /exports/{id}: a data export's JSON document, for the bearer token of its member or of an
admin of its program. Anyone else, and any other program, gets 404 (an export's existence is
not told); an authorised caller gets 410 once it expired; no token or a bad one 401."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from tortoise import connections

from api.auth import AuthError, Role, TokenVerifier, bearer_token
from api.relay import parse_key
from consent.export import stored_export
from domain.clock import Clock
from domain.members import MemberStatus
from loyalty import members, programs


def _problem(status: int, message: str) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def export_download(
    verifier: TokenVerifier, clock: Clock
) -> Callable[[Request], Awaitable[Response]]:
    async def download(request: Request) -> Response:
        try:
            token = bearer_token(request.headers.get("authorization"))
            if token is None:
                raise AuthError("authentication required")
            principal = await verifier.verify(token)
        except AuthError as refused:
            return _problem(401, f"Not authenticated: {refused}.")
        missing = _problem(404, "No such export.")
        export_id = parse_key(request.path_params["export_id"])
        if export_id is None or principal.role not in (Role.MEMBER, Role.ADMIN):
            return missing
        program = await programs.find_program(principal.program_key)
        if program is None:
            return missing
        stored = await stored_export(connections.get("default"), program.id, export_id)
        if stored is None:
            return missing
        if principal.role is Role.MEMBER:
            me = await members.member_by_external_id(program.id, principal.subject)
            if me is None or me.status is MemberStatus.ERASED or me.id != stored.record.member_id:
                return missing
        if stored.record.expires_at <= clock.now():
            return _problem(410, "This export expired; request a new one.")
        return Response(
            stored.document,
            media_type="application/json",
            headers={
                "Cache-Control": "no-store",
                "Content-Disposition": f'attachment; filename="export-{export_id}.json"',
            },
        )

    return download
