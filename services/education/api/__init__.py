"""The education REST API: command routes, the record and status reads, the scorecard, and
schools' feeds."""

from services.education.api import feeds, record, scorecard

ROUTERS = (record.commands, record.router, scorecard.router, feeds.router)

__all__ = ["ROUTERS"]
