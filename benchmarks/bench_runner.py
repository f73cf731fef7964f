"""Experiment throughput: runs per minute serially, in local processes and on a local Dask
cluster, the runner's overhead over a bare model loop, workers' memory over the runs, and
what that means for a large Sobol study.

    python benchmarks/bench_runner.py [--runs 100] [--rounds 3] [--workers 2] [--record final] [--json]

Each round runs the same ``--runs`` default-size runs (baseline, 156 weeks, the
design's seeds) four ways, side by side:

* ``in_process``: a bare loop of ``CultureModel`` + ``step()`` + ``model_table``;
* ``runner_serial``: ``run_experiment`` with the serial executor (design, task
  building, Parquet encoding and writes, manifest, progress bookkeeping);
* ``runner_processes``: ``run_experiment`` on ``--workers`` local processes (pool
  start-up included);
* ``runner_dask``: ``run_experiment`` on a local Dask cluster of ``--workers``
  single-threaded worker processes, started before the round (not timed).

Timings on a shared 2-core machine vary by 30-50% between runs, so the report gives
medians over rounds; the overhead is measured on CPU time as well (user + system of
this process, which other processes' load barely moves). Memory: each worker's
resident memory after its runs (from the runs' own reports), first and last.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from experiments.design import build_design  # noqa: E402
from experiments.evaluate import RunResult, run_task  # noqa: E402
from experiments.executors import DaskExecutor, ProcessExecutor, SerialExecutor  # noqa: E402
from experiments.runner import run_experiment  # noqa: E402
from experiments.spec import parse_spec  # noqa: E402
from model import CultureModel  # noqa: E402
from model.simulate import model_table  # noqa: E402

SOBOL_RUNS = 8192  # six levers, N = 1024, first and total order: 1024 x (6 + 2)


def bench_spec(runs: int, seed: int, record: str = "every_step"):
    """A default-size spec of ``runs`` replications of the baseline."""
    return parse_spec(
        {
            "experiment": {
                "name": "bench",
                "scenario": "baseline",
                "steps": 156,
                "replications": runs,
                "seed": seed,
                "record": record,
            }
        }
    )


def in_process(spec, seeds: list[int]) -> tuple[float, float]:
    """(wall, CPU) seconds for the bare model loop over ``seeds``."""
    wall, cpu = time.perf_counter(), time.process_time()
    for seed in seeds:
        model = CultureModel(spec.scenario, rng=seed)
        for _ in range(spec.steps):
            model.step()
        model_table(model)
    return time.perf_counter() - wall, time.process_time() - cpu


def runner(spec, executor, memory: dict | None = None) -> tuple[float, float]:
    """(wall, CPU of this process) seconds for ``run_experiment`` into a fresh directory;
    with ``memory``, each worker's memory after each of its runs is appended to it."""
    task_fn = run_task
    with tempfile.TemporaryDirectory() as tmp, executor:
        wall, cpu = time.perf_counter(), time.process_time()
        summary = run_experiment(spec, Path(tmp) / "out", executor=executor, progress=False, task_fn=task_fn)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if summary.failed:
        raise RuntimeError(f"{summary.failed} benchmark runs failed")
    return wall, cpu


