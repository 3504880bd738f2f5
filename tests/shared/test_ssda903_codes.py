"""Our SSDA903 code lists, checked by DfE's own validation rules.

Each list in ``shared.ssda903.codes`` is run through the ``lac_validator``
rule that defines it, in the ruleset DfE will apply for 2026-27
(``lac_validator.rules.lac2026_27.registry``, which is the 2022-23 rules with
each later year's changes laid over them). Two checks per list:

* every code we list passes the rule, and a made-up code fails it;
* the rule's own list (read from the rule's source) is exactly ours, so a
  package upgrade that adds or drops a code fails here first.

The package is the executable specification; this module is the contract.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pytest
from lac_validator.rules.lac2026_27 import registry

from shared.ssda903 import codes

BOGUS = "ZZ9"  # not a code in any SSDA903 list


def _run(rule_code: str, dfs: dict[str, Any]) -> dict[str, list[int]]:
    """Run one rule from the 2026-27 ruleset on fresh data frames."""
    result: dict[str, list[int]] = registry[rule_code].func(dfs)
    return result


def _rule_list(rule_code: str, variable: str) -> list[str]:
    """Read the literal list assigned to ``variable`` inside the rule's function."""
    source = textwrap.dedent(inspect.getsource(registry[rule_code].func))
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == variable for target in node.targets
        ):
            return [str(item) for item in ast.literal_eval(node.value)]
    raise AssertionError(f"rule {rule_code} has no literal list named {variable}")


@dataclass(frozen=True)
class Case:
    """One code list and the rule (table, field) that validates it."""

    name: str
    rule: str
    table: str
    column: str
    variable: str = "code_list"
    other_columns: Mapping[str, str] = field(default_factory=dict)
    metadata: Mapping[str, str] | None = None

    @property
    def codes(self) -> dict[str, str]:
        value: dict[str, str] = getattr(codes, self.name)
        return value


CASES = [
    Case("LEGAL_STATUS", "144", "Episodes", "LS"),
    Case("CATEGORY_OF_NEED", "145", "Episodes", "CIN"),
    Case("REASON_NEW_EPISODE", "143", "Episodes", "RNE"),
    Case("REASON_EPISODE_CEASED", "149", "Episodes", "REC"),
    Case("PLACEMENT_TYPE", "146", "Episodes", "PLACE"),
    # Rule 178 also requires that the placement is one that has a provider.
    Case(
        "PLACEMENT_PROVIDER",
        "178",
        "Episodes",
        "PLACE_PROVIDER",
        variable="code_list_placement_provider",
        other_columns={"PLACE": "U4"},
    ),
    Case("REASON_PLACE_CHANGE", "1009", "Episodes", "REASON_PLACE_CHANGE"),
    # Rule 167 only accepts a participation code alongside a review date.
    Case(
        "REVIEW_PARTICIPATION",
        "167",
        "Reviews",
        "REVIEW_CODE",
        other_columns={"REVIEW": "01/06/2026"},
    ),
    Case("IN_TOUCH", "131", "OC3", "IN_TOUCH"),
    Case("ACTIVITY", "132", "OC3", "ACTIV"),
    Case("ACCOMMODATION", "133", "OC3", "ACCOM", variable="valid_codes"),
    Case("ETHNICITY", "103", "Header", "ETHNIC"),
    Case("SEX", "101", "Header", "SEX"),
    # Rule 105 only runs for XML returns.
    Case("UASC", "105", "Header", "UASC", metadata={"file_format": "xml"}),
    Case("MISSING", "1006", "Missing", "MISSING"),
    Case("SEX_ADOPTR", "176", "AD1", "SEX_ADOPTR"),
    Case("LS_ADOPTR", "177", "AD1", "LS_ADOPTR"),
    Case("NB_ADOPTR", "175", "AD1", "NB_ADOPTR"),
    Case("FOSTER_CARE", "114", "AD1", "FOSTER_CARE"),
    Case("REASON_PLACED_CEASED", "120", "PlacedAdoption", "REASON_PLACED_CEASED"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.name}-rule{case.rule}")
def test_every_code_passes_the_rule_and_a_made_up_one_fails(case: Case) -> None:
    values = [*case.codes, BOGUS]
    frame = pd.DataFrame({case.column: values})
    for column, value in case.other_columns.items():
        frame[column] = value
    dfs: dict[str, Any] = {case.table: frame}
    if case.metadata is not None:
        dfs["metadata"] = dict(case.metadata)

    result = _run(case.rule, dfs)

    # Only the made-up code, the last row, is reported.
    assert result == {case.table: [len(values) - 1]}


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.name}-rule{case.rule}")
def test_our_list_is_exactly_the_rules_list(case: Case) -> None:
    rule_codes = _rule_list(case.rule, case.variable)

    assert len(rule_codes) == len(set(rule_codes))
    assert set(case.codes) == set(rule_codes)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_every_code_has_a_description(case: Case) -> None:
    for code, description in case.codes.items():
        assert code.strip() == code and code
        assert description.strip() == description and description


