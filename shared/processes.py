"""Whether a process is still running: the stack's supervisor and a port's workers ask."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def is_running(pid: int) -> bool:
    """True while `pid` runs: not gone, and not a zombie (exited, not yet reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    status = Path(f"/proc/{pid}/status")
    with contextlib.suppress(OSError):
        for line in status.read_text().splitlines():
            if line.startswith("State:"):
                return "Z" not in line.split()[1]  # a zombie has exited
    return True