def worker_memory(executor, spec) -> dict[int, list[float]]:
    """Each worker's resident memory (MiB) after each of its runs of ``spec``."""
    design = build_design(spec)
    from experiments.runner import make_task

    seen: dict[int, list[float]] = defaultdict(list)
    with executor:
        for _, result in executor.run(run_task, [make_task(spec, design, r) for r in design.runs]):
            if isinstance(result, RunResult) and result.worker:
                seen[result.worker[0]].append(result.worker[1])
    return dict(seen)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100, help="runs per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (medians are reported)")
    parser.add_argument("--workers", type=int, default=2, help="processes / Dask workers (0: serial only)")
    parser.add_argument("--record", default="every_step", help='"every_step" or "final" (as a Sobol study)')
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask cluster")
    parser.add_argument(
        "--memory-runs", type=int, default=0, help="also track workers' memory over this many runs"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    spec = bench_spec(args.runs, seed=2026, record=args.record)
    seeds = [r.seed for r in build_design(spec).runs]
    in_process(bench_spec(1, seed=1), seeds[:1])  # warm-up: imports, caches
    cluster = None
    if args.workers and not args.no_dask:
        from distributed import LocalCluster

        cluster = LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
    modes = {
        "in_process": lambda: in_process(spec, seeds),
        "runner_serial": lambda: runner(spec, SerialExecutor()),
        "runner_processes": lambda: runner(spec, ProcessExecutor(args.workers)),
        "runner_dask": lambda: runner(spec, DaskExecutor(cluster)),
    }
    if not args.workers:
        modes = {k: v for k, v in modes.items() if k in ("in_process", "runner_serial")}
    elif cluster is None:
        modes.pop("runner_dask")
    wall: dict[str, list[float]] = {k: [] for k in modes}
    cpu: dict[str, list[float]] = {k: [] for k in modes}
    try:
        for i in range(args.rounds):
            for name, measure in modes.items():
                w, c = measure()
                wall[name].append(w)
                cpu[name].append(c)
            print(
                f"round {i + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in wall.items()), file=sys.stderr
            )
        memory = {}
        if args.memory_runs:
            mem_spec = bench_spec(args.memory_runs, seed=7, record=args.record)
            memory["processes"] = worker_memory(ProcessExecutor(args.workers or 1), mem_spec)
            if cluster is not None:
                memory["dask"] = worker_memory(DaskExecutor(cluster), mem_spec)
    finally:
        if cluster is not None:
            cluster.close()

    def overheads(times: dict[str, list[float]]) -> list[float]:
        return [r / b - 1.0 for r, b in zip(times["runner_serial"], times["in_process"], strict=True)]

    rates = {k: 60.0 * args.runs / statistics.median(v) for k, v in wall.items()}
    best = max((k for k in rates if k != "in_process"), key=rates.get)
    per_run_cpu = statistics.median(cpu["in_process"]) / args.runs
    figures = {
        "runs": args.runs,
        "rounds": args.rounds,
        "workers": args.workers,
        "record": args.record,
        "seconds_per_run_in_process_wall": statistics.median(wall["in_process"]) / args.runs,
        "seconds_per_run_in_process_cpu": per_run_cpu,
        "overhead_serial_cpu_median": statistics.median(overheads(cpu)),
        "overhead_serial_wall_median": statistics.median(overheads(wall)),
        "runner_cpu_ms_per_run": {
            k: 1000 * statistics.median(v) / args.runs
            for k, v in cpu.items()
            if k.startswith("runner_") and k != "runner_serial"
        },
        "runs_per_minute_wall": rates,
        "best": best,
        "sobol_8192_minutes_at_best": SOBOL_RUNS / rates[best],
        "runs_per_hour_per_worker": 3600.0 / per_run_cpu,
        "worker_memory_mib": {
            kind: {
                str(pid): {"runs": len(v), "first": v[0], "last": v[-1], "max": max(v)}
                for pid, v in seen.items()
            }
            for kind, seen in memory.items()
        },
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(
        f"default-size run in process: {figures['seconds_per_run_in_process_wall']:.3f} s wall, {per_run_cpu:.3f} s CPU"
    )
    print(
        f"runner overhead (serial executor vs bare loop): {100 * figures['overhead_serial_cpu_median']:+.1f}% CPU, "
        f"{100 * figures['overhead_serial_wall_median']:+.1f}% wall"
    )
    for k, v in figures["runner_cpu_ms_per_run"].items():
        print(f"runner process CPU per run, {k}: {v:.1f} ms")
    for k, v in rates.items():
        print(f"runs per minute, {k}: {v:.0f}")
    print(
        f"best: {best}; an {SOBOL_RUNS}-run Sobol study would take {figures['sobol_8192_minutes_at_best']:.1f} min; "
        f"one worker gives about {figures['runs_per_hour_per_worker']:,.0f} runs an hour"
    )
    for kind, seen in figures["worker_memory_mib"].items():
        for pid, m in seen.items():
            print(
                f"worker memory, {kind} {pid}: {m['first']:.0f} MiB after its first run, {m['last']:.0f} after its {m['runs']}th (max {m['max']:.0f})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
