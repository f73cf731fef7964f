"""The model's science on the command line: calibration, the claims and their robustness.

    cxlab calibrate TARGETS.toml [--fit NAME ...] [--out FIRM.toml] [--seeds N] [--trials N] [--seed S]
    cxlab claims [--seeds N] [--robustness DRAWS] [--spread 0.3] [--seed S] [--workers N]
    cxlab sensitivity [--step 0.1] [--seeds N] [--workers N]

Runs go through ``model.claims.run`` on a pool of processes; every result
depends only on the seeds and values asked for, not on the pool.
"""

from __future__ import annotations

import argparse
import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from cxlab.cli import Commands, UsageError


def _run(job: tuple):
    from model.claims import run

    condition, seed, overrides = job
    return run(condition, seed, overrides)


class Runner:
    """Maps ``(condition, seed, overrides)`` jobs to their weekly tables, in order,
    on ``workers`` processes (1: in this process)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool = ProcessPoolExecutor(workers) if workers > 1 else None

    def __call__(self, jobs: list[tuple]) -> list:
        if self.pool is None:
            return [_run(job) for job in jobs]
        return list(self.pool.map(_run, jobs, chunksize=max(1, len(jobs) // (4 * self.workers))))

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def _workers(args: argparse.Namespace) -> int:
    workers = args.workers if args.workers is not None else min(os.cpu_count() or 1, 8)
    if workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}")
    return workers


def _positive(name: str, value: int, least: int = 1) -> int:
    if value < least:
        raise UsageError(f"--{name} must be at least {least}, got {value}")
    return value


def cmd_calibrate(args: argparse.Namespace) -> int:
    from model.calibration import fit, fittable, format_fit, load_targets, scenario_text
    from model.claims import Condition
    from model.scenario import load_scenario

    targets = load_targets(args.targets)
    scenario = load_scenario(targets.scenario)
    seeds, trials = _positive("seeds", args.seeds, 2), _positive("trials", args.trials)
    condition = Condition(targets.scenario, steps=targets.steps)
    base = dict(scenario.parameters)
    if args.fit:
        fittable(args.fit)
        out = Path(args.out) if args.out else None
        if out is None or out.suffix.lower() != ".toml":
            raise UsageError("--fit needs --out FILE.toml for the fitted scenario")
        if out.is_dir() or (out.parent.exists() and not out.parent.is_dir()):
            raise UsageError(f"--out '{out}' is not a file we can write")
        from model.params import SPECS

        base = {**{n: SPECS[n].default for n in args.fit}, **base}
        with Runner(_workers(args)) as runner:
            values, rows, score = fit(targets, args.fit, base, runner, seeds, trials, args.seed, condition)
        print(format_fit(rows))
        print("fitted: " + ", ".join(f"{n} = {v:.6g}" for n, v in values.items()) + f" (loss {score:.4g})")
        text = scenario_text(
            out.stem,
            f"{scenario.title}, calibrated",
            f"{scenario.description} Calibrated to {Path(args.targets).name} "
            f"({', '.join(args.fit)}; {seeds} seeds, {trials} trials, seed {args.seed}).",
            {**dict(scenario.parameters), **values},
            [{"step": e.step, "type": e.type, **e.options} for e in scenario.events],
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
        print(f"wrote {out}: load it with --scenario {out} (simulate, experiment specs, the dashboard)")
        return 0
    from model.calibration import evaluate

    with Runner(_workers(args)) as runner:
        rows = evaluate(targets, runner([(condition, s, {}) for s in range(seeds)]))
    print(json.dumps(rows, indent=2) if args.json else format_fit(rows))
    return 0


def cmd_claims(args: argparse.Namespace) -> int:
    from model.claims import CLAIMS, calibration_names, holds_per_draw, latin_hypercube

    seeds = range(_positive("seeds", args.seeds))
    if args.robustness:
        _positive("robustness", args.robustness)
        if not 0 < args.spread < 1:
            raise UsageError(f"--spread must be between 0 and 1, got {args.spread}")
        draws = latin_hypercube(calibration_names(), args.robustness, args.spread, args.seed)
        with Runner(_workers(args)) as runner:
            results = holds_per_draw(CLAIMS, draws, seeds, runner)
        what = f"{len(draws)} draws of the calibration constants within ±{args.spread:.0%}, {len(seeds)} seeds each"
    else:
        with Runner(_workers(args)) as runner:
            results = [holds_per_draw(CLAIMS, [{}], [s], runner)[0] for s in seeds]
        what = f"{len(seeds)} seeds at the default parameters, one seed a draw"
    shares = {c.number: sum(r[c.number] for r in results) / len(results) for c in CLAIMS}
    if args.json:
        print(json.dumps({"draws": what, "shares": shares}, indent=2))
        return 0
    print(f"share of draws in which each claim holds ({what})")
    for c in CLAIMS:
        print(f"  claim {c.number}: {shares[c.number]:6.1%}  {c.text}")
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from model.claims import calibration_names, magnitudes

    if not 0 < args.step < 1:
        raise UsageError(f"--step must be between 0 and 1, got {args.step}")
    with Runner(_workers(args)) as runner:
        rows = magnitudes(calibration_names(), args.step, range(_positive("seeds", args.seeds)), runner)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(
        f"baseline NPS (points) and annual churn (percentage points) with each constant moved ±{args.step:.0%}"
    )
    print(f"{'parameter':28s} {'NPS -':>7s} {'NPS +':>7s} {'churn -':>8s} {'churn +':>8s}")
    for r in rows[: args.top] if args.top else rows:
        print(
            f"{r['parameter']:28s} {r['nps_minus']:7.1f} {r['nps_plus']:7.1f} "
            f"{r['churn_minus']:8.2f} {r['churn_plus']:8.2f}"
        )
    return 0


def register(commands: Commands) -> None:
    from model.calibration import CalibrationError

    commands.user_errors(CalibrationError)
    p = commands.add("calibrate", cmd_calibrate, "check or fit parameters against a targets file")
    p.add_argument("targets", help="TOML of target ranges (see model/data/targets.toml)")
    p.add_argument("--fit", nargs="+", metavar="NAME", help="calibration constants to fit")
    p.add_argument("--out", help="FILE.toml: the fitted scenario (with --fit)")
    p.add_argument("--seeds", type=int, default=6, help="runs per evaluation (common seeds 0..N-1)")
    p.add_argument("--trials", type=int, default=40, help="parameter sets tried by the fit")
    p.add_argument("--seed", type=int, default=0, help="the fit's own seed: same seed, same fit")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--json", action="store_true")

    p = commands.add("claims", cmd_claims, "check the claims of MODEL.md over seeds and parameter draws")
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--robustness", type=int, default=0, metavar="DRAWS", help="Latin-hypercube draws")
    p.add_argument("--spread", type=float, default=0.3, help="each constant within ± this share")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--json", action="store_true")

    p = commands.add("sensitivity", cmd_sensitivity, "how far each calibration constant moves NPS and churn")
    p.add_argument("--step", type=float, default=0.1)
    p.add_argument("--seeds", type=int, default=4)
    p.add_argument("--top", type=int, default=0, help="show only the N largest")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--json", action="store_true")
