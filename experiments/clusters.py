"""Recipes for running experiments on a batch cluster through dask-jobqueue.

A batch job starts Dask workers on a compute node; each worker must import this
project at the runner's commit and run one model at a time::

    from experiments import DaskExecutor, load_spec, run_experiment
    from experiments.clusters import jobqueue_cluster

    cluster = jobqueue_cluster("slurm", workers_per_job=8, queue="normal", account="myproject")
    cluster.scale(jobs=4)                       # 4 jobs x 8 workers
    with DaskExecutor(cluster, timeout=600) as executor:   # waits for the first worker
        run_experiment(load_spec("experiments/sobol_levers.toml"), "results/sobol", executor=executor)
    cluster.close()

The scheduler runs where this code runs (a login node); compute nodes must reach
it, so bind it to the cluster's private network (``interface="ib0"`` or
``scheduler_options={"host": ...}``), never a public one: whoever reaches a Dask
scheduler can run code on its workers.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MEMORY_PER_WORKER_MIB = (
    768  # a default-size run peaks near 300 MiB (docs/researcher.md); headroom for larger worlds
)
KINDS = ("slurm", "pbs", "sge", "lsf")


def worker_environment(checkout: str | Path = ROOT, venv: str | Path | None = None) -> list[str]:
    """Shell lines a batch job runs before its workers start: the project's virtualenv (if
    any) and ``PYTHONPATH`` pointing at the checkout, one thread per numerical library."""
    lines = []
    if venv is not None:
        lines.append(f"source {shlex.quote(str(Path(venv) / 'bin' / 'activate'))}")
    lines.append(f"export PYTHONPATH={shlex.quote(str(checkout))}${{PYTHONPATH:+:$PYTHONPATH}}")
    lines.extend(f"export {v}=1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"))
    return lines


def jobqueue_cluster(
    kind: str = "slurm",
    *,
    workers_per_job: int = 1,
    memory_per_worker_mib: int = MEMORY_PER_WORKER_MIB,
    walltime: str = "02:00:00",
    checkout: str | Path = ROOT,
    venv: str | Path | None = None,
    python: str = sys.executable,
    **options: Any,
) -> Any:
    """A dask-jobqueue cluster whose jobs each run ``workers_per_job`` single-threaded workers
    with this project importable, its dashboard on loopback. ``options`` go to the cluster
    class (``queue``, ``account``, ``interface``, ``scheduler_options``, ...).

    Raises:
        ValueError: an unknown ``kind``.
    """
    import dask_jobqueue

    classes = {
        "slurm": dask_jobqueue.SLURMCluster,
        "pbs": dask_jobqueue.PBSCluster,
        "sge": dask_jobqueue.SGECluster,
        "lsf": dask_jobqueue.LSFCluster,
    }
    if kind not in classes:
        raise ValueError(f"unknown batch system {kind!r}; one of {', '.join(KINDS)}")
    if workers_per_job < 1 or memory_per_worker_mib < 64:
        raise ValueError("workers_per_job must be at least 1 and memory_per_worker_mib at least 64")
    # dask-jobqueue serves the scheduler's dashboard on all interfaces by default: keep it local
    options["scheduler_options"] = {
        "dashboard_address": "127.0.0.1:8787",
        **options.get("scheduler_options", {}),
    }
    return classes[kind](
        cores=workers_per_job,
        processes=workers_per_job,  # one thread per worker: a run holds the GIL
        memory=f"{workers_per_job * memory_per_worker_mib}MiB",
        walltime=walltime,
        python=python,
        job_script_prologue=worker_environment(checkout, venv),
        **options,
    )
