"""One rule for a parcel reference (issue #13): a clerk's PARCEL argument and the tax roll's
`parcel` column are read by the same `core.encoding.parse_parcel` - a decimal id, a 0x-hex id
or a cadastral code - and refused with the same sentences (the CLI used to accept any text as a
code, and ids past 2**256 - 1, which only the tax roll refused)."""

from __future__ import annotations

import re

import pytest

from civic_ledger.core.encoding import UINT256_MAX, check_code, parcel_id_of, parse_parcel, shown


@pytest.mark.parametrize(
    ("text", "parcel_id"),
    [
        ("42", 42),
        (" 42 ", 42),
        ("0x" + "00" * 31 + "2a", 42),
        ("0x" + "AB" * 32, int("ab" * 32, 16)),
        (str(UINT256_MAX), UINT256_MAX),
        ("BJ-1", parcel_id_of("BJ-1")),
        ("110105/001.02_a", parcel_id_of("110105/001.02_a")),
    ],
)
def test_accepted_references(text: str, parcel_id: int) -> None:
    assert parse_parcel(text) == parcel_id


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("", "empty parcel"),
        ("   ", "empty parcel"),
        (str(UINT256_MAX + 1), "does not fit in 256 bits"),
        ("9" * 81, "does not fit in 256 bits"),
        ("💥💥", "parcel '💥💥' must be 1-64 letters, digits or ._/-"),
        ("-BJ", "must be 1-64 letters"),
        ("BJ 1", "must be 1-64 letters"),
        ("١٢", "must be 1-64 letters"),  # Arabic-Indic digits are not an id
        ("B" * 65, "must be 1-64 letters"),
    ],
)
def test_refused_references_name_the_problem(text: str, sentence: str) -> None:
    with pytest.raises(ValueError, match=re.escape(sentence)):
        parse_parcel(text)


def test_a_code_is_checked_the_same_way_everywhere() -> None:
    assert check_code("  BJ-1 ") == "BJ-1"
    with pytest.raises(ValueError, match=r"^cadastral_code 'B J' must be"):
        check_code("B J")


def test_a_long_bad_value_is_cut_and_its_length_given() -> None:
    assert shown("abc") == "'abc'"
    long = "x" * 100
    assert shown(long) == repr("x" * 30) + "… (100 characters)"
