"""Domain outcomes to HTTP problems, the same way on every command.

- a broken rule (`RuleBroken`) -> 422 naming the request field;
- the placement in the path is not in the child's history -> 404;
- anything else not found (`NotFound`: no history yet) -> 404;
- a stale If-Match (`VersionConflict`) -> 412 with the current ETag;
- a concurrent write the event store refused (`IntegrityError`) -> 409.
Each is raised before anything is saved, so nothing is recorded.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date

from eventsourcing.persistence import IntegrityError

from services.placements.domain import VersionConflict
from services.placements.domain.errors import DuplicatePlacementId, PlacementNotFound
from shared.api.concurrency import precondition_failed
from shared.api.problems import FieldError, ProblemError, problem_type
from shared.domain_errors import NotFound, RuleBroken


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
    except VersionConflict as error:
        raise precondition_failed(error.actual) from None
    except NotFound as error:
        raise ProblemError(404, detail=str(error)) from None
    except IntegrityError:
        raise ProblemError(
            409,
            type=problem_type("concurrent-change"),
            detail="Someone changed this child's placements at the same moment; "
            "read them again and retry.",
        ) from None
