"""The ``experiment`` and ``report`` subcommands of ``cxlab`` (registered by ``register``):
their options and what they do."""

from __future__ import annotations

import argparse
import shutil
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from experiments.store import Plan

# the parser is built for every command of run.py: the experiment machinery is imported when used

LARGE_SECONDS = 15 * 60  # an estimate above any of these asks for confirmation (or --yes)
LARGE_RUNS = 20_000
LARGE_BYTES = 2e9


def add_experiment_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``experiment SPEC``."""
    p.add_argument("spec", help="the experiment's TOML spec")
    p.add_argument("--out", default=None, help="results folder (default: results/<name>)")
    p.add_argument("--workers", type=int, default=None, help="local processes (default: one per core)")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://127.0.0.1:8786")
    p.add_argument("--scheduler-file", default=None, help="the JSON file a Dask scheduler wrote")
    p.add_argument(
        "--connect-timeout",
        type=float,
        default=5.0,
        help="seconds to reach a Dask scheduler and find a worker",
    )
    p.add_argument("--resume", action="store_true", help="run only what is missing; may extend the design")
    p.add_argument("--run-timeout", type=float, default=None, help="seconds after which a run is stopped")
    p.add_argument("--yes", action="store_true", help="start a large experiment without asking")
    p.add_argument(
        "--allow-large",
        action="store_true",
        help="lift the size limits on replications, samples, runs and steps (experiments.design.Limits)",
    )


def add_report_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``report DIR``."""
    p.add_argument("dir", help="an experiment's results folder")
    p.add_argument("--spec", default=None, help="adopt this spec's [outcomes] and [report] settings first")


def run_experiment_command(args: argparse.Namespace) -> int:
    """``experiment SPEC``: 0 when every run finished, 1 when some failed (see DIR/failed/)."""
    from experiments.design import LIMITS
    from experiments.executors import DaskExecutor, ExecutorError, make_executor
    from experiments.runner import run_experiment
    from experiments.spec import SpecError, load_spec
    from experiments.store import ResultsWarning, code_fingerprint

    spec = load_spec(args.spec)
    out = Path(args.out) if args.out else Path("results") / spec.name
    dask = args.scheduler or args.scheduler_file
    if dask and args.workers is not None:
        raise SpecError("--workers sets local processes; a Dask cluster's size is set by its workers")
    if args.scheduler and args.scheduler_file:
        raise SpecError("give --scheduler or --scheduler-file, not both")
    if args.workers is not None and args.workers < 1:
        raise SpecError(f"--workers must be at least 1, got {args.workers}")
    if args.run_timeout is not None and not args.run_timeout > 0:
        raise SpecError(f"--run-timeout must be a positive number of seconds, got {args.run_timeout:g}")
    if not args.connect_timeout > 0:
        raise SpecError(
            f"--connect-timeout must be a positive number of seconds, got {args.connect_timeout:g}"
        )
    try:
        executor = make_executor(
            args.workers, args.scheduler, scheduler_file=args.scheduler_file, timeout=args.connect_timeout
        )
    except ExecutorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with executor:
        if isinstance(executor, DaskExecutor):
            print(
                f"trusting {executor.describe()}: it runs the code this runner sends, as does anyone "
                "who can reach it (keep it on loopback or a private network; TLS for shared clusters)",
                file=sys.stderr,
            )
            try:
                executor.check(code_fingerprint())
            except ExecutorError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2

        def confirm(plan: Plan) -> None:
            _confirm(spec, plan, out, executor.workers, args.yes, executor.describe())

        caught: list = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ResultsWarning)
                summary = run_experiment(
                    spec,
                    out,
                    executor=executor,
                    resume=args.resume,
                    limits=None if args.allow_large else LIMITS,
                    confirm=confirm,
                    run_timeout=args.run_timeout,
                )
        except KeyboardInterrupt:
            print(
                f"interrupted: the finished runs are saved in {out}; "
                f"continue with: cxlab experiment {args.spec} --out {out} --resume",
                file=sys.stderr,
            )
            raise
        finally:
            _print_warnings(caught)
    print(
        f"{summary.finished} run(s) finished, {summary.failed} failed, {summary.skipped} already done "
        f"({summary.seconds:.1f} s); results in {out}"
    )
    if summary.failed:
        print(f"failed runs are described in {out / 'failed'}; --resume retries them", file=sys.stderr)
    print(f"report: cxlab report {out}")
    return 1 if summary.failed else 0


def _confirm(spec, plan: Plan, out: Path, workers: int, yes: bool, where: str) -> None:
    """Print what the experiment will do; stop a large one unless confirmed."""
    from experiments.estimate import estimate
    from experiments.spec import SpecError

    for change in plan.changes:
        print(f"{out}: {change}", file=sys.stderr)
    cost = estimate(spec, plan.design, plan.pending, workers)
    print(
        f"{spec.name}: {len(plan.design.conditions)} condition(s) x {spec.replications} replication(s) = "
        f"{plan.total} runs of {spec.steps} steps, {plan.total - len(plan.pending)} already done -> {out}\n"
        f"  to run: {cost.describe()} on {where}",
        file=sys.stderr,
    )
    free = shutil.disk_usage(_existing(out)).free
    if cost.bytes > free and not yes:
        raise SpecError(
            f"{out} has {free / 1e9:.1f} GB free, less than the estimate; make room, or add --yes"
        )
    large = cost.seconds > LARGE_SECONDS or cost.runs > LARGE_RUNS or cost.bytes > LARGE_BYTES
    if not large or yes:
        return
    if sys.stdin is not None and sys.stdin.isatty():
        answer = input("This is a large experiment. Start it? [y/N] ").strip().lower()
        if answer in ("y", "yes"):
            return
        raise SpecError("not started")
    raise SpecError("this is a large experiment (see the estimate above); add --yes to start it")


def _existing(path: Path) -> Path:
    path = path.resolve()
    while not path.exists():
        path = path.parent
    return path


def _print_warnings(caught: list) -> None:
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)


def report_command(args: argparse.Namespace) -> int:
    """``report DIR``: summary table, plots, sensitivity, scenario discovery and an HTML page."""
    from experiments.report import write_report
    from experiments.spec import SpecError, load_spec
    from experiments.store import ResultsWarning, read_manifest, update_report, why

    read_manifest(args.dir)  # a clear error for a directory without results
    if args.spec:
        if update_report(args.dir, load_spec(args.spec)):
            print(f"{args.dir}: report settings updated from {args.spec}", file=sys.stderr)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResultsWarning)
        try:
            index = write_report(args.dir)
        except OSError as exc:
            raise SpecError(f"cannot write the report in {Path(args.dir) / 'report'}: {why(exc)}") from None
    _print_warnings(caught)
    print(f"report written to {index}")
    return 0


def register(commands) -> None:
    """The ``experiment`` and ``report`` subcommands (see ``cxlab.cli``)."""
    from experiments.spec import SpecError

    commands.user_errors(SpecError)
    add_experiment_arguments(
        commands.add("experiment", run_experiment_command, "run a batch experiment from a TOML spec")
    )
    add_report_arguments(commands.add("report", report_command, "summarise an experiment's results"))
