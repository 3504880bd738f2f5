"""The education service: school, in-year moves, PEP, attendance, exclusions (issue #21)."""

#: Place in the local stack's port plan: `belonging dev up` serves it on the base + 4.
PORT_OFFSET = 4
