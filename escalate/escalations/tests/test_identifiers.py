"""NHS numbers: the modulus-11 check digit, and what people type around it."""

import pytest

from escalate.escalations.identifiers import (
    format_nhs_number,
    is_valid_nhs_number,
    nhs_check_digit,
    nhs_number_problem,
    normalise_nhs_number,
)


@pytest.mark.parametrize(
    "typed",
    ["943 476 5919", "9434765919", "943-476-5919", " 943 476 5919 ", "401 023 2137"],
    ids=["spaced", "digits-only", "hyphenated", "padded", "another-valid-number"],
)
def test_valid_nhs_numbers_pass(typed: str) -> None:
    assert is_valid_nhs_number(typed)
    assert nhs_number_problem(typed) is None


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("943 476 5918", "Enter a valid NHS number: check you have typed it correctly"),
        ("943 476 591", "NHS number must be 10 digits"),
        ("943 476 59190", "NHS number must be 10 digits"),
        ("943 476 591X", "NHS number must only include numbers 0 to 9 and spaces"),
        ("", "NHS number must only include numbers 0 to 9 and spaces"),
        ("١٢٣٤٥٦٧٨٩٠", "NHS number must only include numbers 0 to 9 and spaces"),
    ],
    ids=["wrong-check-digit", "too-short", "too-long", "letter", "empty", "non-ascii-digits"],
)
def test_invalid_nhs_numbers_say_why(typed: str, problem: str) -> None:
    assert nhs_number_problem(typed) == problem
    assert not is_valid_nhs_number(typed)


@pytest.mark.parametrize(
    ("first_nine", "check"),
    [("943476591", 9), ("401023213", 7), ("000000000", 0)],
    ids=["worked-example", "second-example", "remainder-zero-gives-zero"],
)
def test_check_digit_is_eleven_minus_weighted_remainder(first_nine: str, check: int) -> None:
    assert nhs_check_digit(first_nine) == check


def test_a_check_digit_of_ten_means_no_valid_number() -> None:
    # 1*10 + 0 ... + 0 + 1*2 = 12; 12 % 11 = 1; 11 - 1 = 10: never issued.
    assert nhs_check_digit("100000001") is None
    assert not any(is_valid_nhs_number(f"100000001{digit}") for digit in range(10))


def test_normalising_and_formatting_round_trip() -> None:
    assert normalise_nhs_number("943-476 5919") == "9434765919"
    assert format_nhs_number("9434765919") == "943 476 5919"
    assert format_nhs_number("12345") == "12345"
