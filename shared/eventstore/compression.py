"""zlib with a window no larger than the event: the same bytes out, far less set-up.

`zlib.compress` prepares a 32 KiB window and a 64 KiB hash table (about
256 KiB of state, cleared) on every call. For a 150-byte access event that
set-up was 47 of its 50 µs, once for every read of a child's record. Deflate
never refers back further than the data, so a window the size of the data
gives the same compressed body; `zlib.decompress` reads the window size
from the stream's header, so what either compressor stored reads with the
other (docs/bench-api.md has the figures).
"""

from __future__ import annotations

import zlib

from eventsourcing.persistence import Compressor

_SMALLEST_WINDOW, _LARGEST_WINDOW = 9, 15
_LEVEL = 6  # zlib's default


class SizedZlibCompressor(Compressor):
    """zlib at its default level, its window and hash table sized to the data.

    Selected by `COMPRESSOR_TOPIC=shared.eventstore.compression:SizedZlibCompressor`,
    the default in `ServiceSettings`.
    """

    def compress(self, data: bytes) -> bytes:
        window = min(_LARGEST_WINDOW, max(_SMALLEST_WINDOW, (len(data) - 1).bit_length()))
        memory = min(8, window - 7)  # zlib's default is 8: a hash table of 2**15 entries
        compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, window, memory)
        return compressor.compress(data) + compressor.flush()

    def decompress(self, data: bytes) -> bytes:
        return zlib.decompress(data)