def test_upn_unknown_codes_pass_rule_168_and_others_fail() -> None:
    values = [*codes.UPN_UNKNOWN, "UN6", "UN0", BOGUS]
    frame = pd.DataFrame({"UPN": values})

    result = _run("168", {"Header": frame})

    assert result == {"Header": [5, 6, 7]}


def test_temporary_placements_are_exactly_what_rule_382_treats_as_temporary() -> None:
    # Rule 382: a child on short breaks (V3/V4) cannot be in a temporary
    # placement. Run every placement type through it; the ones it reports
    # are the temporary ones.
    places = list(codes.PLACEMENT_TYPE)
    frame = pd.DataFrame({"PLACE": places, "LS": "V3"})

    result = _run("382", {"Episodes": frame})

    assert {places[i] for i in result["Episodes"]} == codes.TEMPORARY_PLACEMENTS


def test_temporary_placements_match_rules_380_381_and_226() -> None:
    source_380 = inspect.getsource(registry["380"].func)
    source_381 = inspect.getsource(registry["381"].func)
    listed = _rule_list("226", "code_list")

    assert set(listed) == codes.TEMPORARY_PLACEMENTS
    for code in codes.TEMPORARY_PLACEMENTS:
        assert f'"{code}"' in source_380
        assert f'"{code}"' in source_381


def test_placed_for_adoption_is_exactly_what_rule_390_accepts_for_adoption() -> None:
    # Rule 390: an episode ending in adoption (E11/E12) must be a placement for
    # adoption. Run every placement type through it; the ones it accepts are
    # the placed-for-adoption ones.
    places = list(codes.PLACEMENT_TYPE)
    frame = pd.DataFrame({"PLACE": places, "REC": "E11"})

    result = _run("390", {"Episodes": frame})

    accepted = {place for i, place in enumerate(places) if i not in result["Episodes"]}
    assert accepted == codes.PLACED_FOR_ADOPTION


def test_placed_for_adoption_matches_rule_551() -> None:
    assert set(_rule_list("551", "place_codes")) == codes.PLACED_FOR_ADOPTION


def test_sets_are_placement_types() -> None:
    assert codes.TEMPORARY_PLACEMENTS.issubset(codes.PLACEMENT_TYPE)
    assert codes.PLACED_FOR_ADOPTION.issubset(codes.PLACEMENT_TYPE)


def test_codes_retired_before_2026_27_are_rejected() -> None:
    # H5 and P2 left in 2025-26 and Z1 was split into Z11-Z14 (rule 146 in
    # rules/lac2025_26); the 2026-27 ruleset must reject them, and so must we.
    retired = ["H5", "P2", "Z1"]
    frame = pd.DataFrame({"PLACE": retired})

    assert _run("146", {"Episodes": frame}) == {"Episodes": [0, 1, 2]}
    assert not any(codes.is_valid(codes.PLACEMENT_TYPE, code) for code in retired)


def test_is_valid_is_exact_membership() -> None:
    assert codes.is_valid(codes.LEGAL_STATUS, "C2")
    assert not codes.is_valid(codes.LEGAL_STATUS, "c2")
    assert not codes.is_valid(codes.LEGAL_STATUS, " C2")
    assert not codes.is_valid(codes.LEGAL_STATUS, "")
    assert codes.is_valid(codes.ACCOMMODATION, "Z1")
    assert not codes.is_valid(codes.ACCOMMODATION, "S1")  # only S2 exists (rule 133)


def test_package_exports_every_list() -> None:
    import shared.ssda903 as package

    for case in CASES:
        assert getattr(package, case.name) is case.codes
    assert package.UPN_UNKNOWN is codes.UPN_UNKNOWN
    assert package.TEMPORARY_PLACEMENTS is codes.TEMPORARY_PLACEMENTS
    assert package.PLACED_FOR_ADOPTION is codes.PLACED_FOR_ADOPTION
    assert package.is_valid is codes.is_valid
