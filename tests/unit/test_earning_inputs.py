"""What an order, a return or an event award must look like before anything is priced: every
problem reported at its own input path."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.earning import (
    MAX_ORDER_LINES,
    Order,
    validate_event,
    validate_order,
    validate_return,
)
from domain.validation import ErrorCode, InvalidInput
from tests.unit.test_earning import line, order, problems

pytestmark = pytest.mark.unit

D = Decimal


def test_validate_order_accepts_a_good_order() -> None:
    good = order("19.90", line("A", 2, "9.95", "shoes"))
    assert validate_order(good, "EUR") is good
    assert validate_order(order("1000", currency="JPY"), "JPY").total == D(1000)
    assert validate_order(order("1.005", currency="KWD"), "KWD").total == D("1.005")


MISMATCH, AMOUNT, ORDER = (
    ErrorCode.CURRENCY_MISMATCH,
    ErrorCode.INVALID_AMOUNT,
    ErrorCode.INVALID_ORDER,
)


LINE = ("lines", "0")


@pytest.mark.parametrize(
    ("bad", "currency", "field", "code"),
    [
        (order("10.00", currency="USD"), "EUR", ("currency",), MISMATCH),  # never converted
        (order("10", currency="EUR"), "JPY", ("currency",), MISMATCH),
        (order("10", currency="EUR\x00"), "EUR", ("currency",), MISMATCH),
        (order("100.5", currency="JPY"), "JPY", ("total",), AMOUNT),
        (order("1.005"), "EUR", ("total",), AMOUNT),
        (order("-0.01"), "EUR", ("total",), AMOUNT),
        (order("NaN"), "EUR", ("total",), AMOUNT),
        (order("sNaN"), "EUR", ("total",), AMOUNT),
        (order("Infinity"), "EUR", ("total",), AMOUNT),
        (order("1e13"), "EUR", ("total",), AMOUNT),
        (order("1E+1000000"), "EUR", ("total",), AMOUNT),
        (order("0E-1000000"), "EUR", ("total",), AMOUNT),
        # 31 digits: a context would round it to 1, yet it is no amount in cents
        (order("1.000000000000000000000000000001"), "EUR", ("total",), AMOUNT),
        (order("1", line(" ", 1, "1")), "EUR", (*LINE, "sku"), ORDER),
        (order("1", line("A\x00", 1, "1")), "EUR", (*LINE, "sku"), ORDER),
        (order("1", line("A", 1, "1", "c\ud800")), "EUR", (*LINE, "category"), ORDER),
        (order("1", line("A", 1, "1", "x" * 129)), "EUR", (*LINE, "category"), ORDER),
        (order("1", line("A", 0, "1")), "EUR", (*LINE, "quantity"), ORDER),
        (order("1", line("A", 1, "-1")), "EUR", (*LINE, "unitPrice"), ORDER),
        (order("1", line("A", 1, "0.001")), "EUR", (*LINE, "unitPrice"), ORDER),
        (order("1", line("A", 1, "1E-1000000")), "EUR", (*LINE, "unitPrice"), ORDER),
        (order("1", *[line("A", 1, "1")] * (MAX_ORDER_LINES + 1)), "EUR", ("lines",), ORDER),
        (Order(" o-1", D(1), "EUR"), "EUR", ("orderId",), ORDER),
        (Order("o-1\ud800", D(1), "EUR"), "EUR", ("orderId",), ORDER),
        (Order("x" * 129, D(1), "EUR"), "EUR", ("orderId",), ORDER),
    ],
)
def test_validate_order_refusals(
    bad: Order, currency: str, field: tuple[str, ...], code: ErrorCode
) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_order(bad, currency)
    assert problems(caught) == [(field, code)]


def test_validate_order_reports_every_problem_under_its_input_path() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_order(Order("", D(-1), "USD", (line("A", 0, "1"),)), "EUR", at=("in", "order"))
    fields = [
        (("currency",), MISMATCH),
        (("total",), AMOUNT),
        (("orderId",), ORDER),
        ((*LINE, "quantity"), ORDER),
    ]
    assert problems(caught) == [(("in", "order", *field), code) for field, code in fields]


@pytest.mark.parametrize(
    ("order_id", "return_id", "amount", "field", "code"),
    [
        ("o-1", "r-1", "0", "amount", AMOUNT),
        ("o-1", "r-1", "-1", "amount", AMOUNT),
        ("o-1", "r-1", "sNaN", "amount", AMOUNT),
        ("o-1", "r-1", "0E-1000000", "amount", AMOUNT),
        ("o-1", "", "1", "returnId", ORDER),
        ("o-1", "r-1\x00", "1", "returnId", ORDER),
        ("o-1\x00", "r-1", "1", "orderId", ORDER),
        ("o-1\ud800", "r-1", "1", "orderId", ORDER),
    ],
)
def test_validate_return_refusals(
    order_id: str, return_id: str, amount: str, field: str, code: ErrorCode
) -> None:
    validate_return("o-1", "r-1", D("0.01"), "EUR", "EUR")
    with pytest.raises(InvalidInput) as caught:
        validate_return(order_id, return_id, D(amount), "EUR", "EUR")
    assert problems(caught) == [((field,), code)]


@pytest.mark.parametrize(
    ("name", "reference", "field", "code"),
    [
        ("signup\x00", "", "name", ErrorCode.UNKNOWN_EVENT),
        ("sign up", "", "name", ErrorCode.UNKNOWN_EVENT),
        ("s" * 65, "", "name", ErrorCode.UNKNOWN_EVENT),
        ("signup", "r\ud800", "reference", ORDER),
        ("signup", " r", "reference", ORDER),
    ],
)
def test_validate_event_refusals(name: str, reference: str, field: str, code: ErrorCode) -> None:
    validate_event("signup", "")
    validate_event("signup", "review-1")
    with pytest.raises(InvalidInput) as caught:
        validate_event(name, reference, at=("source", "event"))
    assert problems(caught) == [(("source", "event", field), code)]
