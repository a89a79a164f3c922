"""GraphiQL served by the API itself: our own page around the pinned GraphiQL and React builds in
static/ (versions and refreshing: README), so the IDE works offline and behind a firewall.

The page allows only its own origin's scripts, styles and fetches (Content-Security-Policy); the
one <style> element GraphiQL adds at run time passes by a per-response nonce."""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

STATIC = Path(__file__).parent / "static"
ASSETS_PATH = "/graphiql/assets"

# In load order: GraphiQL's UMD build needs the React and ReactDOM globals.
SCRIPTS = ("react.production.min.js", "react-dom.production.min.js", "graphiql.min.js")
# Ours, last: it renders GraphiQL against the endpoint named in its data-endpoint attribute.
START_SCRIPT = "start-graphiql.js"
STYLES = ("graphiql.min.css",)

MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
# Asset URLs carry a digest of their content, so a browser may keep them until they change.
ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Asset:
    url: str
    integrity: str


@functools.cache
def asset(name: str) -> Asset:
    content = (STATIC / name).read_bytes()
    version = hashlib.sha256(content).hexdigest()[:16]
    integrity = base64.b64encode(hashlib.sha384(content).digest()).decode()
    return Asset(url=f"{ASSETS_PATH}/{name}?v={version}", integrity=f"sha384-{integrity}")


def content_security_policy(nonce: str) -> str:
    # Fonts and icons are data: URLs inside graphiql.min.css; nothing may come from elsewhere.
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            f"style-src 'self' 'nonce-{nonce}'",
            "font-src 'self' data:",
            "img-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


def render_page(endpoint: str, nonce: str) -> str:
    def attribute(value: str) -> str:
        return html.escape(value, quote=True)

    styles = "\n".join(
        f'    <link rel="stylesheet" href="{attribute(asset(name).url)}"'
        f' integrity="{asset(name).integrity}">'
        for name in STYLES
    )
    scripts = "\n".join(
        f'    <script src="{attribute(asset(name).url)}" integrity="{asset(name).integrity}">'
        "</script>"
        for name in SCRIPTS
    )
    start = asset(START_SCRIPT)
    scripts += (
        f'\n    <script src="{attribute(start.url)}" integrity="{start.integrity}"'
        f' nonce="{nonce}" data-endpoint="{attribute(endpoint)}"></script>'
    )
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>Loyalty GraphiQL</title>
    <link rel="icon" href="data:,">
{styles}
    <style nonce="{nonce}">
      body {{ margin: 0; height: 100vh; overflow: hidden; }}
      #graphiql {{ height: 100vh; }}
    </style>
  </head>
  <body>
    <div id="graphiql">Loading…</div>
    <noscript>GraphiQL needs JavaScript.</noscript>
{scripts}
  </body>
</html>
"""


def graphiql_page(endpoint: str) -> Response:
    """The IDE page for the GraphQL endpoint at the path `endpoint`."""
    nonce = secrets.token_urlsafe(16)
    return HTMLResponse(
        render_page(endpoint, nonce),
        headers={
            "Content-Security-Policy": content_security_policy(nonce),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


class _AssetFiles(StaticFiles):
    """static/ with long cache lifetimes and fixed media types (not the host's mime.types)."""

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        media_type = MEDIA_TYPES.get(Path(full_path).suffix)
        if media_type is not None:
            response.headers["Content-Type"] = media_type
        response.headers["Cache-Control"] = ASSET_CACHE_CONTROL
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def asset_routes() -> list[BaseRoute]:
    """Routes serving the IDE's assets; mount them only where the IDE is on."""
    return [Mount(ASSETS_PATH, app=_AssetFiles(directory=STATIC), name="graphiql-assets")]
