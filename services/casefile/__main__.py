"""`python -m services.casefile`: serve the casefile API (port 8001 by default)."""

from __future__ import annotations

import os

import uvicorn

from services.casefile.bootstrap import build_app
from services.casefile.settings import CasefileSettings


def main() -> None:
    settings = CasefileSettings()
    # Loopback unless told otherwise (a container sets HOST=0.0.0.0).
    host = os.environ.get("HOST", "127.0.0.1")
    uvicorn.run(build_app(settings), host=host, port=settings.port, log_config=None)


if __name__ == "__main__":
    main()
