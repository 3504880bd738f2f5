"""Where placements' domain errors point in a request.

The shared handlers (`shared.api.domain_problems`) answer every service's
broken rules (422), not-found (404), stale If-Match (412) and lost races
(409). What is particular here is the field a placement error names:
"placement_id" is both the placement in the path (not found: 404) and, for
a move or an adoptive placement, the new one in the body (already used).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date

from services.placements.domain.errors import DuplicatePlacementId, PlacementNotFound
from shared.api.problems import FieldError, ProblemError, problem_type
from shared.domain_errors import RuleBroken


def rule_broken(message: str, field: str | None) -> ProblemError:
    return ProblemError(
        422,
        type=problem_type("rule-broken"),
        title="A placement rule would be broken",
        detail=message,
        errors=[FieldError(field=field, message=message)] if field else None,
    )


def not_looked_after(day: date, field: str = "body.effective_date") -> ProblemError:
    """No period of care is known for the child: nothing can be placed."""
    return rule_broken(f"child is not looked after on that date ({day.isoformat()})", field)


@contextmanager
def domain_problems(
    path_fields: frozenset[str] = frozenset(),
    *,
    new_placement_field: str = "placement_id",
    renamed: Mapping[str, str] | None = None,
) -> Iterator[None]:
    """Map domain errors raised in the block to problems.

    A domain error names the field it is about in the domain's words. Here
    they become request locations: a name in `renamed` becomes the location
    it maps to; a name in `path_fields` becomes `path.<name>`; anything else
    `body.<name>`. The one clash is "placement_id", which for a move or an
    adoptive placement is both the placement in the path (not found, not
    current) and the new one (already used), reported at `new_placement_field`.
    """

    def where(field: str | None) -> str | None:
        if field is None:
            return None
        if renamed and field in renamed:
            return renamed[field]
        if field in path_fields:
            return f"path.{field}"
        return f"body.{field}"

    try:
        yield
    except DuplicatePlacementId as error:
        raise rule_broken(error.message, f"body.{new_placement_field}") from None
    except PlacementNotFound as error:
        if "placement_id" in path_fields:
            raise ProblemError(404, detail=error.message) from None
        raise rule_broken(error.message, where(error.field)) from None
    except RuleBroken as error:
        raise rule_broken(error.message, where(error.field)) from None
