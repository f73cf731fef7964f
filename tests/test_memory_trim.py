"""The server's memory trimmer (``viz.memory``): it gives freed memory back, on a timer, and stops."""

from __future__ import annotations

import sys
import threading

import pytest

from viz import memory


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_trim_gives_freed_memory_back_on_glibc():
    def rss_kib() -> int:
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")

    if memory._TRIM is None:
        pytest.skip("not glibc")
    # many small blocks (below the mmap threshold) freed: the arena keeps them until trimmed
    blocks = [bytearray(2048) for _ in range(40_000)]
    keep = blocks[::200]  # a few survivors pin the heap's top, so free() alone gives nothing back
    del blocks
    before = rss_kib()
    assert memory.trim() is True
    assert rss_kib() < before - 20_000, "80 MiB freed, and less than 20 MiB of it given back"
    assert keep


def test_the_trimmer_releases_every_interval_until_stopped():
    calls = threading.Semaphore(0)
    count = [0]

    def release() -> None:
        count[0] += 1
        calls.release()

    trimmer = memory.Trimmer(0.01, release).start()
    for _ in range(3):
        assert calls.acquire(timeout=5)
    trimmer.stop()
    stopped_at = count[0]
    threading.Event().wait(0.05)
    assert count[0] == stopped_at and not trimmer._thread.is_alive()


@pytest.mark.parametrize("seconds", [0, -1.0, float("nan")])
def test_the_trimmer_refuses_an_interval_that_is_not_positive(seconds):
    with pytest.raises(ValueError, match="positive"):
        memory.Trimmer(seconds)
