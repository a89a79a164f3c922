"""Our Decimal and Date scalars, replacing strawberry's (same names and descriptions).

Strawberry's Decimal takes a JSON number as the float the JSON decoder made of it, and an inline
literal through a float too: 99.99999999999999999 became 100. Its Date takes every spelling
Python's date.fromisoformat knows. Here:

- An inline literal is read from its source text, so every digit written counts.
- A variable's JSON integer is exact and accepted; a JSON float is refused. Decoding request
  bodies with parse_float=Decimal (api/graphql_http.py) would keep this server's digits, but the
  number was most likely a binary double in the client already (JavaScript, most JSON
  libraries), so its digits may be lost before it is sent: only a string is known to be exact.
- Spellings are judged in domain/validation.py (plain_decimal, calendar_date); the value then
  goes through the field's own rule (digits, scale, range) like any other.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any, NoReturn

from graphql import FloatValueNode, IntValueNode, StringValueNode, ValueNode
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.types.scalar import ScalarDefinition

from domain.validation import calendar_date, plain_decimal

DECIMAL_FORM = 'digits with an optional minus sign and decimal point, such as "-12.50"'
NO_JSON_FLOATS = (
    'Send decimal amounts as strings, e.g. "99.99": a JSON number may already have lost digits.'
)


def _refuse(type_name: str, value: object, rule: str) -> NoReturn:
    shown = repr(value) if len(repr(value)) <= 60 else f"{repr(value)[:57]}..."
    raise StrawberryInputCoercionError(f"Value cannot represent a {type_name}: {shown}. {rule}")


def _decimal_from_text(text: str) -> decimal.Decimal:
    value = plain_decimal(text)
    if value is None:
        _refuse("Decimal", text, f"Write it as {DECIMAL_FORM}.")
    return value


def parse_decimal_value(value: object) -> decimal.Decimal:
    if isinstance(value, str):
        return _decimal_from_text(value)
    if type(value) is int:  # not bool, an int subclass: true is no amount
        return decimal.Decimal(value)
    if isinstance(value, float):
        _refuse("Decimal", value, NO_JSON_FLOATS)
    _refuse("Decimal", value, f"Send a string of {DECIMAL_FORM}.")


def parse_decimal_literal(
    node: ValueNode, _variables: dict[str, Any] | None = None
) -> decimal.Decimal:
    # Variables inside literals are resolved by graphql-core before a scalar sees the node.
    if isinstance(node, StringValueNode | IntValueNode | FloatValueNode):
        return _decimal_from_text(node.value)
    _refuse("Decimal", type(node).__name__, f"Write it as {DECIMAL_FORM}.")


def parse_date_value(value: object) -> dt.date:
    day = calendar_date(value) if isinstance(value, str) else None
    if day is None:
        _refuse("Date", value, "Write it as YYYY-MM-DD.")
    return day


def parse_date_literal(node: ValueNode, _variables: dict[str, Any] | None = None) -> dt.date:
    if isinstance(node, StringValueNode):
        return parse_date_value(node.value)
    _refuse("Date", type(node).__name__, "Write it as a string YYYY-MM-DD.")


DECIMAL = ScalarDefinition(
    name="Decimal",
    description="Decimal (fixed-point)",
    specified_by_url=None,
    serialize=str,
    parse_value=parse_decimal_value,
    parse_literal=parse_decimal_literal,
    origin=decimal.Decimal,
)
DATE = ScalarDefinition(
    name="Date",
    description="Date (isoformat)",
    specified_by_url=None,
    serialize=dt.date.isoformat,
    parse_value=parse_date_value,
    parse_literal=parse_date_literal,
    origin=dt.date,
)
SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {decimal.Decimal: DECIMAL, dt.date: DATE}
