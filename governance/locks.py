"""Keeping casting and closing apart without making casts wait for each other.

Every cast holds a SHARED transaction-level advisory lock on its resolution, and closing
takes the EXCLUSIVE one: closing waits until the casts in flight have committed, and a
cast that starts after the close sees the closed state. Casts do not block one another
(each voter's roll row is locked for its own upsert).
"""

from __future__ import annotations

from django.db import connection

LOCK_SPACE = 278  # Art. 278; the first key of the two-int advisory lock


def resolution_lock_shared(resolution_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", [LOCK_SPACE, resolution_id])


def resolution_lock_exclusive(resolution_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_SPACE, resolution_id])
