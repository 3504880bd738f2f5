"""The demo cohort: twelve made-up children, loaded through the public APIs.

`cohort` holds the data, `plan` turns it into the writes to send, `loader`
sends them; `seed` is the `belonging.demo` entry point `belonging dev up` calls.
"""

from shared.demo.loader import seed

__all__ = ["seed"]
