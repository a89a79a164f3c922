"""Member rules: external ids, personal details and status changes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import members
from domain.members import (
    DISPLAY_NAME_MAX,
    EMAIL_MAX,
    EXTERNAL_ID_MAX,
    MemberDetails,
    MemberStatus,
    check_status_change,
    is_external_id,
    normalise_email,
    validate_details,
)
from domain.validation import ErrorCode, InvalidInput

pytestmark = pytest.mark.unit

TODAY = date(2026, 3, 15)
VALID = {"email": "ada@example.com", "display_name": "Ada", "birthday": None, "locale": "en"}


def details(**overrides: object) -> MemberDetails:
    fields = {**VALID, **overrides}
    return validate_details(today=TODAY, **fields)  # type: ignore[arg-type]


def problems(**overrides: object) -> list[tuple[tuple[str, ...], ErrorCode]]:
    with pytest.raises(InvalidInput) as caught:
        details(**overrides)
    return [(p.field, p.code) for p in caught.value.problems]


@pytest.mark.parametrize(
    "external_id",
    ["1", "x" * EXTERNAL_ID_MAX, "cust-42", "shopify:123/456", "a.b_c:d@e|f/g+h-i", "ABCxyz09"],
)
def test_external_id_accepted(external_id: str) -> None:
    assert is_external_id(external_id)


@pytest.mark.parametrize(
    "external_id",
    [
        "",
        "x" * (EXTERNAL_ID_MAX + 1),
        "a b",
        " a",
        "a ",
        "café",
        "ünïcödé",
        "a#b",
        "a\tb",
        "a,b",
        "cust-42\n",
    ],
)
def test_external_id_refused(external_id: str) -> None:
    assert not is_external_id(external_id)


def test_bad_external_id_is_reported_with_every_other_problem() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_details(
            external_id="has space",
            email="nope",
            display_name="",
            birthday=None,
            locale="en",
            today=date(2026, 1, 1),
        )
    assert {(p.field, p.code) for p in caught.value.problems} == {
        (("externalId",), ErrorCode.INVALID_EXTERNAL_ID),
        (("email",), ErrorCode.INVALID_EMAIL),
        (("displayName",), ErrorCode.INVALID_DISPLAY_NAME),
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ada@example.com", "ada@example.com"),
        ("Ada.Lovelace@Example.COM", "Ada.Lovelace@example.com"),
        ("  ADA@EXAMPLE.ORG\n", "ADA@example.org"),
        ("ada+loyalty@mail.example.co.uk", "ada+loyalty@mail.example.co.uk"),
        ("josé@example.com", "josé@example.com"),
        ("x@a-b.io", "x@a-b.io"),
        ("l" * 64 + "@example.com", "l" * 64 + "@example.com"),
    ],
)
def test_email_normalised(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected


def _email_of_length(length: int) -> str:
    full_labels, last = divmod(length - len("a@") - len(".com") - 1, 64)
    email = "a@" + ("d" * 63 + ".") * full_labels + "d" * (last + 1) + ".com"
    assert len(email) == length
    return email


def test_email_at_maximum_length_accepted() -> None:
    email = _email_of_length(EMAIL_MAX)
    assert normalise_email(email) == email


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "ada.example.com",
        "ada@@example.com",
        "ada@home@example.com",
        "ada@localhost",
        "ada@example",
        "ada@example.c",
        "ada@example.123",
        "ada lovelace@example.com",
        "ada@exa mple.com",
        "@example.com",
        "ada@",
        "ada@.com",
        "ada@-example.com",
        "ada@example-.com",
        "ada@exämple.com",
        "l" * 65 + "@example.com",
        _email_of_length(EMAIL_MAX + 1),
    ],
)
def test_email_refused(raw: str) -> None:
    assert normalise_email(raw) is None


@given(st.one_of(st.emails(), st.from_regex(members._EMAIL, fullmatch=True), st.text()))
@settings(database=None)
def test_normalise_email_is_idempotent(raw: str) -> None:
    once = normalise_email(raw)
    if once is not None:
        assert normalise_email(once) == once
        local, _, domain = once.rpartition("@")
        assert domain == domain.lower()
        assert raw.strip().startswith(local + "@")


@given(st.emails())
@settings(database=None)
def test_normalise_email_only_lowercases_the_domain(email: str) -> None:
    local, _, domain = email.rpartition("@")
    shouted = f"{local}@{domain.upper()}"
    assert normalise_email(shouted) == normalise_email(email)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Ada", "Ada"), ("  Ada Lovelace  ", "Ada Lovelace"), ("d" * DISPLAY_NAME_MAX, "d" * 100)],
)
def test_display_name_trimmed(raw: str, expected: str) -> None:
    assert details(display_name=raw).display_name == expected


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "\t\n", "Ada\nLovelace", "Ada\x00", "Ada\x1b[31m", "d" * (DISPLAY_NAME_MAX + 1)],
)
def test_display_name_refused(raw: str) -> None:
    assert problems(display_name=raw) == [(("displayName",), ErrorCode.INVALID_DISPLAY_NAME)]


@pytest.mark.parametrize(
    "birthday", [None, TODAY, date(1900, 1, 1), date(1990, 2, 28), TODAY - timedelta(days=1)]
)
def test_birthday_accepted(birthday: date | None) -> None:
    assert details(birthday=birthday).birthday == birthday


@pytest.mark.parametrize(
    "birthday", [TODAY + timedelta(days=1), date(1899, 12, 31), date(1, 1, 1), date(9999, 12, 31)]
)
def test_birthday_refused(birthday: date) -> None:
    assert problems(birthday=birthday) == [(("birthday",), ErrorCode.INVALID_BIRTHDAY)]


@pytest.mark.parametrize("locale", ["en", "pt-BR", "zh-Hant-TW", "es-419"])
def test_locale_accepted(locale: str) -> None:
    assert details(locale=locale).locale == locale


def test_locale_stored_in_its_canonical_case() -> None:
    assert details(locale="PT-br").locale == "pt-BR"


@pytest.mark.parametrize("locale", ["en_US", "english", "", "pt-BRA", "en-"])
def test_locale_refused(locale: str) -> None:
    assert problems(locale=locale) == [(("locale",), ErrorCode.INVALID_LOCALE)]


def test_valid_details_are_normalised() -> None:
    got = details(email=" Ada@Example.COM ", display_name=" Ada ", birthday=date(1990, 12, 10))
    assert got == MemberDetails("Ada@example.com", "Ada", date(1990, 12, 10), "en")


def test_every_problem_reported_at_once() -> None:
    assert problems(
        email="not-an-email", display_name=" ", birthday=TODAY + timedelta(days=1), locale="en_GB"
    ) == [
        (("email",), ErrorCode.INVALID_EMAIL),
        (("displayName",), ErrorCode.INVALID_DISPLAY_NAME),
        (("birthday",), ErrorCode.INVALID_BIRTHDAY),
        (("locale",), ErrorCode.INVALID_LOCALE),
    ]


def test_two_problems_reported_and_message_names_the_input() -> None:
    with pytest.raises(InvalidInput) as caught:
        details(email="a@b", locale="english")
    assert [p.code for p in caught.value.problems] == [
        ErrorCode.INVALID_EMAIL,
        ErrorCode.INVALID_LOCALE,
    ]
    assert "'a@b' is not a valid email address." in str(caught.value)


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        (MemberStatus.ACTIVE, MemberStatus.SUSPENDED),
        (MemberStatus.SUSPENDED, MemberStatus.ACTIVE),
        (MemberStatus.ACTIVE, MemberStatus.ACTIVE),
        (MemberStatus.SUSPENDED, MemberStatus.SUSPENDED),
    ],
)
def test_status_change_allowed(current: MemberStatus, wanted: MemberStatus) -> None:
    check_status_change(current, wanted)


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        (MemberStatus.ACTIVE, MemberStatus.ERASED),
        (MemberStatus.SUSPENDED, MemberStatus.ERASED),
        (MemberStatus.ERASED, MemberStatus.ACTIVE),
        (MemberStatus.ERASED, MemberStatus.SUSPENDED),
        (MemberStatus.ERASED, MemberStatus.ERASED),
    ],
)
def test_status_change_involving_erasure_refused(
    current: MemberStatus, wanted: MemberStatus
) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_status_change(current, wanted)
    [problem] = caught.value.problems
    assert problem.field == ("status",)
    assert problem.code is ErrorCode.INVALID_STATUS_CHANGE


@pytest.mark.parametrize(
    "raw", ["ada\x00@example.com", "a\x1b[0mda@example.com", "ada\ud800@example.com"]
)
def test_email_with_control_characters_refused(raw: str) -> None:
    assert normalise_email(raw) is None
