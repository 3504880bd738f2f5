"""The HTTP conventions every service shares: problem details, the app factory,
idempotent writes and optimistic concurrency (DESIGN.md, "Integration")."""
