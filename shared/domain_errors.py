"""The one base for broken domain rules, so every API maps them the same way.

Domain packages raise subclasses with domain names (`PeriodsOverlap`,
`PlacementBeforePeriodOfCare`); the API turns any `RuleBroken` into a 422
problem detail naming `field`, and changes nothing.
"""

from __future__ import annotations

from typing import ClassVar


class RuleBroken(ValueError):
    """A command would break a rule of the domain; nothing was recorded."""

    #: The services whose facts, learnt from their integration events, the rule was
    #: checked against (`("casefile",)`): while this service's view of them is behind,
    #: the failure may be only lag, and the API answers 503 with Retry-After instead
    #: of 422 (docs/adr/0019-read-your-writes.md).
    learned_from: ClassVar[tuple[str, ...]] = ()

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(LookupError):
    """The thing a command or query names does not exist (404, naming `field` if given)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class VersionConflict(Exception):
    """The caller expected a different version of the history (If-Match failed)."""

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(f"expected version {expected}, but the history is at version {actual}")
        self.expected = expected
        self.actual = actual
