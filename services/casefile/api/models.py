"""Request and response models shared by the routers; the OpenAPI document is the contract.

Codes are plain strings at this edge, with the SSDA903 list given in the
OpenAPI schema as an enum for client generators, and checked by the domain,
whose answer (422 naming the field) says which list the code is missing from.
Unknown fields are refused, so a misspelt optional field is not silently lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StringConstraints

from shared.api.problems import Problem

#: Free text (notes, the child's views): bounded so one request stays small.
Note = Annotated[str, StringConstraints(max_length=10_000)]
#: People and teams are ids from the council's directory, not names.
PersonId = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")
]


def code(code_list: Mapping[str, str], description: str, **kwargs: Any) -> Any:
    """A coded field: documented as the list's enum, validated by the domain."""
    return Field(
        description=description,
        min_length=1,
        max_length=max(len(c) for c in code_list),
        json_schema_extra={"enum": list[JsonValue](sorted(code_list))},
        **kwargs,
    )


class Command(BaseModel):
    """Base of every command body."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CommandResult(BaseModel):
    """What every write returns: the child's new version (also the ETag)."""

    child_id: UUID
    version: int = Field(description="The child's record version after this change")
    id: UUID | None = Field(default=None, description="The id of what this command created")


#: Documented on every casefile route, beside the app factory's 400/401/403/413/422/500.
CASE_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No child (or part of the record) with that id"},
    409: {"model": Problem, "description": "A concurrent write won the race; retry"},
    412: {"model": Problem, "description": "If-Match names a version that is not current"},
}
