"""Checks for the national identifiers a child's record carries: UPN and NHS number.

Both match a child's record to school and health records, and both carry a
check character, so most typing slips are caught at entry rather than silently
linking the child to nobody, or to another child. Error messages say *that* the
check character does not match, never what it should be
(docs/adr/0005-codes-and-identifiers-checked-at-entry.md).
"""

from __future__ import annotations

from typing import Final

# DfE UPN check-letter table: remainder 0-22 -> letter. I, O and S are left
# out to avoid confusion with 1, 0 and 5. The same table turns the letter in
# character 13 of a temporary UPN back into a number.
_UPN_LETTERS: Final[str] = "ABCDEFGHJKLMNPQRTUVWXYZ"
_DIGITS: Final[frozenset[str]] = frozenset("0123456789")


def _upn_value(char: str) -> int:
    """Give the number a UPN character counts as in the check-letter sum."""
    if char in _DIGITS:
        return int(char)
    return _UPN_LETTERS.index(char)


def upn_check_letter(body: str) -> str:
    """Work out the check letter for UPN characters 2-13.

    DfE algorithm ("Unique pupil numbers (UPNs)" guidance, check letter annex;
    also the school and CIN census rule 1510, "UPN invalid (wrong check letter
    at character 1)"): multiply character 2 by 2, character 3 by 3, and so on
    up to character 13 by 13; add the results; divide by 23; the remainder
    0-22 picks the letter from ``ABCDEFGHJKLMNPQRTUVWXYZ``. A letter in
    character 13 (a temporary UPN) counts as its position in that same table.

    ``body`` must already be 12 characters: 11 digits, then a digit or a table
    letter. :func:`validate_upn` checks that before calling this.
    """
    if len(body) != 12:
        raise ValueError(f"UPN body must be 12 characters (characters 2-13), got {len(body)}")
    total = sum(weight * _upn_value(char) for weight, char in enumerate(body, start=2))
    return _UPN_LETTERS[total % 23]


def validate_upn(upn: str) -> str:
    """Check a unique pupil number (UPN) and return it normalised.

    Why: the UPN links a looked-after child to their school records (SSDA903
    Header ``UPN``; format rule 168 in ``lac_validator``, which does not check
    the check letter). A UPN is 13 characters:

    * character 1: check letter (see :func:`upn_check_letter`), never I, O or S;
    * characters 2-12: digits (LA number, establishment number, year, serial);
    * character 13: a digit, or, for a *temporary* UPN, a letter from the DfE
      check-letter table (so not I, O or S).

    Surrounding whitespace is removed and letters are upper-cased; nothing else
    is changed. The placeholders ``UN1``-``UN5`` (``shared.ssda903.codes.UPN_UNKNOWN``)
    say the UPN is unknown; they are not UPNs and are rejected here.
    Characters 2-4 must be a real LA number, which this does not check.

    Raises:
        TypeError: if ``upn`` is not a string.
        ValueError: if the UPN is malformed or its check letter does not match.
    """
    if not isinstance(upn, str):
        raise TypeError(f"UPN must be a string, got {type(upn).__name__}")
    value = upn.strip().upper()
    if len(value) != 13:
        raise ValueError(f"UPN must be 13 characters, got {len(value)}")
    check, middle, last = value[0], value[1:12], value[12]
    if check not in _UPN_LETTERS:
        raise ValueError(
            f"UPN character 1 must be a check letter A-Z other than I, O or S, got {check!r}"
        )
    if not all(char in _DIGITS for char in middle):
        raise ValueError("UPN characters 2-12 must all be digits")
    if last not in _DIGITS and last not in _UPN_LETTERS:
        raise ValueError(
            "UPN character 13 must be a digit, or (temporary UPN) a letter A-Z "
            f"other than I, O or S, got {last!r}"
        )
    if upn_check_letter(value[1:]) != check:
        raise ValueError(
            "UPN check letter (character 1) does not match characters 2-13; "
            "the number has probably been mistyped"
        )
    return value


def validate_nhs_number(nhs: str) -> str:
    """Check an NHS number and return it as 10 digits with no spaces.

    Why: the NHS number links the child to health records (health assessments,
    immunisations, the SSDA903 OC2 health items). It is 10 digits, usually
    written 3-3-4 with spaces; the spaces are removed. The 10th digit is a
    modulus 11 check (NHS Data Dictionary, "NHS NUMBER"): multiply digits 1-9
    by 10, 9, ..., 2; add; take the remainder on division by 11; subtract it
    from 11. A result of 11 means a check digit of 0; a result of 10 means no
    valid NHS number has those first nine digits.

    Only spaces are removed: any other separator is rejected, so a value that
    is not obviously an NHS number is not quietly turned into one.

    Raises:
        TypeError: if ``nhs`` is not a string.
        ValueError: if it is not 10 digits or the check digit does not match.
    """
    if not isinstance(nhs, str):
        raise TypeError(f"NHS number must be a string, got {type(nhs).__name__}")
    value = nhs.strip().replace(" ", "")
    if not value or not all(char in _DIGITS for char in value):
        raise ValueError("NHS number must contain only digits (spaces allowed)")
    if len(value) != 10:
        raise ValueError(f"NHS number must be 10 digits, got {len(value)}")
    # Digit 1 has weight 10, digit 2 weight 9, ..., digit 9 weight 2.
    weights = range(10, 1, -1)
    total = sum(weight * int(char) for weight, char in zip(weights, value[:9], strict=True))
    expected = 11 - total % 11
    if expected == 11:
        expected = 0
    if expected == 10:
        raise ValueError("NHS number is not valid: no check digit fits its first nine digits")
    if int(value[9]) != expected:
        raise ValueError(
            "NHS number check digit (10th digit) does not match; "
            "the number has probably been mistyped"
        )
    return value
