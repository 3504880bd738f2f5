"""`belonging` command line: importing the command modules registers their verbs."""

from shared.cli import dev as _dev  # noqa: F401
from shared.cli import replay as _replay  # noqa: F401
from shared.cli import retention as _retention  # noqa: F401  (registers `belonging retention`)
from shared.cli import token as _token  # noqa: F401  (registers `belonging token`)
from shared.cli.app import app

__all__ = ["app"]
