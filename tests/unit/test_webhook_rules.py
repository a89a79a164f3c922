"""Webhook URL and address rules (domain/webhooks.py): SSRF guards and the retry schedule."""

from __future__ import annotations

import ipaddress
import random
from datetime import timedelta

import pytest

from domain.webhooks import BACKOFF, JITTER, refused_address, retry_delay, url_problem

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/in",
        "https://hooks.example.com:8443/in?x=1",
        "https://93.184.216.34/in",
        "https://[2606:4700::1111]/in",
    ],
)
def test_public_https_urls_are_allowed_everywhere(url: str) -> None:
    assert url_problem(url, production=True) is None
    assert url_problem(url, production=False) is None


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/hooks", "http://localhost/hooks", "http://[::1]:9/h"]
)
def test_http_to_loopback_only_in_development(url: str) -> None:
    assert url_problem(url, production=False) is None
    assert url_problem(url, production=True) is not None


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/in",  # plain http elsewhere than loopback
        "ftp://hooks.example.com/in",
        "https://user:pass@hooks.example.com/in",
        "https://hooks.example.com/in#frag",
        "https:///in",
        "https://hooks.example.com/in with space",
        "",
        "https://" + "a" * 2050 + ".com",
    ],
)
def test_malformed_or_unsafe_urls_are_refused_everywhere(url: str) -> None:
    assert url_problem(url, production=False) is not None
    assert url_problem(url, production=True) is not None


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.5/in",
        "https://192.168.1.1/in",
        "https://172.16.0.1/in",
        "https://169.254.169.254/latest/meta-data",
        "https://[fd00:ec2::254]/in",
        "https://[fe80::1]/in",
        "https://0.0.0.0/in",
        "https://224.0.0.1/in",
        "https://127.0.0.1/in",
        "https://localhost/in",
        "https://[::ffff:10.0.0.1]/in",
        "https://100.64.0.1/in",
    ],
)
def test_production_refuses_private_link_local_and_metadata_literals(url: str) -> None:
    assert url_problem(url, production=True) is not None


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("8.8.8.8", False),
        ("2606:4700::1111", False),
        ("10.1.2.3", True),
        ("127.0.0.1", True),
        ("::1", True),
        ("169.254.169.254", True),
        ("169.254.10.1", True),
        ("fd00:ec2::254", True),
        ("fc00::1", True),
        ("fe80::1", True),
        ("ff02::1", True),
        ("240.0.0.1", True),
        ("::ffff:192.168.0.1", True),
        ("100.100.100.200", True),
    ],
)
def test_resolved_addresses_off_the_public_internet_are_refused(
    address: str, refused: bool
) -> None:
    assert refused_address(ipaddress.ip_address(address)) is refused


def test_retries_back_off_exponentially_with_bounded_jitter() -> None:
    rng = random.Random(7)  # noqa: S311 - a repeatable jitter, not a secret
    for attempt, base in enumerate(BACKOFF, start=1):
        delay = retry_delay(attempt, rng)
        assert base * (1 - JITTER) <= delay <= base * (1 + JITTER)
    assert retry_delay(100, rng) <= timedelta(hours=3) * (1 + JITTER)
