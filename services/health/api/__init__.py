"""The health REST API: the command routes, the reads, and FHIR in."""

from services.health.api import commands, fhir, reads

ROUTERS = (commands.router, reads.router, fhir.router)

__all__ = ["ROUTERS"]
