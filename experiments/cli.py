"""The ``experiment`` and ``report`` subcommands of ``cxlab`` (registered by ``register``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from experiments.design import build_design
from experiments.executors import DaskExecutor, ExecutorError, make_executor
from experiments.runner import run_experiment
from experiments.spec import SpecError, load_spec
from experiments.store import model_fingerprint, read_manifest


def run_experiment_command(args: argparse.Namespace) -> int:
    """``cxlab experiment SPEC [--out DIR] [--workers N] [--scheduler ADDRESS] [--resume]``.

    Returns 0 when every run finished, 1 when some failed (see DIR/failed/).
    """
    spec = load_spec(args.spec)
    design = build_design(spec)  # every condition is checked before anything runs
    out = Path(args.out) if args.out else Path("results") / spec.name
    if args.scheduler and args.workers is not None:
        raise SpecError("--workers sets local processes; a Dask cluster's size is set by its workers")
    if args.workers is not None and args.workers < 1:
        raise SpecError(f"--workers must be at least 1, got {args.workers}")
    try:
        executor = make_executor(args.workers, args.scheduler)
    except ExecutorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with executor:
        if isinstance(executor, DaskExecutor):
            try:
                executor.check(model_fingerprint())
            except ExecutorError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
        where = args.scheduler or f"{getattr(executor, 'workers', 1)} local process(es)"
        print(
            f"{spec.name}: {len(design.conditions)} condition(s) x {spec.replications} replication(s) "
            f"= {len(design.runs)} runs of {spec.steps} steps on {where} -> {out}",
            file=sys.stderr,
        )
        try:
            summary = run_experiment(spec, out, executor=executor, resume=args.resume, design=design)
        except KeyboardInterrupt:
            done = len(list((out / "runs").glob("*.parquet")))
            print(
                f"interrupted: {done} of {len(design.runs)} runs are saved in {out}; "
                f"continue with: cxlab experiment {args.spec} --out {out} --resume",
                file=sys.stderr,
            )
            raise
    print(
        f"{summary.finished} run(s) finished, {summary.failed} failed, {summary.skipped} already done "
        f"({summary.seconds:.1f} s); results in {out}"
    )
    if summary.failed:
        print(f"failed runs are described in {out / 'failed'}; --resume retries them", file=sys.stderr)
    print(f"report: cxlab report {out}")
    return 1 if summary.failed else 0


def report_command(args: argparse.Namespace) -> int:
    """``cxlab report DIR``: summary table, plots, sensitivity indices and an HTML page."""
    from experiments.report import write_report

    read_manifest(args.dir)  # a clear error for a directory without results
    index = write_report(args.dir)
    print(f"report written to {index}")
    return 0


def register(commands) -> None:
    """The ``experiment`` and ``report`` subcommands (see ``cxlab.cli``)."""
    commands.user_errors(SpecError)
    p = commands.add("experiment", run_experiment_command, "run a batch experiment from a TOML spec")
    p.add_argument("spec")
    p.add_argument("--out", default=None)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://host:8786")
    p.add_argument("--resume", action="store_true")
    p = commands.add("report", report_command, "summarise an experiment's results")
    p.add_argument("dir")
