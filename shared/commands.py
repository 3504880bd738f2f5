"""Commands as data: one type per change a client may ask of a child's record.

A command is the request body (validated by pydantic at the edge) and names
the domain method that carries it out (`handler`). Its fields are that
method's keyword arguments, so adding a command is: the domain method and its
event, one `Command` subclass, one route entry (`shared.api.command_routes`).
The one command cycle (`ServiceApplication.execute`) loads the aggregate,
checks the version, applies the command and saves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StringConstraints

#: Free text (notes, the child's views): bounded so one request stays small.
Note = Annotated[str, StringConstraints(max_length=10_000)]
#: People and teams are ids from the council's directory, not names.
PersonId = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")
]


def code(code_list: Mapping[str, str], description: str, **kwargs: Any) -> Any:
    """A coded field: documented as the list's enum, validated by the domain.

    The domain checks the code, so its 422 says which list the code is missing
    from; the enum in the OpenAPI schema is for client generators.
    """
    return Field(
        description=description,
        min_length=1,
        max_length=max(len(c) for c in code_list),
        json_schema_extra={"enum": list[JsonValue](sorted(code_list))},
        **kwargs,
    )


#: What `str_strip_whitespace` (every command's) takes off a text's ends: Unicode
#: White_Space, spelt out so that every regex dialect reads the same class. A
#: text that must not be empty needs one character besides.
NOT_BLANK_PATTERN = (
    "[^\\u0009-\\u000d\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a"
    "\\u2028\\u2029\\u202f\\u205f\\u3000]"
)


def not_blank_in_document(schema: dict[str, Any]) -> None:
    """Document that a text with a minimum length is more than whitespace.

    The length is checked after stripping, so `" "` is too short for the server
    though long enough for the bare `minLength`. Texts with a pattern, a format
    or a list of values already say what they take.
    """
    for field in schema.get("properties", {}).values():
        if "enum" in field:
            continue
        for text in (field, *field.get("anyOf", [])):
            if (
                text.get("type") == "string"
                and text.get("minLength", 0) >= 1
                and not {"pattern", "format", "enum"} & text.keys()
            ):
                text["pattern"] = NOT_BLANK_PATTERN


class Command(BaseModel):
    """A change asked of one aggregate; unknown fields are refused, not silently lost."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra=not_blank_in_document
    )

    #: The domain method that carries the command out.
    handler: ClassVar[str]
    #: The field naming what the command creates; left out, it is derived from
    #: the Idempotency-Key, so a retry names the same thing and is recorded once.
    creates: ClassVar[str | None] = None
    #: A field that defaults to the caller's user id (a review's chair, say).
    caller: ClassVar[str | None] = None
    #: Path parameters passed to the domain method under another name.
    path_names: ClassVar[Mapping[str, str]] = {}
    #: Where a domain error's field is in the request, when not `body.<field>`.
    locations: ClassVar[Mapping[str, str]] = {}

    def arguments(self) -> dict[str, Any]:
        """The domain method's keyword arguments (override to reshape fields)."""
        return {name: getattr(self, name) for name in type(self).model_fields}

    def location_of(self, field: str, path: Mapping[str, Any]) -> str:
        """Where a field a domain error names is in the request (`path.x` or `body.x`)."""
        if field in self.locations:
            return self.locations[field]
        for parameter, argument in self.path_names.items():
            if argument == field:
                return f"path.{parameter}"
        if field in path:
            return f"path.{field}"
        return f"body.{field}"


class CommandResult(BaseModel):
    """What every write answers: the record's new version (also the ETag)."""

    child_id: UUID
    version: int = Field(description="The record's version after this change")
    id: UUID | None = Field(
        default=None, description="The thing this command created or changed, where it names one"
    )
