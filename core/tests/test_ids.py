import time
import uuid

from core.ids import uuid7


def test_uuid7_carries_its_version_variant_and_millisecond_clock():
    before = time.time_ns() // 1_000_000
    value = uuid7()
    after = time.time_ns() // 1_000_000
    assert value.version == 7
    assert value.variant == uuid.RFC_4122
    assert before <= value.int >> 80 <= after


def test_uuid7_sorts_by_time_and_never_repeats():
    first = [uuid7() for _ in range(2000)]
    time.sleep(0.002)
    later = [uuid7() for _ in range(2000)]
    assert max(first) < min(later)
    assert len(set(first + later)) == 4000
