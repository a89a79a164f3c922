"""The GraphQL endpoint's HTTP rules, under strawberry's ASGI view.

- A body that is not a GraphQL request (JSON that is not an object, invalid UTF-8, nesting deeper
  than the decoder goes, an `operationName` that is not a string) is a 400, like other bad JSON,
  never a 500.
- When an outage kept every field from an answer (a SERVICE_UNAVAILABLE error, no field with
  data), the answer is 503 with Retry-After, so clients and proxies know to retry; a throttled
  request (THROTTLED: nothing ran) is 429 with the Retry-After its bucket needs.
"""

from __future__ import annotations

import json
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.responses import Response
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData

from api.context import Context
from api.errors import TopLevelCode

RETRY_AFTER_SECONDS = 5


class GraphQLHTTP(GraphQL[Context, None]):
    """Strawberry's view with the rules above; LoyaltyGraphQL adds authentication."""

    def parse_json(self, data: str | bytes) -> Any:
        try:
            decoded = json.loads(data)
        except (ValueError, RecursionError) as error:  # ValueError: bad JSON or UTF-8
            raise HTTPException(400, "Unable to parse request body as JSON") from error
        if not isinstance(decoded, dict | list):  # lists: batches, which strawberry refuses
            raise HTTPException(400, "The request body must be a JSON object.")
        return decoded

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        parsed = await super().parse_http_body(request)
        if isinstance(parsed, GraphQLRequestData):
            name: object = parsed.operation_name
            if name is not None and not isinstance(name, str):
                raise HTTPException(
                    400, "The GraphQL operation's `operationName` must be a string or null."
                )
        return parsed

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        if isinstance(response_data, dict) and _nothing_but_an_outage(response_data):
            response.status_code = 503
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        elif isinstance(response_data, dict) and (wait := _throttled(response_data)):
            response.status_code = 429
            response.headers["Retry-After"] = str(wait)
        return response


def _nothing_but_an_outage(response: GraphQLHTTPResponse) -> bool:
    codes = {
        error.get("extensions", {}).get("code")
        for error in response.get("errors") or []
        if isinstance(error, dict)
    }
    data = response.get("data") or {}
    answered = any(value is not None for value in data.values())
    return TopLevelCode.SERVICE_UNAVAILABLE.value in codes and not answered


def _throttled(response: GraphQLHTTPResponse) -> int | None:
    """The seconds to wait when the request was throttled (nothing of it ran), else None."""
    for error in response.get("errors") or []:
        extensions = error.get("extensions", {}) if isinstance(error, dict) else {}
        if extensions.get("code") == TopLevelCode.THROTTLED.value:
            wait = extensions.get("retryAfterSeconds")
            return wait if isinstance(wait, int) else 1
    return None
