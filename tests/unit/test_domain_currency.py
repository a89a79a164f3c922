"""ISO 4217 currencies: which codes exist and how many minor-unit digits they have."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain import currency
from domain.currency import is_currency, minor_unit_exponent

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("code", ["EUR", "USD", "GBP", "JPY", "KWD", "CHF", "BRL", "XOF"])
def test_known_codes_are_currencies(code: str) -> None:
    assert is_currency(code)


@pytest.mark.parametrize(
    "code", ["", "eur", "Eur", "EUE", "XXX", "XAU", "EURO", "EU", " EUR", "EUR ", "€"]
)
def test_unknown_or_miswritten_codes_are_refused(code: str) -> None:
    assert not is_currency(code)


@pytest.mark.parametrize(
    ("code", "digits", "smallest"),
    [
        ("EUR", 2, Decimal("0.01")),
        ("USD", 2, Decimal("0.01")),
        ("JPY", 0, Decimal("1")),
        ("KRW", 0, Decimal("1")),
        ("ISK", 0, Decimal("1")),
        ("KWD", 3, Decimal("0.001")),
        ("BHD", 3, Decimal("0.001")),
        ("TND", 3, Decimal("0.001")),
    ],
)
def test_minor_units(code: str, digits: int, smallest: Decimal) -> None:
    assert minor_unit_exponent(code) == digits
    assert Decimal(1).scaleb(-digits) == smallest


@pytest.mark.parametrize("code", ["XXX", "eur", ""])
def test_minor_units_of_unknown_code_raise(code: str) -> None:
    with pytest.raises(KeyError):
        minor_unit_exponent(code)


@pytest.mark.parametrize("code", sorted(currency._MINOR_UNITS))
def test_every_listed_code_is_consistent(code: str) -> None:
    assert len(code) == 3
    assert code.isascii()
    assert code.isalpha()
    assert code.isupper()
    assert is_currency(code)
    digits = minor_unit_exponent(code)
    assert digits in {0, 2, 3}


def test_malagasy_ariary_is_a_currency() -> None:
    assert is_currency("MGA")


@pytest.mark.parametrize("code", ["VED", "XCG"])
def test_recent_iso_4217_codes_are_known(code: str) -> None:
    # VED (Venezuela, 2021) and XCG (Caribbean guilder, 2025) are active two-digit codes.
    assert minor_unit_exponent(code) == 2
