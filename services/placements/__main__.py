"""`python -m services.placements`: serve the placements API (port 8002 under `make run`)."""

from __future__ import annotations

import uvicorn

from services.placements.bootstrap import build_app
from services.placements.settings import PlacementsSettings


def main() -> None:
    settings = PlacementsSettings()
    # One log line per request comes from the app factory's middleware.
    uvicorn.run(
        build_app(settings),
        host=settings.host,
        port=settings.port,
        access_log=False,
        log_config=None,
    )


if __name__ == "__main__":
    main()
