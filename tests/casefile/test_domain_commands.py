"""The correction of a child's details, as a command: what it changes and what it documents.

A correction names only what changes. Amira's UPN was mistyped at registration;
the worker sends `{"upn": "..."}` and nothing else: her date of birth, sex and
ethnicity stay as they are. `{"upn": null}` clears the UPN (it was never hers),
but the details every child has (local child id, date of birth, sex, ethnicity,
UASC) are corrected, never cleared, and the OpenAPI document says so.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from services.casefile.domain import UNCHANGED
from services.casefile.domain import commands as c
from shared.commands import NOT_BLANK_PATTERN
from shared.dates import today

#: The details every child has, as the request names them.
EVERY_CHILD_HAS = ("local_child_id", "date_of_birth", "sex", "ethnicity", "uasc")
#: The details a correction may clear.
MAY_BE_CLEARED = ("upn", "nhs_number", "uasc_ceased_date")
DETAILS = EVERY_CHILD_HAS + MAY_BE_CLEARED


def test_a_correction_changes_only_the_details_it_names() -> None:
    correction = c.CorrectDetails(
        effective_date=date(2024, 3, 1), note="UPN mistyped", upn="A201234567890"
    )
    assert correction.arguments() == {
        **dict.fromkeys(DETAILS, UNCHANGED),
        "upn": "A201234567890",
        "effective_date": date(2024, 3, 1),
        "note": "UPN mistyped",
    }


def test_null_clears_an_identifier_and_is_not_left_unchanged() -> None:
    arguments = c.CorrectDetails(upn=None, nhs_number=None).arguments()
    assert (arguments["upn"], arguments["nhs_number"]) == (None, None)
    assert arguments["uasc_ceased_date"] is UNCHANGED


def test_a_correction_takes_effect_today_unless_dated_and_has_no_note_unless_given() -> None:
    arguments = c.CorrectDetails(sex="M").arguments()
    assert (arguments["effective_date"], arguments["note"]) == (today(), None)
    assert arguments["sex"] == "M"
    # The date and note are the correction's own, never details of the child.
    assert set(arguments) == {*DETAILS, "effective_date", "note"}


@pytest.mark.parametrize("detail", EVERY_CHILD_HAS)
def test_a_detail_every_child_has_cannot_be_cleared(detail: str) -> None:
    with pytest.raises(ValidationError, match=r"corrected, never cleared \(null\)") as refused:
        c.CorrectDetails.model_validate({detail: None})
    assert [error["loc"] for error in refused.value.errors()] == [(detail,)]


def _documented(name: str) -> dict[str, Any]:
    properties: dict[str, Any] = c.CorrectDetails.model_json_schema()["properties"]
    return dict(properties[name])


@pytest.mark.parametrize("detail", EVERY_CHILD_HAS)
def test_the_document_gives_null_only_to_what_may_be_cleared(detail: str) -> None:
    """A detail every child has is documented as its own type, never null, with no default."""
    field = _documented(detail)
    assert "anyOf" not in field
    assert "default" not in field
    assert field["type"] in {"string", "boolean"}
    assert field["title"]  # the rest of the field's document is kept


def test_the_document_keeps_what_a_detail_takes() -> None:
    assert _documented("local_child_id")["pattern"] == r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
    assert _documented("local_child_id")["maxLength"] == 20
    assert _documented("date_of_birth")["format"] == "date"
    assert set(_documented("sex")["enum"]) == {"F", "M", "U"}
    assert _documented("uasc")["type"] == "boolean"


@pytest.mark.parametrize("detail", MAY_BE_CLEARED)
def test_the_document_lets_an_identifier_be_cleared(detail: str) -> None:
    field = _documented(detail)
    assert {"type": "null"} in field["anyOf"]
    assert field["default"] is None


def test_the_document_says_an_identifier_is_more_than_whitespace() -> None:
    """As every command's document does (shared.commands.not_blank_in_document)."""
    (upn,) = [b for b in _documented("upn")["anyOf"] if b["type"] == "string"]
    assert upn["pattern"] == NOT_BLANK_PATTERN


def test_a_review_is_scheduled_today_unless_the_command_says_when() -> None:
    undated = c.ScheduleReview(scheduled_date=date(2024, 2, 5))
    assert undated.arguments()["effective_date"] == today()
    dated = c.ScheduleReview(scheduled_date=date(2024, 2, 5), effective_date=date(2024, 1, 9))
    assert dated.arguments()["effective_date"] == date(2024, 1, 9)
