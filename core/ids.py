"""Time-ordered identifiers."""

from __future__ import annotations

import os
import time
import uuid


def uuid7() -> uuid.UUID:
    """An RFC 9562 version-7 UUID: 48 bits of Unix milliseconds, then 74 random bits.

    Rows keyed by it arrive in key order, so each insert lands on the right edge of the
    key's index instead of a random leaf: on the 5,000,000-row events table the random
    (version 4) event ids made every scan's insert touch a cold page of a 150 MB index."""
    value = (time.time_ns() // 1_000_000 & (1 << 48) - 1) << 80
    value |= int.from_bytes(os.urandom(10), "big")  # the low 80 bits
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # RFC 9562 variant
    return uuid.UUID(int=value)
