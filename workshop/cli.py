"""``cxlab workshop new|list|show|export|delete``: workshops from the command line.

``register(commands)`` adds them to the ``cxlab`` command line (``cxlab.cli``).
The owner of the data directory needs no facilitator key here. Every refusal
(a ``WorkshopError``) is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import datetime

from cxlab.cli import whole_number
from workshop.decisions import describe
from workshop.errors import WorkshopError
from workshop.rooms import Hub, WorkshopConfig
from workshop.scorecard import MEASURES


def register(commands) -> None:
    """Add ``workshop`` and its subcommands to the ``cxlab`` command line (``cxlab.cli.Commands``)."""
    commands.user_errors(WorkshopError)
    top = commands.add("workshop", _missing, "workshop rooms: create, list, show, export, delete")
    sub = top.add_subparsers(dest="workshop_command", required=True)

    def command(name: str, help: str, func) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.add_argument(
            "--data", default=None, metavar="DIR", help="data directory (default: the per-user one)"
        )
        p.set_defaults(func=func)
        return p

    p = command("new", "create a workshop; prints its join code and facilitator key", _new)
    p.add_argument("--scenario", default="baseline", help="preset name or scenario TOML path")
    p.add_argument("--rounds", type=whole_number, default=8)
    p.add_argument("--round-weeks", type=whole_number, default=13, help="weeks per round (13 = a quarter)")
    p.add_argument("--seed", type=whole_number, default=1)
    p.add_argument("--org-chart", default=None, metavar="FILE", help="CSV or GraphML org chart")
    p.add_argument("--title", default=None)
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="override a parameter")
    p.add_argument("--fix", action="append", default=[], metavar="LEVER", help="a lever teams may not move")

    p = command("list", "list the workshops in the data directory", _list)
    p.add_argument("--json", action="store_true")

    p = command("show", "teams, rounds, decisions and KPIs of a workshop", _show)
    p.add_argument("code")
    p.add_argument("--json", action="store_true")

    p = command("export", "write CSV tables and the debrief HTML of a workshop", _export)
    p.add_argument("code")
    p.add_argument("--out", required=True, metavar="DIR")

    p = command("delete", "delete a workshop and everything of it", _delete)
    p.add_argument("code")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def _missing(args) -> int:
    raise WorkshopError("name a workshop command: new, list, show, export or delete")


def _new(args) -> int:
    from cxlab.cli import parse_sets

    params = parse_sets(args.set)
    hub = Hub(args.data)
    created = hub.create(
        WorkshopConfig(
            scenario=args.scenario,
            rounds=args.rounds,
            round_weeks=args.round_weeks,
            seed=args.seed,
            org_chart=args.org_chart,
            title=args.title,
            params=params,
            fixed=tuple(args.fix),
        )
    )
    print(f"workshop created: {created.title}")
    print(f"  join code        {created.shown_code}   (teams join with it and a team name)")
    print(f"  facilitator key  {created.key}")
    print("  the key is shown only now and alone opens the facilitator console: keep it safe")
    print(f"  data             {hub.store.path}")
    return 0


def _list(args) -> int:
    rows = Hub(args.data).workshops()
    if args.json:
        print(json.dumps([asdict(r) for r in rows], indent=2))
        return 0
    if not rows:
        print("no workshops yet (run.py workshop new)")
        return 0
    print(f"{'code':8s} {'created':16s} {'rounds':>7s} {'teams':>5s}  title (scenario)")
    for r in rows:
        print(
            f"{r.code[:3]}-{r.code[3:]:4s} {_when(r.created):16s} {r.rounds_done:>3d}/{r.rounds:<3d} "
            f"{r.teams:>5d}  {r.title} ({r.scenario})"
        )
    return 0


def _show(args) -> int:
    report = Hub(args.data).report(args.code)
    s = report.status
    board = {line.team: line for line in report.leaderboard()} if s.rounds_done else {}
    if args.json:
        print(json.dumps(_show_json(report, board), indent=2, default=str))
        return 0
    window = "open" if s.window_open else "closed"
    print(
        f"{s.title}  [{s.shown_code}]  round {s.rounds_done} of {s.rounds} played, decision window {window}"
    )
    print(
        f"  scenario {report.start['scenario']['name']}, seed {report.start['seed']}, {s.round_weeks} weeks a round"
    )
    for team in report.teams:
        line = board.get(team.name)
        rank = f"rank {line.rank}, score {line.score:.1f}" if line else "not ranked yet"
        print(f"\n{team.name}  ({rank})")
        for r in team.rounds[1:]:
            k = r.kpis
            decided = "did not submit" if r.status == "carried" else describe(r.decision)
            print(
                f"  round {r.round}: {decided}; cost {r.charged:,.0f} | cum. profit {k['cumulative_profit']:,.0f}, "
                f"NPS {k['nps']:.1f}, customers {k['active_customers']:,.0f}, "
                f"turnover {k['employee_turnover']:.2f}/yr, focus {k['customer_focus']:.2f}"
            )
        if team.pending is not None:
            print(f"  round {s.rounds_done + 1} ({team.pending_status}): {describe(team.pending)}")
    return 0


def _export(args) -> int:
    from workshop.export import write_export

    hub = Hub(args.data)
    files = write_export(hub.report(args.code), hub.debrief(args.code), args.out)
    for path in files:
        print(f"wrote {path}")
    return 0


def _delete(args) -> int:
    hub = Hub(args.data)
    report = hub.report(args.code)  # NotFound before asking
    if not args.yes:
        if not sys.stdin.isatty():
            raise WorkshopError("add --yes to delete without being asked")
        answer = input(
            f"delete '{report.status.title}' ({report.status.shown_code}) and all its data? [y/N] "
        )
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing deleted")
            return 0
    hub.delete(args.code)
    print(f"deleted {report.status.shown_code}")
    return 0


def _show_json(report, board) -> dict:
    s = report.status
    return {
        "code": s.code,
        "title": s.title,
        "scenario": report.start["scenario"]["name"],
        "seed": report.start["seed"],
        "rounds": s.rounds,
        "rounds_done": s.rounds_done,
        "round_weeks": s.round_weeks,
        "window_open": s.window_open,
        "weights": report.weights,
        "teams": [
            {
                "name": t.name,
                "rank": board[t.name].rank if t.name in board else None,
                "score": board[t.name].score if t.name in board else None,
                "rounds": [
                    {
                        "round": r.round,
                        "status": r.status,
                        **r.decision.as_json(),
                        "one_off_cost": r.charged,
                        "kpis": {m: r.kpis[m] for m in MEASURES},
                    }
                    for r in t.rounds[1:]
                ],
                "pending": None if t.pending is None else {"status": t.pending_status, **t.pending.as_json()},
            }
            for t in report.teams
        ],
    }


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")
