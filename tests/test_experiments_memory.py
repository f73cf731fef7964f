"""Flat memory on every executor: 300 default-size runs, each worker's memory grows < 50 MiB.

The runs are default-size worlds (the scenario's employees, market and customers) over
20 weeks, so each builds and drops a full model: what leaked before (issue 14) leaked
per model, not per week. About 15 s of CPU per executor on two workers.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from experiments import DaskExecutor, ProcessExecutor, build_design
from experiments.evaluate import RunResult, run_task
from experiments.runner import make_task
from experiments.spec import parse_spec

RUNS = 300
WARM_UP = 20  # runs per worker before its baseline: imports, caches, allocator arenas
LIMIT_MIB = 50


def tasks() -> list:
    spec = parse_spec(
        {
            "experiment": {
                "name": "memory",
                "steps": 20,
                "replications": RUNS,
                "seed": 14,
                "record": "final",
                "metrics": ["nps", "culture_mean"],
            }
        }
    )
    design = build_design(spec)
    return [make_task(spec, design, run) for run in design.runs]


def growth_per_worker(outcomes: list[RunResult]) -> dict[int, float]:
    """Per worker process: its largest memory after the warm-up minus its memory at the warm-up's end."""
    seen: dict[int, list[float]] = defaultdict(list)
    for result in outcomes:
        assert isinstance(result, RunResult) and result.ok, result
        pid, rss = result.worker
        seen[pid].append(rss)
    assert len(seen) >= 2, "expected the runs spread over two workers"
    return {pid: max(rss[WARM_UP:]) - rss[WARM_UP - 1] for pid, rss in seen.items() if len(rss) > 2 * WARM_UP}


@pytest.mark.slow
def test_process_workers_stay_flat_over_300_default_size_runs():
    with ProcessExecutor(2) as executor:
        outcomes = [result for _, result in executor.run(run_task, tasks())]
    assert len(outcomes) == RUNS
    growth = growth_per_worker(outcomes)
    assert growth and all(g < LIMIT_MIB for g in growth.values()), growth


@pytest.mark.slow
@pytest.mark.dask
def test_dask_workers_stay_flat_over_300_default_size_runs():
    from distributed import LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            memory_limit="2GiB",
        ) as cluster,
        DaskExecutor(cluster) as executor,
    ):
        outcomes = [result for _, result in executor.run(run_task, tasks())]
    assert len(outcomes) == RUNS
    growth = growth_per_worker(outcomes)
    assert growth and all(g < LIMIT_MIB for g in growth.values()), growth
