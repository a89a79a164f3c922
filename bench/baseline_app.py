"""The ceiling for member status: a raw Starlette endpoint returning the API's own answer to the
status document (bench/screen.py, saved in BENCH_STATUS_ANSWER), with no GraphQL, no auth and no
database."""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ANSWER = Path(os.environ["BENCH_STATUS_ANSWER"]).read_bytes()


async def status(request: Request) -> Response:
    await request.body()  # read the request like the GraphQL endpoint must
    return Response(ANSWER, media_type="application/json")


app = Starlette(routes=[Route("/graphql", status, methods=["POST"])])
