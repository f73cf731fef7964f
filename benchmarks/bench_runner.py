"""How much the experiment runner adds to the model's own time, and runs per minute.

    python benchmarks/bench_runner.py [--runs 8] [--rounds 3] [--workers 2] [--json]

Each round runs the same ``--runs`` default-size runs (baseline, 156 weeks, the
design's seeds) three ways, side by side:

* ``in_process``: a bare loop of ``CultureModel`` + ``step()`` + ``model_table``;
* ``runner_serial``: ``run_experiment`` with the serial executor (design, task
  building, Parquet writes, manifest, progress bookkeeping);
* ``runner_processes``: ``run_experiment`` with ``--workers`` local processes
  (pool start-up included).

Timings on a shared 2-core machine vary by 30-50% between runs, so the report
gives medians over rounds, and measures the overhead on CPU time (user + system
time of this process, which other processes' load barely moves) as well as on
wall time: overhead = runner_serial / in_process - 1, per round. The target is
at most 10%. Runs per minute are wall-clock rates.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from experiments.design import build_design  # noqa: E402
from experiments.executors import ProcessExecutor, SerialExecutor  # noqa: E402
from experiments.runner import run_experiment  # noqa: E402
from experiments.spec import parse_spec  # noqa: E402
from model import CultureModel  # noqa: E402
from model.simulate import model_table  # noqa: E402


def bench_spec(runs: int, seed: int):
    """A default-size spec of ``runs`` replications of the baseline."""
    return parse_spec(
        {
            "experiment": {
                "name": "bench",
                "scenario": "baseline",
                "steps": 156,
                "replications": runs,
                "seed": seed,
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


def runner(spec, executor) -> tuple[float, float]:
    """(wall, CPU of this process) seconds for ``run_experiment`` into a fresh directory."""
    with tempfile.TemporaryDirectory() as tmp, executor:
        wall, cpu = time.perf_counter(), time.process_time()
        summary = run_experiment(spec, Path(tmp) / "out", executor=executor, progress=False)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if summary.failed:
        raise RuntimeError(f"{summary.failed} benchmark runs failed")
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8, help="runs per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (medians are reported)")
    parser.add_argument("--workers", type=int, default=2, help="processes for runner_processes (0: skip)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    spec = bench_spec(args.runs, seed=2026)
    seeds = [r.seed for r in build_design(spec).runs]
    in_process(bench_spec(1, seed=1), seeds[:1])  # warm-up: imports, caches
    wall: dict[str, list[float]] = {"in_process": [], "runner_serial": [], "runner_processes": []}
    cpu: dict[str, list[float]] = {"in_process": [], "runner_serial": []}
    for i in range(args.rounds):
        for name, measure in (
            ("in_process", lambda: in_process(spec, seeds)),
            ("runner_serial", lambda: runner(spec, SerialExecutor())),
            ("runner_processes", lambda: runner(spec, ProcessExecutor(args.workers))),
        ):
            if name == "runner_processes" and not args.workers:
                continue
            w, c = measure()
            wall[name].append(w)
            if name in cpu:
                cpu[name].append(c)
        print(
            f"round {i + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in wall.items() if v),
            file=sys.stderr,
        )

    def overheads(times: dict[str, list[float]]) -> list[float]:
        return [r / b - 1.0 for r, b in zip(times["runner_serial"], times["in_process"], strict=True)]

    figures = {
        "runs": args.runs,
        "rounds": args.rounds,
        "workers": args.workers,
        "seconds_per_run_in_process_wall": statistics.median(wall["in_process"]) / args.runs,
        "seconds_per_run_in_process_cpu": statistics.median(cpu["in_process"]) / args.runs,
        "overhead_serial_cpu_median": statistics.median(overheads(cpu)),
        "overhead_serial_cpu_per_round": overheads(cpu),
        "overhead_serial_wall_median": statistics.median(overheads(wall)),
        "overhead_serial_wall_per_round": overheads(wall),
        "runs_per_minute_wall": {k: 60.0 * args.runs / statistics.median(v) for k, v in wall.items() if v},
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        per_run = figures["seconds_per_run_in_process_wall"]
        print(f"default-size run in process: {per_run:.2f} s wall (median over {args.rounds} rounds)")
        for kind in ("cpu", "wall"):
            rounds = ", ".join(f"{100 * r:+.1f}%" for r in figures[f"overhead_serial_{kind}_per_round"])
            median = 100 * figures[f"overhead_serial_{kind}_median"]
            print(
                f"runner overhead on {kind} time (serial executor vs bare loop): {median:+.1f}% median; {rounds}"
            )
        for k, v in figures["runs_per_minute_wall"].items():
            print(f"runs per minute, {k}: {v:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
