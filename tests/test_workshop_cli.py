"""``run.py workshop ...``: create, list, show, export, delete; every mistake one line and exit code 2."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys

import pandas as pd
import pytest
from workshop_helpers import SMALL, play

from model.metrics import METRICS
from workshop import Hub
from workshop.export import FILES

SIZE = [arg for name, value in SMALL.items() for arg in ("--set", f"{name}={value}")]


@pytest.fixture(scope="module")
def run_py(repo_root):
    spec = importlib.util.spec_from_file_location("run_cli_workshop", repo_root / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def call(*args) -> int:
        try:
            return module.main([str(a) for a in args])
        except SystemExit as exc:  # argparse's own errors
            return exc.code

    return call


def test_new_show_export_list_delete_as_a_user_runs_them(repo_root, run_py, tmp_path, capsys):
    data = tmp_path / "data"
    new = subprocess.run(
        [sys.executable, "run.py", "workshop", "new", "--scenario", "baseline", "--rounds", "3", "--round-weeks", "4",
         "--seed", "11", "--data", data, *SIZE],
        cwd=repo_root, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert new.returncode == 0, new.stderr
    code = re.search(r"join code\s+(\S+)", new.stdout).group(1)
    key = re.search(r"facilitator key\s+(\S+)", new.stdout).group(1)
    assert "shown only now" in new.stdout

    hub = Hub(data)  # the teams and the facilitator play two rounds
    console = hub.facilitator(code, key)
    seats = {name: hub.join(code, name) for name in ("Red", "Blue")}
    plan = {1: {"Red": ({"empowerment": 0.9}, [{"action": "culture_programme", "departments": ["service"]}])},
            2: {"Blue": ({"service_staffing": 0.6}, [])}}  # fmt: skip
    play(console, seats, [1, 2], plan)
    console.fire("layoffs", team="Blue", share=0.1)

    def cli(*args):  # in this process: starting Python for each would add seconds
        assert run_py("workshop", *args, "--data", data) == 0
        return capsys.readouterr().out

    listed = json.loads(cli("list", "--json"))
    assert [(w["code"], w["rounds_done"], w["teams"]) for w in listed] == [(code.replace("-", ""), 2, 2)]
    shown = json.loads(cli("show", code, "--json"))
    red = next(t for t in shown["teams"] if t["name"] == "Red")
    assert red["rounds"][0]["levers"] == {"empowerment": 0.9} and red["rounds"][1]["status"] == "carried"
    assert red["rounds"][0]["one_off_cost"] > 0 and {t["rank"] for t in shown["teams"]} <= {1, 2}
    text = cli("show", code.lower())
    assert "Red" in text and "Culture programme (service)" in text and "did not submit" in text

    out = tmp_path / "export"
    assert len(cli("export", code, "--out", out).splitlines()) == len(FILES)
    weeks = pd.read_csv(out / "weeks.csv")
    assert len(weeks) == 2 * (1 + 2 * 4) and set(METRICS) <= set(weeks.columns)
    assert (weeks.groupby("team")["week"].max() == 8).all()
    first = weeks[(weeks.team == "Red") & (weeks.week == 1)].iloc[0]
    assert first["lever:empowerment"] == 0.9 and "Culture programme" in first["decision"]
    decisions = pd.read_csv(out / "decisions.csv")
    assert sorted(decisions.status) == ["carried", "carried", "submitted", "submitted"]
    assert len(pd.read_csv(out / "leaderboard.csv")) == 4
    meta = json.loads((out / "workshop.json").read_text())
    assert (
        meta["start"]["seed"] == 11
        and meta["start"]["params"] == SMALL
        and meta["events"][0]["kind"] == "layoffs"
    )
    html = (out / "debrief.html").read_text()
    assert "<h1>Debrief:" in html and "Red" in html
    assert not list(out.glob(".*.tmp"))

    assert "deleted" in cli("delete", code, "--yes")
    assert json.loads(cli("list", "--json")) == []


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["new", "--rounds", "0"], "rounds must be a whole number from 1"),
        (["new", "--round-weeks", "60"], "round weeks must be"),
        (["new", "--seed", "-3"], "the seed must be"),
        (["new", "--rounds", "x"], "expected a whole number"),
        (["new", "--scenario", "nope"], "unknown scenario 'nope'"),
        (["new", "--scenario", "missing.toml"], "does not exist"),
        (["new", "--org-chart", "missing.csv"], "does not exist"),
        (["new", "--org-chart", "chart.txt"], "use a .csv or .graphml file"),
        (["new", "--set", "n_employees"], "--set expects name=value"),
        (["new", "--set", "n_employes=5"], "unknown parameter 'n_employes'"),
        (["new", "--set", "wage=-1"], "out of range"),
        (["new", "--fix", "self_service"], "cannot fix 'self_service'"),
        (["new", "--title", ""], "cannot be empty"),
        (["show", "ABCDEF"], "no workshop with the code 'ABCDEF'"),
        (["show", "not a code"], "no workshop with the code"),
        (["export", "ABCDEF", "--out", "x"], "no workshop with the code"),
        (["export", "ABCDEF"], "the following arguments are required: --out"),
        (["delete", "ABCDEF", "--yes"], "no workshop with the code"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_every_mistake_is_one_line_and_exit_code_2(run_py, tmp_path, capsys, monkeypatch, args, fragment):
    monkeypatch.chdir(tmp_path)
    assert run_py("workshop", *args, "--data", tmp_path / "data") == 2
    err = capsys.readouterr().err
    assert fragment in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


def test_export_into_an_unwritable_place_and_delete_without_yes_are_refused(
    run_py, tmp_path, capsys, monkeypatch
):
    data = tmp_path / "data"
    hub = Hub(data)
    created = hub.create(__import__("workshop_helpers").small_config(rounds=1))
    (tmp_path / "a_file").write_text("x")
    assert run_py("workshop", "export", created.code, "--out", tmp_path / "a_file", "--data", data) == 2
    assert "cannot write the export" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", open(__import__("os").devnull))
    assert run_py("workshop", "delete", created.code, "--data", data) == 2
    assert "add --yes" in capsys.readouterr().err
    assert [w.code for w in hub.workshops()] == [created.code]


def test_the_default_data_directory_follows_xdg_and_can_be_set(monkeypatch, tmp_path):
    from workshop.store import default_data_dir

    monkeypatch.delenv("CXLAB_DATA", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_data_dir() == tmp_path / "xdg" / "cxlab"
    monkeypatch.setenv("CXLAB_DATA", str(tmp_path / "mine"))
    assert default_data_dir() == tmp_path / "mine"
