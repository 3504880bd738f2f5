"""Runs the toy projection or relay in its own process, for kill tests.

python tests/shared/toy_process.py project <stream> <prefix> <database_url>
python tests/shared/toy_process.py relay <stream> <prefix> <service>
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import toy_app

if __name__ == "__main__":
    verb, *args = sys.argv[1:]
    if verb == "project":
        asyncio.run(toy_app._project(args[0], args[1], args[2]))
    elif verb == "relay":
        asyncio.run(toy_app._relay(args[0], args[1], args[2]))
