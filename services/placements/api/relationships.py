"""Whose children a caller may act on: from allocations casefile publishes.

Read from the `placements_care_periods` read model: a social worker is related
to the children allocated to them today, an IRO to those they are appointed for
today, a team manager to the children allocated today to a team they manage
(the token's `teams`: the same rule as casefile's, shared.auth.relationships);
auditors and the performance team act across the council's children by role
(their reads are still logged); anyone else is not related. The check is every
service's (`shared.casefile_facts.AllocationRelationships`).
See docs/adr/0009-what-placements-learns-and-who-is-related.md.

An unrelated caller acts under a break-glass grant casefile recorded and
published (`PublishedGrants`); placements honours it until it expires and opens
none itself (docs/adr/0015-break-glass.md).
"""

from __future__ import annotations

from collections.abc import Callable

from services.placements.projections import ReadModels
from shared.casefile_facts import AllocationRelationships as AllocationRelationships
from shared.casefile_facts import PublishedGrants as _PublishedGrants


class PublishedGrants(_PublishedGrants):
    """`shared.casefile_facts.PublishedGrants`, answering as placements."""

    def __init__(self, read_models: ReadModels, catch_up: Callable[[], None] | None = None) -> None:
        super().__init__(read_models, catch_up=catch_up, service="Placements")
