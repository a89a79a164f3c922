"""Rules for loyalty programs (tenants): identity key, name, currency, timezone, locale."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from zoneinfo import available_timezones

from domain.currency import is_currency
from domain.validation import ErrorCode, ProblemCollector

PROGRAM_NAME_MAX = 100
_PROGRAM_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


@dataclass(frozen=True, slots=True)
class ProgramSettings:
    """The validated, normalised settings of a program."""

    name: str
    timezone: str
    default_locale: str


def is_program_key(key: str) -> bool:
    """Program keys are the tenant ids carried in tokens: lower-case slugs of 2..63 characters."""
    return _PROGRAM_KEY.fullmatch(key) is not None


# Files of a tz database that are no IANA zone: "localtime" is whatever zone the host is set to,
# "Factory" a placeholder zone named "-00", "posixrules" a template for POSIX TZ strings.
_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})


def is_timezone(name: str) -> bool:
    """An IANA zone name known to this machine's tz database (not a folder such as 'Europe')."""
    return name in _known_timezones()


@cache
def _known_timezones() -> frozenset[str]:
    return frozenset(available_timezones()) - _NOT_ZONES


def validate_new_program(
    *, key: str, name: str, currency: str, timezone: str, default_locale: str
) -> ProgramSettings:
    """Check a program to create; raises InvalidInput listing every problem."""
    problems = ProblemCollector()
    if not is_program_key(key):
        problems.add(
            "key",
            "Program key must be 2-63 lower-case letters, digits or dashes.",
            ErrorCode.INVALID_PROGRAM_KEY,
        )
    if not is_currency(currency):
        problems.add(
            "currency",
            f"{currency!r} is not an ISO 4217 currency code.",
            ErrorCode.INVALID_CURRENCY,
        )
    settings = _validate_settings(problems, name=name, timezone=timezone, locale=default_locale)
    problems.raise_if_any()
    assert settings is not None
    return settings


def validate_program_update(
    current: ProgramSettings,
    *,
    name: str | None,
    timezone: str | None,
    default_locale: str | None,
) -> ProgramSettings:
    """Apply a partial update to a program's settings; fields left None keep their value."""
    problems = ProblemCollector()
    settings = _validate_settings(
        problems,
        name=current.name if name is None else name,
        timezone=current.timezone if timezone is None else timezone,
        locale=current.default_locale if default_locale is None else default_locale,
    )
    problems.raise_if_any()
    assert settings is not None
    return settings


def _validate_settings(
    problems: ProblemCollector, *, name: str, timezone: str, locale: str
) -> ProgramSettings | None:
    clean_name = problems.one_line_text(
        "name", name, max_length=PROGRAM_NAME_MAX, label="Name", code=ErrorCode.INVALID_NAME
    )
    if not is_timezone(timezone):
        problems.add(
            "timezone", f"{timezone!r} is not an IANA time zone.", ErrorCode.INVALID_TIMEZONE
        )
    clean_locale = problems.locale("defaultLocale", locale)
    if clean_name is None or clean_locale is None:
        return None
    return ProgramSettings(name=clean_name, timezone=timezone, default_locale=clean_locale)
