"""Program rules: key slugs, currency, time zone, locale, and partial updates."""

from __future__ import annotations

import pytest

from domain.programs import (
    PROGRAM_NAME_MAX,
    ProgramSettings,
    is_program_key,
    is_timezone,
    validate_new_program,
    validate_program_update,
)
from domain.validation import ErrorCode, InvalidInput

pytestmark = pytest.mark.unit

CURRENT = ProgramSettings(name="Acme Rewards", timezone="Europe/Paris", default_locale="fr")


def new_program(**overrides: str) -> ProgramSettings:
    fields = {
        "key": "acme",
        "name": "Acme Rewards",
        "currency": "EUR",
        "timezone": "Europe/Paris",
        "default_locale": "fr-FR",
    }
    fields.update(overrides)
    return validate_new_program(**fields)


def problems_of(
    error: pytest.ExceptionInfo[InvalidInput],
) -> list[tuple[tuple[str, ...], ErrorCode]]:
    return [(p.field, p.code) for p in error.value.problems]


@pytest.mark.parametrize("key", ["ab", "a" * 63, "acme", "acme-eu", "0x", "9lives", "a--b", "ab-"])
def test_program_key_accepted(key: str) -> None:
    assert is_program_key(key)


@pytest.mark.parametrize(
    "key",
    ["", "a", "a" * 64, "Acme", "ACME", "-acme", "acme_eu", "acme eu", "acme.eu", "café", " acme"],
)
def test_program_key_refused(key: str) -> None:
    assert not is_program_key(key)


def test_program_key_with_trailing_newline_refused() -> None:
    assert not is_program_key("acme\n")


@pytest.mark.parametrize(
    "zone", ["Europe/Paris", "UTC", "America/Argentina/Buenos_Aires", "Etc/GMT+5"]
)
def test_timezone_accepted(zone: str) -> None:
    assert is_timezone(zone)


@pytest.mark.parametrize(
    "zone",
    [
        *["", "Mars/Olympus", "europe/paris", "Europe/Paris ", "../etc/passwd", "/etc/localtime"],
        *["localtime", "Factory", "posixrules", "posix/UTC", "right/UTC"],  # no IANA zones
    ],
)
def test_timezone_refused(zone: str) -> None:
    assert not is_timezone(zone)


@pytest.mark.parametrize("zone", ["Europe", "America"])
def test_timezone_naming_a_region_folder_refused(zone: str) -> None:
    assert not is_timezone(zone)


def test_timezone_with_overlong_name_refused() -> None:
    assert not is_timezone("a" * 300)


def test_valid_new_program_is_normalised() -> None:
    settings = new_program(name="  Acme Rewards  ")
    assert settings == ProgramSettings(
        name="Acme Rewards", timezone="Europe/Paris", default_locale="fr-FR"
    )


def test_new_program_name_at_limit_accepted() -> None:
    assert new_program(name="n" * PROGRAM_NAME_MAX).name == "n" * PROGRAM_NAME_MAX


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"key": "Acme"}, "key", ErrorCode.INVALID_PROGRAM_KEY),
        ({"key": "a"}, "key", ErrorCode.INVALID_PROGRAM_KEY),
        ({"currency": "eur"}, "currency", ErrorCode.INVALID_CURRENCY),
        ({"currency": "EUE"}, "currency", ErrorCode.INVALID_CURRENCY),
        ({"currency": "XXX"}, "currency", ErrorCode.INVALID_CURRENCY),
        ({"name": ""}, "name", ErrorCode.INVALID_NAME),
        ({"name": "   "}, "name", ErrorCode.INVALID_NAME),
        ({"name": "a\nb"}, "name", ErrorCode.INVALID_NAME),
        ({"name": "n" * (PROGRAM_NAME_MAX + 1)}, "name", ErrorCode.INVALID_NAME),
        ({"timezone": "Mars/Olympus"}, "timezone", ErrorCode.INVALID_TIMEZONE),
        ({"timezone": ""}, "timezone", ErrorCode.INVALID_TIMEZONE),
        ({"default_locale": "en_US"}, "defaultLocale", ErrorCode.INVALID_LOCALE),
    ],
)
def test_new_program_single_problem(overrides: dict[str, str], field: str, code: ErrorCode) -> None:
    with pytest.raises(InvalidInput) as caught:
        new_program(**overrides)
    assert problems_of(caught) == [((field,), code)]


def test_new_program_reports_every_problem_at_once() -> None:
    with pytest.raises(InvalidInput) as caught:
        new_program(
            key="-x", name="", currency="eur", timezone="Mars/Olympus", default_locale="en_GB"
        )
    assert problems_of(caught) == [
        (("key",), ErrorCode.INVALID_PROGRAM_KEY),
        (("currency",), ErrorCode.INVALID_CURRENCY),
        (("name",), ErrorCode.INVALID_NAME),
        (("timezone",), ErrorCode.INVALID_TIMEZONE),
        (("defaultLocale",), ErrorCode.INVALID_LOCALE),
    ]
    assert "'eur' is not an ISO 4217 currency code." in str(caught.value)


def test_new_program_with_valid_name_but_bad_key_still_raises() -> None:
    with pytest.raises(InvalidInput) as caught:
        new_program(key="A")
    assert problems_of(caught) == [(("key",), ErrorCode.INVALID_PROGRAM_KEY)]


def test_update_with_nothing_keeps_current_settings() -> None:
    assert (
        validate_program_update(CURRENT, name=None, timezone=None, default_locale=None) == CURRENT
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"name": "  New Name "}, ProgramSettings("New Name", "Europe/Paris", "fr")),
        ({"timezone": "Asia/Tokyo"}, ProgramSettings("Acme Rewards", "Asia/Tokyo", "fr")),
        ({"default_locale": "pt-BR"}, ProgramSettings("Acme Rewards", "Europe/Paris", "pt-BR")),
        (
            {"name": "X", "timezone": "UTC", "default_locale": "en"},
            ProgramSettings("X", "UTC", "en"),
        ),
    ],
)
def test_update_changes_only_provided_fields(
    changes: dict[str, str], expected: ProgramSettings
) -> None:
    fields: dict[str, str | None] = {"name": None, "timezone": None, "default_locale": None}
    fields.update(changes)
    assert validate_program_update(CURRENT, **fields) == expected


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"name": ""}, "name", ErrorCode.INVALID_NAME),
        ({"name": " \t "}, "name", ErrorCode.INVALID_NAME),
        ({"timezone": "Mars/Olympus"}, "timezone", ErrorCode.INVALID_TIMEZONE),
        ({"default_locale": "english"}, "defaultLocale", ErrorCode.INVALID_LOCALE),
    ],
)
def test_update_validates_provided_fields(
    changes: dict[str, str], field: str, code: ErrorCode
) -> None:
    fields: dict[str, str | None] = {"name": None, "timezone": None, "default_locale": None}
    fields.update(changes)
    with pytest.raises(InvalidInput) as caught:
        validate_program_update(CURRENT, **fields)
    assert problems_of(caught) == [((field,), code)]


def test_update_reports_every_problem_at_once() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_program_update(CURRENT, name="", timezone="Nowhere/City", default_locale="en_GB")
    assert [p.field for p in caught.value.problems] == [
        ("name",),
        ("timezone",),
        ("defaultLocale",),
    ]


def test_new_program_in_region_folder_is_an_invalid_input() -> None:
    with pytest.raises(InvalidInput) as caught:
        new_program(timezone="Europe")
    assert problems_of(caught) == [(("timezone",), ErrorCode.INVALID_TIMEZONE)]
