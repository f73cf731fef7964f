"""The ``cxlab`` command: a thin layer over the model, the dashboard and experiments.

    cxlab simulate --scenario NAME|PATH --steps N --seed S --set name=value ... --out FILE
    cxlab scenarios
    cxlab validate [--json]
    cxlab dashboard [--host 127.0.0.1] [--port 8765] [--data DIR] [--max-employees N] [--max-market N]
    cxlab experiment SPEC.toml [--out DIR] [--workers N] [--scheduler ADDRESS] [--resume]
    cxlab report DIR
    cxlab workshop new|list|show|export|delete ...

``python -m cxlab ...`` and, in a checkout, ``python run.py ...`` are the same.

Each subcommand is added by the module that owns it. ``OWNERS`` lists them; each
has a function ``register(commands: Commands)`` that calls
``commands.add(name, run, help)`` for each of its subcommands (which returns the
subcommand's argparse parser, for its options; ``run(args)`` returns the exit
code) and ``commands.user_errors(...)`` for the exceptions that are a user's
mistake. A user's mistake exits with code 2 and a one-line message, never a
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

# Modules whose ``register(commands)`` adds their subcommands, in the order of ``--help``.
OWNERS = ("cxlab.cli", "cxlab.science", "experiments.cli", "workshop.cli")


class UsageError(Exception):
    """A mistake in what the user asked for."""


class Parser(argparse.ArgumentParser):
    """argparse with the one-line error convention of this command line."""

    def error(self, message: str):
        print(f"error: {message} (see '{self.prog} --help')", file=sys.stderr)
        sys.exit(2)


class Commands:
    """The subcommands being registered, and the exceptions that are a user's mistake."""

    def __init__(self, subparsers: argparse._SubParsersAction) -> None:
        self._subparsers = subparsers
        self.errors: list[type[BaseException]] = [UsageError]

    def add(self, name: str, run: Callable[[argparse.Namespace], int], help: str) -> argparse.ArgumentParser:
        """A subcommand ``name`` that calls ``run(args)``; returns its parser, for its options."""
        parser = self._subparsers.add_parser(name, help=help, description=help)
        parser.set_defaults(func=run)
        return parser

    def user_errors(self, *errors: type[BaseException]) -> None:
        """Exceptions that mean a user's mistake: a one-line message and exit code 2."""
        self.errors.extend(errors)


def parse_sets(pairs: list[str]) -> dict[str, str]:
    """``name=value`` pairs from ``--set``; a name given twice is refused (which one was meant?)."""
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"--set expects name=value, got '{_cut(pair)}'")
        if name in out:
            raise UsageError(
                f"--set {_cut(name)} is given twice ({out[name]} and {_cut(value.strip())}); give it once"
            )
        out[name] = value.strip()
    return out


def _cut(text: str, width: int = 40) -> str:
    """``text`` on one short line, for a message."""
    text = " ".join(text.split())
    return text if len(text) <= width else f"{text[: width - 3]}..."


def whole_number(text: str) -> int:
    """An argparse type: a whole number written in ASCII digits (``int`` also takes
    full-width digits and ``3_00``)."""
    if not re.fullmatch(r"[+-]?[0-9]+", text.strip(), re.ASCII):
        raise argparse.ArgumentTypeError(f"expected a whole number in digits 0-9, got '{_cut(text)}'")
    return int(text)


