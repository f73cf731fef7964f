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
gives medians over rounds and the ratio runner_serial / in_process per round.
The target is an overhead of at most 10%.
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


def in_process(spec, seeds: list[int]) -> float:
    """Seconds for the bare model loop over ``seeds``."""
    start = time.perf_counter()
    for seed in seeds:
        model = CultureModel(spec.scenario, rng=seed)
        for _ in range(spec.steps):
            model.step()
        model_table(model)
    return time.perf_counter() - start


def runner(spec, executor) -> float:
    """Seconds for ``run_experiment`` into a fresh directory."""
    with tempfile.TemporaryDirectory() as tmp, executor:
        start = time.perf_counter()
        summary = run_experiment(spec, Path(tmp) / "out", executor=executor, progress=False)
        seconds = time.perf_counter() - start
    if summary.failed:
        raise RuntimeError(f"{summary.failed} benchmark runs failed")
    return seconds


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
    times: dict[str, list[float]] = {"in_process": [], "runner_serial": [], "runner_processes": []}
    for i in range(args.rounds):
        times["in_process"].append(in_process(spec, seeds))
        times["runner_serial"].append(runner(spec, SerialExecutor()))
        if args.workers:
            times["runner_processes"].append(runner(spec, ProcessExecutor(args.workers)))
        print(
            f"round {i + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items() if v),
            file=sys.stderr,
        )

    ratios = [r / b for r, b in zip(times["runner_serial"], times["in_process"], strict=True)]
    figures = {
        "runs": args.runs,
        "rounds": args.rounds,
        "seconds_per_run_in_process": statistics.median(times["in_process"]) / args.runs,
        "overhead_serial_median": statistics.median(ratios) - 1.0,
        "overhead_serial_per_round": [r - 1.0 for r in ratios],
        "runs_per_minute": {k: 60.0 * args.runs / statistics.median(v) for k, v in times.items() if v},
        "workers": args.workers,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"default-size run in process: {figures['seconds_per_run_in_process']:.2f} s (median)")
        print(
            f"runner overhead (serial executor vs bare loop): {100 * figures['overhead_serial_median']:+.1f}% "
            f"median; rounds: {', '.join(f'{100 * r:+.1f}%' for r in figures['overhead_serial_per_round'])}"
        )
        for k, v in figures["runs_per_minute"].items():
            print(f"runs per minute, {k}: {v:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
