"""Shared input rules: problems, the collector, text cleaning and locale tags."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.auth import Role
from domain.validation import (
    ACTOR_MAX,
    SUBJECT_MAX,
    ErrorCode,
    InvalidInput,
    Problem,
    ProblemCollector,
    actor,
    canonical_locale,
    clean_text,
    decimal_key,
    is_bounded_decimal,
    is_reference,
)

pytestmark = pytest.mark.unit

_CONTROL = {chr(c) for c in [*range(0x20), 0x7F]}


def test_invalid_input_carries_every_problem_and_joins_messages() -> None:
    first = Problem(("a",), "A is wrong.", ErrorCode.INVALID_NAME)
    second = Problem(("b",), "B is wrong.", ErrorCode.INVALID_EMAIL)
    error = InvalidInput(first, second)
    assert error.problems == (first, second)
    assert str(error) == "A is wrong.; B is wrong."


def test_collector_without_problems_does_not_raise() -> None:
    ProblemCollector().raise_if_any()


def test_collector_raises_all_problems_in_order() -> None:
    collector = ProblemCollector()
    collector.add("name", "bad name", ErrorCode.INVALID_NAME)
    collector.add("locale", "bad locale", ErrorCode.INVALID_LOCALE)
    with pytest.raises(InvalidInput) as caught:
        collector.raise_if_any()
    assert caught.value.problems == (
        Problem(("name",), "bad name", ErrorCode.INVALID_NAME),
        Problem(("locale",), "bad locale", ErrorCode.INVALID_LOCALE),
    )


def test_error_codes_are_their_own_names() -> None:
    for code in ErrorCode:
        assert code.value == code.name


@pytest.mark.parametrize(
    ("raw", "max_length", "expected"),
    [
        ("Alice", 10, "Alice"),
        ("  Alice  ", 10, "Alice"),
        ("\tAlice\n", 10, "Alice"),
        ("Ada Lovelace", 12, "Ada Lovelace"),
        ("x" * 5, 5, "x" * 5),
        ("  " + "x" * 5 + "  ", 5, "x" * 5),
        ("Zoë 🎉", 10, "Zoë 🎉"),
        ("x" * 6, 5, None),
        ("", 5, None),
        ("   ", 5, None),
        ("\t\n", 5, None),
        ("a\nb", 5, None),
        ("a\tb", 5, None),
        ("a\x00b", 5, None),
        ("a\x1fb", 5, None),
        ("a\x7fb", 5, None),
        ("a\ud800b", 5, None),  # a lone surrogate: no UTF-8 encoder takes it
        ("\udfff", 5, None),
        ("a\u2028b", 5, None),
        ("a\u200bb", 5, None),  # zero-width space
        ("\ufeffab", 5, None),  # BOM
        ("a\u202eb", 5, None),  # right-to-left override
        ("a\u2067b", 5, None),  # right-to-left isolate
        ("a\ufdd0b", 5, None),  # non-characters
        ("a\ufffeb", 5, None),
        ("a\U0010ffffb", 5, None),
        ("\U0001f468\u200d\U0001f469", 5, "\U0001f468\u200d\U0001f469"),  # ZWJ sequence
        ("\u0645\u200c\u06cc", 5, "\u0645\u200c\u06cc"),  # ZWNJ in Persian
    ],
)
def test_clean_text(raw: str, max_length: int, expected: str | None) -> None:
    assert clean_text(raw, max_length=max_length) == expected


@given(st.text(), st.integers(min_value=1, max_value=50))
@settings(database=None)
def test_clean_text_result_is_trimmed_bounded_and_single_line(raw: str, max_length: int) -> None:
    cleaned = clean_text(raw, max_length=max_length)
    if cleaned is not None:
        assert 1 <= len(cleaned) <= max_length
        assert cleaned == cleaned.strip()
        assert not _CONTROL & set(cleaned)
        assert clean_text(cleaned, max_length=max_length) == cleaned


# Surrogates (Cs) are excluded: unpaired, they are not text any encoder takes; so are the
# invisible and bidi controls and the non-characters (Cn) that is_plain refuses.
_INVISIBLE = "\u200b\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


@given(
    st.text(
        alphabet=st.characters(
            exclude_categories=["Cc", "Cs", "Cn", "Zs", "Zl", "Zp"], exclude_characters=_INVISIBLE
        ),
        min_size=1,
    )
)
@settings(database=None)
def test_clean_text_keeps_ordinary_text_within_the_limit(raw: str) -> None:
    assert clean_text(raw, max_length=len(raw)) == raw.strip()
    assert clean_text(raw, max_length=len(raw.strip()) - 1) is None


@pytest.mark.parametrize(
    "tag", ["en", "fr", "haw", "pt-BR", "en-GB", "zh-Hant", "zh-Hant-TW", "es-419", "sr-Latn-RS"]
)
def test_locale_accepted(tag: str) -> None:
    assert canonical_locale(tag) == tag


@pytest.mark.parametrize(
    ("tag", "canonical"),
    [
        ("EN", "en"),
        ("En", "en"),
        ("en-us", "en-US"),
        ("PT-br", "pt-BR"),
        ("en-hant", "en-Hant"),
        ("zh-HANT", "zh-Hant"),
        ("ZH-hant-tw", "zh-Hant-TW"),
        ("ES-419", "es-419"),
    ],
)
def test_locale_case_is_free_and_canonicalised(tag: str, canonical: str) -> None:
    assert canonical_locale(tag) == canonical


@pytest.mark.parametrize(
    "tag",
    [
        "",
        "e",
        "english",
        "en_US",
        "en-USA",
        "zh-TW-Hant",
        "\u017fr",  # a long s folds to s only under Unicode case rules
        "en-\u212aR",  # so does the Kelvin sign to k
        "es-41",
        "en-",
        " en",
        "en ",
        "en-GB-oxendict",
    ],
)
def test_locale_refused(tag: str) -> None:
    assert canonical_locale(tag) is None


def test_locale_with_trailing_newline_refused() -> None:
    assert canonical_locale("en\n") is None


def test_every_role_with_the_longest_subject_fits_the_actor_columns() -> None:
    for role in Role:
        assert len(actor(role.value, "s" * SUBJECT_MAX)) <= ACTOR_MAX
    with pytest.raises(ValueError, match="subject"):
        actor(Role.ADMIN.value, "s" * (SUBJECT_MAX + 1))


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("o-1", True),
        ("SKU/42 L", True),
        ("x" * 8, True),
        ("x" * 9, False),
        ("", False),
        (" o-1", False),  # taken as given: no second spelling of one reference
        ("o-1\x00", False),
        ("o-1\ud800", False),
        ("o\n1", False),
    ],
)
def test_is_reference(value: str, accepted: bool) -> None:
    assert is_reference(value, max_length=8) is accepted


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("0", True),
        ("0.00", True),
        ("-0", True),
        ("999.99", True),
        ("42.50", True),  # trailing zeros are not precision
        ("42.500000", True),
        ("1E+2", True),
        ("1000", False),
        ("0.001", False),
        ("1.000000000000000000000000000001", False),  # not 1: no context rounds it first
        ("NaN", False),
        ("sNaN", False),
        ("-Infinity", False),
        ("1E+1000000", False),
        ("0E-1000000", False),
        ("1E-1000000", False),
        ("1" + "0" * 60, False),
    ],
)
def test_is_bounded_decimal(value: str, accepted: bool) -> None:
    assert is_bounded_decimal(Decimal(value), integer_digits=3, scale=2) is accepted


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("10.00", "10"),
        ("10.0", "10"),
        ("1E+2", "100"),
        ("0.50", "0.5"),
        ("1.000000000000000000000000000001", "1.000000000000000000000000000001"),
        ("sNaN", "sNaN"),
        ("1E+1000000", "1E+1000000"),
        ("0E-1000000", "0E-1000000"),
    ],
)
def test_decimal_key_is_exact_and_safe(value: str, key: str) -> None:
    assert decimal_key(Decimal(value)) == key
