"""Webhook rules: which endpoint URLs and addresses a delivery may go to, and when to try again.

Pure rules, no I/O: resolving a host is the sender's job (loyalty/webhooks/), which asks
`refused_address` of every address the host resolves to, at subscription time and again before
each send (a name may resolve elsewhere by then: DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import random
from datetime import timedelta
from urllib.parse import urlsplit

URL_MAX = 2048
DESCRIPTION_MAX = 500
EVENT_TYPES_MAX = 100
# Retries: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, then every 3 h, each with up to a fifth more
# or less (jitter, so endpoints coming back are not hit by every delivery at once), until the
# delivery is this old: then it is failed for good.
BACKOFF = (
    timedelta(seconds=5),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=3),
)
GIVE_UP_AFTER = timedelta(days=3)
JITTER = 0.2
# An endpoint whose deliveries failed this many times in a row (no success between) is disabled.
DISABLE_AFTER_FAILURES = 50
# Signatures with the previous secret are sent beside the new one this long after a rotation.
ROTATION_OVERLAP = timedelta(hours=24)

_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
_METADATA = (
    ipaddress.ip_network("169.254.169.254/32"),  # cloud instance metadata (AWS, GCP, Azure)
    ipaddress.ip_network("100.100.100.200/32"),  # Alibaba Cloud metadata
    ipaddress.ip_network("fd00::/8"),  # unique local IPv6, incl. AWS's fd00:ec2::254
)


def url_problem(url: str, *, production: bool) -> str | None:
    """Why an endpoint URL is refused, or None. Production: https only, never an IP literal or
    name of this host's loopback or private networks. Development also allows http:// to the
    loopback host (a receiver on the developer's machine, the tests' own)."""
    if not url or len(url) > URL_MAX or not url.isascii() or not url.isprintable() or " " in url:
        return f"The URL must be 1-{URL_MAX} printable ASCII characters without spaces."
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "The URL is malformed."
    host = (parts.hostname or "").lower()
    if not host:
        return "The URL needs a host."
    if parts.username is not None or parts.password is not None:
        return "The URL may not carry credentials."
    if parts.fragment:
        return "The URL may not have a fragment."
    if port == 0:
        return "The URL's port is invalid."
    loopback = host in _LOOPBACK_HOSTS or _is_loopback_literal(host)
    if parts.scheme == "http":
        if production or not loopback:
            return "The URL must use https (http only to the loopback host in development)."
    elif parts.scheme != "https":
        return "The URL must use https."
    if production:
        if loopback:
            return "The URL may not point at this host."
        literal = _literal(host)
        if literal is not None and refused_address(literal):
            return "The URL points at a private, loopback, link-local or reserved address."
    return None


def refused_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether production may not deliver to this address: anything but the public internet."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
        or any(address in network for network in _METADATA)
    )


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """The pause after the `attempts`-th failed attempt (1 for the first), with jitter."""
    base = BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]
    spread = (rng or random.SystemRandom()).uniform(1 - JITTER, 1 + JITTER)
    return base * spread


def _literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _is_loopback_literal(host: str) -> bool:
    literal = _literal(host)
    return literal is not None and literal.is_loopback
