"""The placements REST API: the command routes, the history, and the stability figures."""

from services.placements.api import placements, stability

ROUTERS = (placements.commands, placements.router, stability.router)

__all__ = ["ROUTERS"]
