"""Worked examples for UPN and NHS number checks.

The expected values are worked out by hand in the comments, not by calling
the code under test, so a bug in the algorithm cannot agree with itself.
"""

from __future__ import annotations

import pandas as pd
import pytest
from lac_validator.rules.lac2026_27 import registry

from shared.identifiers import upn_check_letter, validate_nhs_number, validate_upn

# Check-letter table (remainder -> letter), I, O and S left out:
#  0 A   1 B   2 C   3 D   4 E   5 F   6 G   7 H   8 J   9 K  10 L  11 M
# 12 N  13 P  14 Q  15 R  16 T  17 U  18 V  19 W  20 X  21 Y  22 Z

VALID_UPNS = [
    # DfE UPN guidance example. Characters 2-13: 8 0 1 2 0 0 0 0 1 0 0 1
    # 8*2 + 0*3 + 1*4 + 2*5 + 0*6 + 0*7 + 0*8 + 0*9 + 1*10 + 0*11 + 0*12 + 1*13
    # = 16 + 4 + 10 + 10 + 13 = 53; 53 = 2*23 + 7; 7 -> H
    "H801200001001",
    # 9 5 0 0 0 0 1 7 8 3 0 1:
    # 9*2 + 5*3 + 1*8 + 7*9 + 8*10 + 3*11 + 1*13 = 18+15+8+63+80+33+13 = 230
    # 230 = 10*23 + 0; 0 -> A
    "A950000178301",
    # Last digit 2 instead of 1: 53 + 13 = 66 = 2*23 + 20; 20 -> X (past I, O, S)
    "X801200001002",
    # 8 0 1 2 0 0 0 0 1 0 7 1: 16 + 4 + 10 + 10 + 7*12 + 1*13 = 137
    # 137 = 5*23 + 22; 22 -> Z (last letter of the table)
    "Z801200001071",
    # Temporary UPN (DfE guidance example): 13th character A counts as 0.
    # 16 + 4 + 10 + 1*10 + 1*12 + 0*13 = 52 = 2*23 + 6; 6 -> G
    "G80120000101A",
    # Temporary UPN ending T, which counts as 16 (its place in the table, not
    # in the alphabet): 16 + 4 + 10 + 10 + 12 + 16*13 = 260 = 11*23 + 7; 7 -> H
    "H80120000101T",
]


@pytest.mark.parametrize("upn", VALID_UPNS)
def test_valid_upns_are_accepted_unchanged(upn: str) -> None:
    assert validate_upn(upn) == upn


@pytest.mark.parametrize("upn", VALID_UPNS)
def test_valid_upns_also_pass_ssda903_rule_168(upn: str) -> None:
    # Rule 168 checks the format (not the check letter); anything we accept
    # must get through it.
    frame = pd.DataFrame({"UPN": [upn]})
    assert registry["168"].func({"Header": frame}) == {"Header": []}


def test_upn_check_letter_worked_example() -> None:
    assert upn_check_letter("801200001001") == "H"  # 53 mod 23 = 7 -> H


def test_upn_is_normalised() -> None:
    assert validate_upn("  h801200001001\n") == "H801200001001"
    assert validate_upn("g80120000101a") == "G80120000101A"


@pytest.mark.parametrize(
    ("upn", "message"),
    [
        # DfE guidance's example of a wrong check letter (should be H).
        ("Z801200001001", "check letter"),
        # Two adjacent digits swapped (12 -> 21):
        # 8*2 + 0*3 + 2*4 + 1*5 + 1*10 + 1*13 = 16+8+5+10+13 = 52 -> G, not H
        ("H802100001001", "check letter"),
        # Check letters never include I, O or S.
        ("I801200001001", "character 1"),
        ("O801200001001", "character 1"),
        ("S801200001001", "character 1"),
        ("1801200001001", "character 1"),
        ("H80120000100", "13 characters"),
        ("H8012000010011", "13 characters"),
        ("", "13 characters"),
        ("H80120000X001", "characters 2-12"),
        ("H8012 0001001", "characters 2-12"),
        # Temporary UPN letters come from the table, so not I, O or S.
        ("H80120000101I", "character 13"),
        ("H80120000101O", "character 13"),
        ("H80120000101S", "character 13"),
        ("H80120000101-", "character 13"),
        # UN1-UN5 mean "UPN unknown"; they are codes, not UPNs.
        ("UN1", "13 characters"),
    ],
)
def test_invalid_upns_are_rejected(upn: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_upn(upn)


def test_upn_error_does_not_reveal_the_expected_letter() -> None:
    with pytest.raises(ValueError) as excinfo:
        validate_upn("Z801200001001")
    assert "'H'" not in str(excinfo.value)


def test_upn_rejects_non_strings() -> None:
    with pytest.raises(TypeError):
        validate_upn(801200001001)  # type: ignore[arg-type]


VALID_NHS_NUMBERS = [
    # 9 4 3 4 7 6 5 9 1 | 9
    # 9*10 + 4*9 + 3*8 + 4*7 + 7*6 + 6*5 + 5*4 + 9*3 + 1*2
    # = 90 + 36 + 24 + 28 + 42 + 30 + 20 + 27 + 2 = 299
    # 299 = 27*11 + 2; 11 - 2 = 9 -> check digit 9
    ("9434765919", "9434765919"),
    ("943 476 5919", "9434765919"),
    ("  943 476 5919 ", "9434765919"),
    # 4 0 1 0 2 3 2 1 3 | 7
    # 40 + 0 + 8 + 0 + 12 + 15 + 8 + 3 + 6 = 92 = 8*11 + 4; 11 - 4 = 7
    ("401 023 2137", "4010232137"),
    # 4 0 1 0 2 3 2 1 1 | 0
    # 40 + 0 + 8 + 0 + 12 + 15 + 8 + 3 + 2 = 88 = 8*11 + 0; 11 - 0 = 11 -> 0
    ("4010232110", "4010232110"),
]


@pytest.mark.parametrize(("raw", "normalised"), VALID_NHS_NUMBERS)
def test_valid_nhs_numbers_are_accepted_and_normalised(raw: str, normalised: str) -> None:
    assert validate_nhs_number(raw) == normalised


@pytest.mark.parametrize(
    ("nhs", "message"),
    [
        # Check digit should be 9 (see above).
        ("9434765918", "check digit"),
        ("943 476 5910", "check digit"),
        # Two adjacent digits swapped (43 -> 34):
        # 90 + 3*9 + 4*8 + 28 + 42 + 30 + 20 + 27 + 2 = 298 = 27*11 + 1;
        # 11 - 1 = 10, so no check digit could fit.
        ("9344765919", "not valid"),
        # 4 0 1 0 2 3 2 1 7: 40+8+12+15+8+3+14 = 100 = 9*11 + 1; 11 - 1 = 10,
        # so no NHS number starts with these nine digits, whatever the tenth.
        ("4010232170", "not valid"),
        ("4010232179", "not valid"),
        ("943476591", "10 digits"),
        ("94347659190", "10 digits"),
        ("", "only digits"),
        ("   ", "only digits"),
        ("94347659A9", "only digits"),
        ("943-476-5919", "only digits"),
        # Full-width digits pass str.isdigit() but are not ASCII digits.
        ("\uff19\uff14\uff13\uff14\uff17\uff16\uff15\uff19\uff11\uff19", "only digits"),
    ],
)
def test_invalid_nhs_numbers_are_rejected(nhs: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_nhs_number(nhs)


def test_nhs_number_rejects_non_strings() -> None:
    with pytest.raises(TypeError):
        validate_nhs_number(9434765919)  # type: ignore[arg-type]
