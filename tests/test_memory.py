"""A dropped model is freed: sweeps and dashboard resets must not leak.

The garbage collector cannot look inside a numpy object array, so a model
whose agents sat in one (agents -> model -> array -> agents) was never freed.
"""

from __future__ import annotations

import gc
import resource
import weakref

import pytest

from model import CultureModel


def test_a_dropped_model_is_collected_with_its_agents(build_model):
    m = build_model(seed=3)
    for _ in range(5):
        m.step()
    m.fire("layoffs", share=0.2)  # empties positions: None in employee_at
    m.step()
    alive_model, alive_agent = weakref.ref(m), weakref.ref(m.employee_at[1])
    del m
    gc.collect()
    assert alive_model() is None and alive_agent() is None


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


@pytest.mark.slow
def test_two_hundred_default_runs_grow_memory_by_less_than_50_mib():
    """Issue 11: 200 default-size runs in one process, memory grows < 50 MiB."""

    def one(seed: int) -> None:
        m = CultureModel(rng=seed)
        for _ in range(20):
            m.step()

    for seed in range(10):  # warm caches, allocator arenas and imports
        one(seed)
    gc.collect()
    before = _rss_mib()
    for seed in range(10, 210):
        one(seed)
    gc.collect()
    growth = _rss_mib() - before
    assert growth < 50, f"memory grew by {growth:.0f} MiB over 200 runs"
