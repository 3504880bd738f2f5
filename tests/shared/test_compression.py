"""The event store's compressor: what it stores, zlib reads back, and the other way round."""

from __future__ import annotations

import json
import random
import zlib

import pytest
from eventsourcing.compressor import ZlibCompressor

from shared.eventstore.compression import SizedZlibCompressor


def body(words: int, seed: int) -> bytes:
    chooser = random.Random(seed)
    vocabulary = ["visit", "child", "placement", "review", "foster", "school", "plan", "2026"]
    return json.dumps(
        {"notes": " ".join(chooser.choice(vocabulary) for _ in range(words))}
    ).encode()


SIZES = [0, 1, 10, 100, 1_000, 10_000, 100_000]


@pytest.mark.parametrize("words", SIZES)
def test_what_is_stored_reads_back_with_either_compressor(words: int) -> None:
    """Events stored before the change (the library's zlib) and after it read the same."""
    data = body(words, seed=words)
    ours, library = SizedZlibCompressor(), ZlibCompressor()
    assert library.decompress(ours.compress(data)) == data
    assert ours.decompress(library.compress(data)) == data
    assert zlib.decompress(ours.compress(data)) == data


@pytest.mark.parametrize("words", SIZES)
def test_it_compresses_as_well_as_zlib_at_its_defaults(words: int) -> None:
    data = body(words, seed=words + 1)
    assert len(SizedZlibCompressor().compress(data)) <= len(zlib.compress(data)) + 2


def test_a_small_event_gets_a_small_window_and_a_large_one_the_largest() -> None:
    """The window is in the zlib header (RFC 1950: CINFO is log2(window) - 8)."""

    def window(data: bytes) -> int:
        return 1 << ((SizedZlibCompressor().compress(data)[0] >> 4) + 8)

    assert window(b"x" * 150) == 512
    assert window(b"x" * 3_000) == 4_096
    assert window(b"x" * 1_000_000) == 32_768