def cmd_simulate(args: argparse.Namespace) -> int:
    from model.limits import LIMITS, check, check_world
    from model.org import read_org_chart
    from model.params import coerce, make_params
    from model.scenario import load_scenario
    from model.simulate import check_output, simulate, summary, write_table

    limits = None if args.allow_large else LIMITS
    if args.steps is not None and args.steps < 1:
        raise UsageError(f"--steps must be at least 1, got {args.steps}")
    if args.seed < 0:
        raise UsageError(f"--seed must be a whole number >= 0, got {args.seed}")
    if limits is not None and args.steps is not None:
        check("--steps", args.steps, limits.steps, "weeks")
    scenario = load_scenario(args.scenario, limits)
    chart = read_org_chart(args.org_chart, limits) if args.org_chart else None
    sets = coerce(parse_sets(args.set))
    params = make_params({**scenario.parameters, **sets})
    check_world(
        params,
        limits,
        chart=chart is not None,
        where=lambda name: f"--set {name}" if name in sets else f"{scenario.name}.toml: [parameters] {name}",
    )
    out = Path(args.out) if args.out else None
    if out is not None:
        check_output(out)  # before the run, not after it
    table, meta = simulate(scenario, steps=args.steps, seed=args.seed, params=sets, org_chart=chart)
    if out is not None:
        write_table(table, meta, out)
        print(f"wrote {len(table)} rows to {out} (metadata in {out.name}.json)")
    print(summary(table, meta))
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    from model.scenario import available, load_scenario

    for name in available():
        print(f"{name:22s} {load_scenario(name).title}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from model.validation import format_table, run_all

    rows = run_all(seed=args.seed, quick=args.quick)
    print(json.dumps(rows, indent=2) if args.json else format_table(rows))
    return 0 if all(r["passed"] for r in rows) else 1


def cmd_dashboard(args: argparse.Namespace) -> int:
    from model.params import SPECS
    from viz.serve import serve

    for flag, name, value in (
        ("--max-employees", "n_employees", args.max_employees),
        ("--max-market", "market_size", args.max_market),
    ):
        lo, hi = int(SPECS[name].lo), int(SPECS[name].hi)
        if not lo <= value <= hi:
            raise UsageError(f"{flag} must be a whole number from {lo:,} to {hi:,}, got {value:,}")
    limits = {"n_employees": args.max_employees, "market_size": args.max_market}
    return serve(host=args.host, port=args.port, limits=limits, data=args.data)


def register(commands: Commands) -> None:
    """The model's and the dashboard's subcommands."""
    from model.org import OrgChartError
    from model.params import ParameterError
    from model.scenario import ScenarioError
    from model.simulate import OutputError
    from viz.lab import Limits
    from viz.serve import ServeError

    # (model.limits.LimitError is a ParameterError)
    commands.user_errors(ParameterError, ScenarioError, OrgChartError, OutputError, ServeError)

    p = commands.add("simulate", cmd_simulate, "run one simulation and write a per-step table")
    p.add_argument("--scenario", default="baseline", help="scenario name or TOML path")
    p.add_argument(
        "--steps", type=whole_number, default=None, help="weeks to simulate (default: the scenario's, 156)"
    )
    p.add_argument("--seed", type=whole_number, default=0)
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="override a parameter")
    p.add_argument("--org-chart", default=None, help="CSV or GraphML org chart")
    p.add_argument("--out", default=None, help="FILE.csv or FILE.parquet (metadata in FILE.csv.json)")
    p.add_argument(
        "--allow-large",
        action="store_true",
        help="lift the limits on steps, employees, market size and org charts (model.limits.Limits)",
    )

    commands.add("scenarios", cmd_scenarios, "list the ready-made scenarios")

    p = commands.add("validate", cmd_validate, "compare mechanisms with their analytic reference results")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.add_argument("--seed", type=whole_number, default=2026)
    p.add_argument("--quick", action="store_true", help="shorter simulations, wider tolerances")

    p = commands.add(
        "dashboard",
        cmd_dashboard,
        "serve the dashboard: the explorer at / and the workshop rooms at /workshop",
    )
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: this machine only)")
    p.add_argument(
        "--data",
        default=None,
        metavar="DIR",
        help="the workshops' data directory (default: the per-user one)",
    )
    p.add_argument("--port", type=int, default=8765, help="the address participants open")
    p.add_argument(
        "--max-employees",
        type=int,
        default=Limits.n_employees,
        help=f"the most employees a participant may give a world (default {Limits.n_employees:,})",
    )
    p.add_argument(
        "--max-market",
        type=int,
        default=Limits.market_size,
        help=f"the most people a participant may put in a market (default {Limits.market_size:,})",
    )


def build(prog: str | None = None) -> tuple[argparse.ArgumentParser, Commands]:
    """The parser with every owner's subcommands, and what they registered."""
    parser = Parser(prog=prog, description="CX Culture Lab")
    commands = Commands(parser.add_subparsers(dest="command", required=True))
    for owner in OWNERS:
        importlib.import_module(owner).register(commands)
    return parser, commands


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser (for help texts and the docs' checks)."""
    return build(prog)[0]


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser, commands = build(prog)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except tuple(commands.errors) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader left (``cxlab scenarios | head -1``): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
