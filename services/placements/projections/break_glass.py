"""Break-glass grants casefile published, so placements honours them the same way.

Casefile records every grant (who, to which child, from when until when) and
its relay publishes `break-glass.granted.v1` without the reason; this read
model keeps one row a grant for the relationship check
(`api/relationships.py: PublishedGrants`). The projection is every service's
(`shared.casefile_facts.CasefileGrants`); this names its schema.
See docs/adr/0015-break-glass.md.
"""

from __future__ import annotations

from shared.casefile_facts import CasefileGrants as _SharedGrants

SCHEMA = "placements_break_glass"


class CasefileGrants(_SharedGrants):
    name = SCHEMA
