"""The education REST API: command routes, the record and status reads, and schools' feeds."""

from services.education.api import feeds, record

ROUTERS = (record.commands, record.router, feeds.router)

__all__ = ["ROUTERS"]
