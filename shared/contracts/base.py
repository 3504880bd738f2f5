"""The published language: versioned integration events, one module a service.

A service tells others what happened only through these models (DESIGN.md,
"Published language"). Each is a pydantic model with a CloudEvents `type`
that carries its version (`...v1`); a breaking change is a new class with a
new version, never an edit. Each says which purposes may see it, so a
relay or consumer can keep health detail to health consumers. Free-text
notes never appear in an integration event.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

TYPE_PREFIX = "uk.gov.belonging"

REGISTRY: dict[str, type[IntegrationEvent]] = {}


class IntegrationEvent(BaseModel):
    """Base of every integration event.

    `child_id` and `effective_date` are on every event because every
    consumer so far keys on the child and the date the fact took effect.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    service: ClassVar[str] = ""
    event_type: ClassVar[str] = ""
    audience: ClassVar[frozenset[str]] = frozenset({"any"})
    #: Whether the data is sealed under the child's integration key (shared/contracts/sealing.py).
    sealed: ClassVar[bool] = True
    #: A narrower circle of consumers whose own key seals it (`sealing.CIRCLES`), if any.
    sealed_for: ClassVar[str | None] = None

    child_id: str
    effective_date: date | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.event_type:
            full = cls.cloudevent_type()
            if full in REGISTRY and REGISTRY[full] is not cls:
                raise TypeError(f"two integration events claim the type {full}")
            REGISTRY[full] = cls

    @classmethod
    def cloudevent_type(cls) -> str:
        return f"{TYPE_PREFIX}.{cls.service}.{cls.event_type}"

    @classmethod
    def subject(cls) -> str:
        """`integration.<service>.<type>` (the version is part of the type)."""
        return f"integration.{cls.service}.{cls.event_type}"


def model_for(cloudevent_type: str) -> type[IntegrationEvent]:
    try:
        return REGISTRY[cloudevent_type]
    except KeyError:
        raise LookupError(f"unknown integration event type {cloudevent_type!r}") from None
