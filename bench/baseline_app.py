"""The ceiling for member status: a raw Starlette endpoint returning the same JSON as the API's
`me { points }` answer, with no GraphQL, no auth and no database."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

STATUS = {
    "data": {
        "me": {
            "points": {
                "available": 1234,
                "pending": 0,
                "expiringSoon": [{"points": 120, "expiresOn": "2027-01-31"}],
            }
        }
    }
}


async def status(request: Request) -> JSONResponse:
    await request.body()  # read the request like the GraphQL endpoint must
    return JSONResponse(STATUS)


app = Starlette(routes=[Route("/graphql", status, methods=["POST"])])
