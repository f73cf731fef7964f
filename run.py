"""CX Culture Lab command line: a thin layer over the model, dashboard and experiments.

    python run.py dashboard [--host 127.0.0.1] [--port 8765] [--workers N]
    python run.py simulate --scenario NAME|PATH --steps N --seed S --set name=value ... --out FILE
    python run.py scenarios
    python run.py validate [--json]
    python run.py experiment SPEC.toml [--out DIR] [--workers N] [--scheduler ADDRESS] [--resume]
    python run.py report DIR
    python run.py workshop new|list|show|export|delete ...   (see workshop/cli.py)

A user's mistake exits with code 2 and a one-line message, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


class UsageError(Exception):
    """A mistake in what the user asked for."""


def _user_errors() -> tuple[type[BaseException], ...]:
    from model.org import OrgChartError
    from model.params import ParameterError
    from model.scenario import ScenarioError

    errors: list[type[BaseException]] = [UsageError, ParameterError, ScenarioError, OrgChartError]
    try:
        from experiments.spec import SpecError

        errors.append(SpecError)
    except ImportError:
        pass
    return tuple(errors)


def parse_sets(pairs: list[str]) -> dict[str, str]:
    """``name=value`` pairs from ``--set``."""
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--set expects name=value, got '{pair}'")
        out[name.strip()] = value.strip()
    return out


def cmd_simulate(args) -> int:
    from model.simulate import simulate, summary, write_table

    out = Path(args.out) if args.out else None
    if out is not None and out.suffix.lower() not in (".csv", ".parquet"):
        raise UsageError(f"--out must end in .csv or .parquet, got '{out.name}'")
    table, meta = simulate(
        args.scenario, steps=args.steps, seed=args.seed, params=parse_sets(args.set), org_chart=args.org_chart
    )
    if out is not None:
        write_table(table, meta, out)
        print(f"wrote {len(table)} rows to {out} (metadata in {out.name}.json)")
    print(summary(table, meta))
    return 0


def cmd_scenarios(args) -> int:
    from model.scenario import available, load_scenario

    for name in available():
        sc = load_scenario(name)
        print(f"{name:22s} {sc.title}")
    return 0


def cmd_validate(args) -> int:
    from model.validation import format_table, run_all

    rows = run_all(seed=args.seed, quick=args.quick)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(format_table(rows))
    return 0 if all(r["passed"] for r in rows) else 1


def cmd_dashboard(args) -> int:
    from viz.serve import serve

    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {args.workers}")
    return serve(host=args.host, port=args.port, workers=args.workers)


def cmd_experiment(args) -> int:
    from experiments.cli import run_experiment_command

    return run_experiment_command(args)


def cmd_report(args) -> int:
    from experiments.cli import report_command

    return report_command(args)


class Parser(argparse.ArgumentParser):
    """argparse with the one-line error convention of this command line."""

    def error(self, message: str):
        print(f"error: {message} (see '{self.prog} --help')", file=sys.stderr)
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="run.py", description="CX Culture Lab")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("simulate", help="run one simulation and write a per-step table")
    p.add_argument("--scenario", default="baseline", help="scenario name or TOML path")
    p.add_argument("--steps", type=int, default=None, help="weeks to simulate (default: the scenario's, 156)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="override a parameter")
    p.add_argument("--org-chart", default=None, help="CSV or GraphML org chart")
    p.add_argument("--out", default=None, help="FILE.csv or FILE.parquet")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("scenarios", help="list the ready-made scenarios")
    p.set_defaults(func=cmd_scenarios)

    p = sub.add_parser("validate", help="compare mechanisms with their analytic reference results")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--quick", action="store_true", help="shorter simulations, wider tolerances")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("dashboard", help="serve the workshop dashboard")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765, help="the address participants open")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="server processes, each on its own core (default: one per core, at most 8); "
        "with N > 1 they use ports PORT+1..PORT+N behind PORT",
    )
    p.set_defaults(func=cmd_dashboard)

    p = sub.add_parser("experiment", help="run a batch experiment from a TOML spec")
    p.add_argument("spec")
    p.add_argument("--out", default=None)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://host:8786")
    p.add_argument("--resume", action="store_true")
    p.set_defaults(func=cmd_experiment)

    p = sub.add_parser("report", help="summarise an experiment's results")
    p.add_argument("dir")
    p.set_defaults(func=cmd_report)

    from workshop.cli import add_parser as add_workshop_parser  # run.py workshop new|list|show|export|delete

    add_workshop_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "steps", None) is not None and args.steps < 1:
        print("error: --steps must be at least 1", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except _user_errors() as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
