"""Person identifiers typed by practitioners: checked here, as pure functions.

An NHS number is ten digits; the tenth is a modulus-11 check digit over the first
nine, weighted 10 down to 2. A remainder giving a check digit of 10 means the
number was never issued.
"""

from __future__ import annotations

_SEPARATORS = str.maketrans("", "", " -")
_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


def normalise_nhs_number(text: str) -> str:
    """The number without the spaces or hyphens people type between its groups."""
    return text.strip().translate(_SEPARATORS)


def nhs_check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None when no valid number can start with them."""
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, _WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def nhs_number_problem(text: str) -> str | None:
    """What is wrong with a typed NHS number, as a sentence; None when it is valid."""
    digits = normalise_nhs_number(text)
    if not digits.isdigit() or not digits.isascii():
        return "NHS number must only include numbers 0 to 9 and spaces"
    if len(digits) != 10:
        return "NHS number must be 10 digits"
    if nhs_check_digit(digits[:9]) != int(digits[9]):
        return "Enter a valid NHS number: check you have typed it correctly"
    return None


def is_valid_nhs_number(text: str) -> bool:
    return nhs_number_problem(text) is None


def format_nhs_number(digits: str) -> str:
    """'9434765919' as people read it: '943 476 5919'."""
    digits = normalise_nhs_number(digits)
    if len(digits) != 10:
        return digits
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
