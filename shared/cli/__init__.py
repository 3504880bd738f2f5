"""`belonging` command line: importing the command modules registers their verbs."""

from shared.cli.app import app

__all__ = ["app"]
