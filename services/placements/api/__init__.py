"""The placements REST API: one router per resource, mounted under /v1 by the app factory."""

from services.placements.api import placements, stability

ROUTERS = (placements.router, stability.router)

__all__ = ["ROUTERS"]
