"""The SSRF guard of webhook endpoints: in production (LOYALTY_ENV) a subscription's URL may not
point off the public internet.

- The URL itself is checked by `url_problem` (domain/webhooks.py, called from
  subscriptions.py); on create and on a change of URL its host is also resolved here, and
  refused when any address it resolves to is private, loopback, link-local or reserved
  (`refused_address`).
- Every send resolves and checks the host again (an existing endpoint may since resolve
  elsewhere), and goes to that very address (`pinned`), keeping the original host as Host header
  and TLS server name: a name re-resolving elsewhere between the check and the connection (DNS
  rebinding) cannot redirect the send.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
from typing import Any
from urllib.parse import urlsplit

from domain.validation import ErrorCode, InvalidInput, Problem
from domain.webhooks import refused_address


def production() -> bool:
    """LOYALTY_ENV, validated at start by api/settings.py: production refuses private hosts."""
    return os.environ.get("LOYALTY_ENV", "development") == "production"


async def check_resolves_publicly(url: str) -> None:
    """In production, refuse a URL whose host resolves to an address off the public internet."""
    if not production():
        return
    if await _public_address(url) is None:
        raise InvalidInput(
            Problem(
                ("url",),
                "The URL's host resolves to a private, loopback, link-local or reserved address.",
                ErrorCode.INVALID_WEBHOOK_URL,
            )
        )


async def _public_address(url: str) -> str | None:
    """An address the URL's host resolves to, when every one it resolves to is public."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, parts.port or (443 if parts.scheme == "https" else 80)
        )
    except OSError:
        return None
    addresses = sorted({str(info[4][0]).split("%")[0] for info in infos})
    if not addresses or any(refused_address(ipaddress.ip_address(a)) for a in addresses):
        return None
    return addresses[0]


def pinned(url: str, address: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The URL sent to `address` itself, with the original host as Host header and TLS server
    name (SNI, and so certificate checks): a name resolving elsewhere after the check (DNS
    rebinding) cannot redirect the send."""
    parts = urlsplit(url)
    literal = f"[{address}]" if ":" in address else address
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    host_header = parts.netloc.rpartition("@")[2]
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    return parts._replace(netloc=netloc).geturl(), {"host": host_header}, extensions
