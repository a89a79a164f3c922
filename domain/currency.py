"""ISO 4217 currencies and their minor units: money is Decimal with a currency, never a float."""

from __future__ import annotations

from decimal import Decimal

# Active ISO 4217 codes mapped to their number of minor-unit digits. Codes not listed here are
# refused rather than guessed, so a typo such as "EUE" can never become a program's currency.
_MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(
        "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP "
        "BYN BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP "
        "GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT "
        "LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO "
        "NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE "
        "SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VED VES WST "
        "XCD XCG YER ZAR ZMW ZWG".split(),
        2,
    ),
    **dict.fromkeys("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF".split(), 0),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
}


def is_currency(code: str) -> bool:
    """True for an active ISO 4217 code written in capitals."""
    return code in _MINOR_UNITS


def format_money(amount: Decimal, code: str) -> str:
    """'EUR 42.50': the amount at the currency's own precision, for labels people read."""
    return f"{code} {amount.quantize(Decimal(1).scaleb(-minor_unit_exponent(code)))}"


def minor_unit_exponent(code: str) -> int:
    """Digits after the decimal point for the currency (2 for EUR, 0 for JPY, 3 for KWD)."""
    return _MINOR_UNITS[code]
