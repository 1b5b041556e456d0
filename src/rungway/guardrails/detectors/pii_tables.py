"""The reference data the `pii` detector verifies against: IBAN lengths per country and card issuer ranges.

IBAN lengths follow SWIFT's IBAN registry; card ranges follow the issuers' published IIN ranges (ISO/IEC 7812)
for the networks a payment form accepts. Kept apart from the scanning code so updating a table is a data change.
"""

from __future__ import annotations

__all__ = ["IBAN_LENGTHS", "card_brand", "luhn_valid"]

IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20,
    "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25,
    "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
    "SO": 23, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip

# (first digits low, high, allowed lengths, brand): the prefix of the number, read as an integer of the same width.
_CARD_RANGES: tuple[tuple[int, int, tuple[int, ...], str], ...] = (
    (4, 4, (13, 16, 19), "visa"),
    (51, 55, (16,), "mastercard"),
    (2221, 2720, (16,), "mastercard"),
    (34, 34, (15,), "amex"),
    (37, 37, (15,), "amex"),
    (6011, 6011, (16, 17, 18, 19), "discover"),
    (644, 649, (16, 17, 18, 19), "discover"),
    (65, 65, (16, 17, 18, 19), "discover"),
    (3528, 3589, (16, 17, 18, 19), "jcb"),
    (300, 305, (14, 15, 16, 17, 18, 19), "diners"),
    (36, 36, (14, 15, 16, 17, 18, 19), "diners"),
    (38, 39, (16, 17, 18, 19), "diners"),
    (62, 62, (16, 17, 18, 19), "unionpay"),
    (5018, 5018, (12, 13, 14, 15, 16, 17, 18, 19), "maestro"),
    (5020, 5020, (12, 13, 14, 15, 16, 17, 18, 19), "maestro"),
    (5038, 5038, (12, 13, 14, 15, 16, 17, 18, 19), "maestro"),
    (5893, 5893, (12, 13, 14, 15, 16, 17, 18, 19), "maestro"),
    (6304, 6304, (12, 13, 14, 15, 16, 17, 18, 19), "maestro"),
    (6759, 6759, (12, 13, 14, 15, 16, 17, 18, 19), "maestro"),
    (6761, 6763, (12, 13, 14, 15, 16, 17, 18, 19), "maestro"),
    (2200, 2204, (16, 17, 18, 19), "mir"),
)


def card_brand(digits: str) -> str | None:
    """The card network whose IIN range and length fit these digits, or None."""
    for low, high, lengths, brand in _CARD_RANGES:
        width = len(str(low))
        if len(digits) in lengths and low <= int(digits[:width]) <= high:
            return brand
    return None


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check every payment card number carries in its last digit."""
    total = 0
    for index, ch in enumerate(reversed(digits)):
        value = int(ch)  # any Unicode decimal digit (full-width, Arabic-Indic) counts as itself
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0
