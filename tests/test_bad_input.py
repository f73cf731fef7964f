"""Every kind of bad input a user can give the command line, as a table of cases.

Each row is (files to write, command, expected message fragment): the files go in a
fresh folder (``{d}`` in the command), the command runs through ``cxlab.cli.main``
in this process, and the row passes when the command exits with code 2, prints
exactly one line on stderr (``error: ...``, matching the fragment, naming the file
it is about and nothing of a file's unrelated contents), nothing on stdout, and no
traceback. Two rows also run in a real ``python run.py`` process.

Rows from the function-level tables of ``test_scenario`` (``BAD``) and ``test_org``
(``MALFORMED``) run here through the command line as well.

The sections for experiment specs and results folders (``experiment``, ``report``)
and for the dashboard's inputs are marked below: their owners add rows there.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from test_org import GRAPHML_HEAD, HEADER, MALFORMED, graphml
from test_scenario import BAD

from cxlab.cli import main
from model.limits import LIMITS
from model.params import SPECS

ROOT = Path(__file__).resolve().parents[1]
SMALL = ("--set", "n_employees=30", "--set", "market_size=500", "--set", "initial_customers=100")
MAX_LINE = 400  # one sentence, not a dump

DIR = object()  # a folder in place of a file


@dataclass(frozen=True)
class Sparse:
    """A file of ``size`` bytes that takes no disk (its size is all that matters)."""

    size: int


@dataclass(frozen=True)
class Case:
    """One kind of bad input.

    Attributes:
        id: what is wrong, in a few words.
        argv: the command (``{d}`` is the folder holding ``files``).
        expect: a regular expression the one-line message must match.
        files: name -> text, bytes, ``DIR`` or ``Sparse``; names that appear in
            ``argv`` must appear in the message.
        absent: text the message must not contain (a file's unrelated contents).
        needs: ``"read-only"`` or ``"full"``: ``{d}/mnt`` is a read-only or a full
            file system (see the ``odd_disk`` fixture).
    """

    id: str
    argv: tuple[str, ...]
    expect: str
    files: dict = field(default_factory=dict)
    absent: tuple[str, ...] = ()
    needs: str | None = None


def sim(id: str, args: tuple[str, ...] | list[str], expect: str, **kw) -> Case:
    return Case(id, ("simulate", *args), expect, **kw)


def setting(id: str, assignment: str, expect: str) -> Case:
    """A bad ``--set``."""
    return sim(f"set {id}", ("--set", assignment), expect)


def scenario(id: str, text: str | bytes, expect: str, name: str = "mine.toml", **kw) -> Case:
    """A bad scenario file."""
    return sim(f"scenario {id}", ("--scenario", f"{{d}}/{name}"), expect, files={name: text}, **kw)


def parameter(id: str, line: str, expect: str) -> Case:
    """A bad line in a scenario's [parameters]."""
    return scenario(f"parameter {id}", f"[parameters]\n{line}\n", expect)


def event(id: str, body: str, expect: str) -> Case:
    """A bad [[events]] entry in a scenario."""
    return scenario(f"event {id}", f"[[events]]\n{body}\n", expect)


def chart(id: str, text: str | bytes | object, expect: str, name: str = "chart.csv", **kw) -> Case:
    """A bad org chart."""
    return sim(f"org chart {id}", ("--org-chart", f"{{d}}/{name}"), expect, files={name: text}, **kw)


def csv_rows(*rows: str) -> str:
    return HEADER + "".join(f"{r}\n" for r in rows)


def chain(levels: int) -> str:
    """A chart of one line of command ``levels`` deep."""
    return csv_rows("e0,,executive", *(f"e{i},e{i - 1},service" for i in range(1, levels)))


LEVER = next(name for name, spec in SPECS.items() if spec.lever and not spec.integer)
OUT = ("--steps", "2", *SMALL, "--out")

# ---------------------------------------------------------------- the command line
CLI = [
    Case("no subcommand", (), r"required: command"),
    Case("unknown subcommand", ("simulat",), r"invalid choice: 'simulat'"),
    sim("unknown option", ("--seeds", "3"), r"unrecognized arguments: --seeds"),
    Case("scenarios takes no argument", ("scenarios", "extra"), r"unrecognized arguments: extra"),
    Case("validate seed not a number", ("validate", "--seed", "x"), r"--seed: expected a whole number"),
    Case("validate seed full-width", ("validate", "--seed", "３"), r"--seed: expected a whole number"),
    sim("steps zero", ("--steps", "0"), r"--steps must be at least 1, got 0"),
    sim("steps negative", ("--steps", "-5"), r"--steps must be at least 1, got -5"),
    sim(
        "steps not a number",
        ("--steps", "many"),
        r"--steps: expected a whole number in digits 0-9, got 'many'",
    ),
    sim("steps fractional", ("--steps", "1.5"), r"--steps: expected a whole number"),
    sim("steps in scientific notation", ("--steps", "1e3"), r"--steps: expected a whole number"),
    sim("steps full-width digits", ("--steps", "１５６"), r"--steps: expected a whole number"),
    sim("steps with underscores", ("--steps", "1_56"), r"--steps: expected a whole number"),
    sim("steps empty", ("--steps", ""), r"--steps: expected a whole number"),
    sim("steps missing its value", ("--steps",), r"--steps: expected one argument"),
    sim("seed negative", ("--seed", "-1"), r"--seed must be a whole number >= 0, got -1"),
    sim("seed not a number", ("--seed", "abc"), r"--seed: expected a whole number"),
    sim("seed full-width", ("--seed", "７"), r"--seed: expected a whole number"),
    sim("seed fractional", ("--seed", "0.5"), r"--seed: expected a whole number"),
    sim("unknown scenario", ("--scenario", "no_such_firm"), r"unknown scenario 'no_such_firm'.*baseline"),
    sim("scenario name with a path in it", ("--scenario", "../../etc/passwd"), r"unknown scenario '\.\./"),
    sim("scenario name empty", ("--scenario", ""), r"unknown scenario ''"),
    sim(
        "scenario name of 10,000 characters",
        ("--scenario", "x" * 10_000),
        r"unknown scenario 'x{33}\.\.\.x{64}'",
    ),
    sim(
        "scenario file missing",
        ("--scenario", "{d}/gone.toml"),
        r"scenario file '.*gone\.toml' does not exist",
    ),
    sim("org chart missing", ("--org-chart", "{d}/gone.csv"), r"org chart '.*gone\.csv' does not exist"),
]

# ---------------------------------------------------------------- cxlab workshop
WORKSHOP = [
    Case("workshop without a command", ("workshop",), r"required: workshop_command"),
    *(
        Case(f"workshop new {id}", ("workshop", "new", "--data", "{d}/data", *args), expect, files=files)
        for id, args, expect, files in [
            ("rounds zero", ("--rounds", "0"), r"rounds must be a whole number from 1 to 40, got 0", {}),
            ("rounds full-width", ("--rounds", "８"), r"--rounds: expected a whole number in digits 0-9", {}),
            ("round weeks beyond a year", ("--round-weeks", "53"), r"round weeks must be a whole number from 1 to 52", {}),
            ("seed negative", ("--seed", "-1"), r"the seed must be a whole number from 0", {}),
            ("unknown scenario", ("--scenario", "nope"), r"unknown scenario 'nope'", {}),
            ("scenario of another program", ("--scenario", "{d}/s.toml"), r"s\.toml: 1 unknown section;", {"s.toml": "[secrets]\nk = 1\n"}),
            ("org chart too deep", ("--org-chart", "{d}/deep.csv"), r"org chart 'deep\.csv': its levels of management = 101 is more than the limit of 100 levels; a workshop keeps within it", {"deep.csv": chain(101)}),
            ("org chart with a cycle", ("--org-chart", "{d}/c.csv"), r"c\.csv: the reporting lines contain a cycle", {"c.csv": csv_rows("ceo,,executive", "a,b,sales", "b,a,sales")}),
            ("org chart missing", ("--org-chart", "{d}/gone.csv"), r"org chart '.*gone\.csv' does not exist", {}),
            ("market beyond the limit", ("--set", "market_size=2000000"), r"--set market_size = 2,000,000 is more than the limit of 1,000,000 people; a workshop keeps within it", {}),
            ("set twice", ("--set", "empowerment=0.5", "--set", "empowerment=0.6"), r"--set empowerment is given twice", {}),
            ("unknown lever fixed", ("--fix", "nonsense"), r"cannot fix 'nonsense': the free levers are", {}),
            ("empty title", ("--title", " "), r"the title cannot be empty", {}),
            ("data folder is a file", ("--data", "{d}/taken"), r"cannot use data directory '.*taken'", {"taken": "x"}),
        ]
    ),
    Case("workshop show of an unknown code", ("workshop", "show", "ZZZ-ZZZZ", "--data", "{d}/data"), r"no workshop with the code 'ZZZ-ZZZZ'"),
]  # fmt: skip

# ---------------------------------------------------------------- parameters given with --set
SETS = [
    setting("without equals", LEVER, rf"--set expects name=value, got '{LEVER}'"),
    setting("without a name", "=0.5", r"--set expects name=value, got '=0\.5'"),
    setting(
        "misspelt name", f"{LEVER[:-1]}x=0.5", rf"unknown parameter '{LEVER[:-1]}x'\. Did you mean .*{LEVER}"
    ),
    setting("unknown name", "zzzz=1", r"unknown parameter 'zzzz'\.$"),
    setting("empty value", f"{LEVER}=", rf"'{LEVER}' must be a number written like 0\.5"),
    setting(
        "a word", f"{LEVER}=high", rf"'{LEVER}' must be a number written like 0\.5, 300 or 1e6, got 'high'"
    ),
    setting(
        "full-width digits", f"{LEVER}=０.５", rf"'{LEVER}' must be a number written like .*got '０\.５'"
    ),
    setting("digits with underscores", "n_employees=3_00", r"'n_employees' must be a number written like"),
    setting("comma decimal", f"{LEVER}=0,5", rf"'{LEVER}' must be a number written like"),
    setting("percent", f"{LEVER}=50%", rf"'{LEVER}' must be a number written like"),
    setting("hexadecimal", "n_employees=0x40", r"'n_employees' must be a number written like"),
    setting("nan", f"{LEVER}=nan", rf"'{LEVER}' must be a finite number, got 'nan'"),
    setting("infinity", f"{LEVER}=inf", rf"'{LEVER}' must be a finite number"),
    setting("minus infinity", f"{LEVER}=-Infinity", rf"'{LEVER}' must be a finite number"),
    setting("overflowing exponent", "n_employees=1e400", r"'n_employees' must be a finite number"),
    setting("whole number with nan", "n_employees=nan", r"'n_employees' must be a finite number"),
    setting("whole number with a fraction", "n_employees=30.5", r"'n_employees' must be a whole number"),
    setting("above the range", f"{LEVER}={SPECS[LEVER].hi + 1:g}", rf"'{LEVER}' = .* is out of range"),
    setting("below the range", f"{LEVER}=-0.1", rf"'{LEVER}' = -0\.1 is out of range"),
    setting(
        "beyond what the model represents", "n_employees=2000000", r"'n_employees' = 2e\+06 is out of range"
    ),
    setting("huge whole number", "n_employees=" + "9" * 30, r"'n_employees' = .* is out of range"),
    sim(
        "set the same name twice",
        ("--set", f"{LEVER}=0.5", "--set", f" {LEVER} =0.6"),
        rf"--set {LEVER} is given twice \(0\.5 and 0\.6\); give it once",
    ),
    sim(
        "set more customers than the market",
        ("--set", "market_size=100", "--set", "initial_customers=101"),
        r"initial_customers \(101\) must not exceed market_size \(100\)",
    ),
    sim(
        "set a network denser than the market",
        ("--set", "market_size=20", "--set", "initial_customers=5", "--set", "network_degree=20"),
        r"network_degree must be smaller than market_size",
    ),  # fmt: skip
    sim(
        "set every department's share to zero",
        tuple(a for name in SPECS if name.startswith("dept_share_") for a in ("--set", f"{name}=0")),
        r"at least one dept_share_\* weight must be positive",
    ),
]

# ---------------------------------------------------------------- limits on the size of a run
LIMITED = [
    sim("steps beyond the limit", ("--steps", f"{LIMITS.steps + 1}"), r"--steps = 5,201 is more than the limit of 5,200 weeks; --allow-large"),
    sim("steps of a trillion", ("--steps", "1000000000000"), r"--steps = 1,000,000,000,000 is more than the limit"),
    setting("market beyond the limit", f"market_size={LIMITS.market * 10}", r"--set market_size = 10,000,000 is more than the limit of 1,000,000 people; --allow-large"),
    setting("employees beyond the limit", f"n_employees={LIMITS.employees + 1}", r"--set n_employees = 100,001 is more than the limit of 100,000 employees"),
    scenario("market beyond the limit", f"[parameters]\nmarket_size = {LIMITS.market + 1}\n", r"mine\.toml: \[parameters\] market_size = 1,000,001 is more than the limit"),
    scenario("steps beyond the limit", "[scenario]\nsteps = 1_000_000_000_000\n", r"mine\.toml: \[scenario\] steps = 1,000,000,000,000 is more than the limit of 5,200 weeks; --allow-large"),
    chart("deeper than the limit", chain(LIMITS.org_levels + 1), r"org chart 'chart\.csv': its levels of management = 101 is more than the limit of 100 levels; --allow-large"),
    chart("more employees than the limit", csv_rows("e0,,executive", *(f"e{i},e0,sales" for i in range(1, LIMITS.employees + 1))), r"its employees = 100,001 is more than the limit of 100,000"),
    chart("file larger than the limit", Sparse(LIMITS.org_chart_bytes + 1), r"org chart 'chart\.csv': its size = 67,108,865 is more than the limit of 67,108,864 bytes"),
    sim("limits lifted, values still checked", ("--allow-large", "--steps", "0"), r"--steps must be at least 1"),
]  # fmt: skip

# ---------------------------------------------------------------- --out
OUTPUTS = [
    sim("out with another suffix", ("--out", "{d}/run.xlsx"), r"--out must end in \.csv or \.parquet, got 'run\.xlsx'"),
    sim("out without a suffix", ("--out", "{d}/run"), r"--out must end in \.csv or \.parquet, got 'run'"),
    sim("out is a directory", ("--out", "{d}/run.csv"), r"--out '.*run\.csv' is a directory; name a file in it", files={"run.csv": DIR}),
    sim("out's parent is a file", ("--out", "{d}/taken/run.csv"), r"'.*taken' is a file, not a folder", files={"taken": "x"}),
    sim("out's grandparent is a file", ("--out", "{d}/taken/sub/run.csv"), r"'.*taken' is a file, not a folder", files={"taken": "x"}),
    sim("out's metadata file is a directory", ("--out", "{d}/run.csv"), r"--out's metadata file '.*run\.csv\.json' is a directory", files={"run.csv.json": DIR}),
    sim("out's name too long", ("--out", "{d}/" + "x" * 300 + ".csv"), r"--out '.*\.\.\.x+\.csv' cannot be written: file name too long"),
    sim("out where no file can be made", ("--out", "/proc/cxlab-run.csv"), r"--out '/proc/cxlab-run\.csv' cannot be written: "),
    sim("out in a read-only folder", ("--out", "{d}/mnt/run.csv"), r"--out '.*run\.csv' cannot be written: (read-only file system|permission denied)", needs="read-only"),
    sim("out on a full disk", (*OUT, "{d}/mnt/run.csv"), r"cannot write --out '.*run\.csv': no space left on device", needs="full"),
    sim("parquet out on a full disk", (*OUT, "{d}/mnt/run.parquet"), r"cannot write --out '.*run\.parquet': no space left on device", needs="full"),
]  # fmt: skip

# ---------------------------------------------------------------- scenario files
SCENARIOS = [
    *(scenario(f"({case})", text, pattern) for case, (text, pattern) in BAD.items()),
    scenario("a directory", DIR, r"scenario file '.*mine\.toml' is a directory"),
    scenario("not UTF-8", b'[scenario]\ntitle = "M\xfcller"\n', r"mine\.toml line 2: not UTF-8 text \(byte 0xfc\); save the file as UTF-8"),
    scenario("UTF-16", '[scenario]\ntitle = "x"\n'.encode("utf-16"), r"mine\.toml line 1: not UTF-8 text"),
    scenario("a key given twice", "[parameters]\nempowerment = 0.5\nempowerment = 0.6\n", r"mine\.toml: malformed TOML: Cannot overwrite a value \(at line 3"),
    scenario("a NUL byte", b"[scenario]\n\0\n", r"mine\.toml line 2: a NUL byte"),
    scenario("too large", Sparse(2**20 + 1), r"scenario file '.*mine\.toml' is 1,048,577 bytes, more than a scenario file may be"),
    scenario("arrays 5000 deep", "[parameters]\nx = " + "[" * 5000 + "]" * 5000 + "\n", r"mine\.toml: malformed TOML: arrays or tables nested too deeply"),
    scenario("tables 3000 deep", "[parameters]\nx = " + "{a=" * 3000 + "1" + "}" * 3000 + "\n", r"malformed TOML: arrays or tables nested too deeply"),
    scenario("parameters = 5", "parameters = 5\n", r"mine\.toml: 'parameters' must be a section \[parameters\] of name = value lines, got 5"),
    scenario("parameters as text", 'parameters = "fast"\n', r"'parameters' must be a section \[parameters\]"),
    scenario("parameters as a list", "parameters = [1, 2]\n", r"'parameters' must be a section \[parameters\]"),
    scenario("scenario = 5", "scenario = 5\n", r"'scenario' must be a section \[scenario\]"),
    scenario("events = [1]", "events = [1]\n", r"mine\.toml: events must be \[\[events\]\] sections .*got \[1\]"),
    scenario("events = 5", "events = 5\n", r"events must be \[\[events\]\] sections"),
    scenario("events as one table", "[events]\nstep = 1\n", r"events must be \[\[events\]\] sections"),
    scenario("events as names", 'events = ["layoffs"]\n', r"events must be \[\[events\]\] sections"),
    scenario("another program's file", '[api_keys]\nopenai = "sk-secret"\n[database]\npassword = "hunter2"\n', r"mine\.toml: 2 unknown sections; a scenario file has only \[scenario\], \[parameters\] and \[\[events\]\]", absent=("api_keys", "database", "secret", "hunter2")),
    scenario("misspelt section", "[parameter]\nempowerment = 0.5\n", r"unknown section 'parameter' \(did you mean 'parameters'\?\)"),
    scenario("misspelt and unrelated sections", "[Scenario]\n[credentials]\n", r"unknown section 'Scenario' \(did you mean 'scenario'\?\) and 1 other unknown section", absent=("credentials",)),
    scenario("event section in the singular", "[[event]]\nstep = 1\n", r"unknown section 'event' \(did you mean 'events'\?\)"),
    scenario("parameter above the sections", f"{LEVER} = 0.5\n", rf"'{LEVER}' must be under \[parameters\]"),
    scenario("title above the sections", 'title = "x"\n', r"'title' must be under \[scenario\]"),
    scenario("misspelt key in [scenario]", '[scenario]\ntitel = "x"\n', r"unknown key 'titel' \(did you mean 'title'\?\) in \[scenario\]; use title, description or steps"),
    scenario("unrelated key in [scenario]", '[scenario]\ntoken = "abc123"\n', r"1 unknown key in \[scenario\]", absent=("token", "abc123")),
    scenario("title not text", "[scenario]\ntitle = 5\n", r"\[scenario\] title must be text in quotes, got 5"),
    scenario("description a list", "[scenario]\ndescription = [1]\n", r"\[scenario\] description must be text in quotes"),
    scenario("steps negative", "[scenario]\nsteps = -1\n", r"\[scenario\] steps must be a positive whole number of weeks, got -1"),
    scenario("steps as text", '[scenario]\nsteps = "156"\n', r"steps must be a positive whole number of weeks, got '156'"),
    scenario("steps true", "[scenario]\nsteps = true\n", r"steps must be a positive whole number of weeks, got True"),
    scenario("steps infinite", "[scenario]\nsteps = inf\n", r"steps must be a positive whole number of weeks, got inf"),
]  # fmt: skip

# ---------------------------------------------------------------- [parameters] in a scenario file
PARAMETERS = [
    parameter("true", f"{LEVER} = true", rf"mine\.toml: parameter '{LEVER}' must be a number, got True"),
    parameter("a list", f"{LEVER} = [0.5]", rf"parameter '{LEVER}' must be a number, got \[0\.5\]"),
    parameter("a table", f"{LEVER} = {{ value = 0.5 }}", rf"parameter '{LEVER}' must be a number"),
    parameter("a date", f"{LEVER} = 1979-05-27", rf"parameter '{LEVER}' must be a number, got 1979-05-27"),
    parameter("nan", f"{LEVER} = nan", rf"parameter '{LEVER}' must be a finite number, got nan"),
    parameter("infinity", f"{LEVER} = -inf", rf"parameter '{LEVER}' must be a finite number"),
    parameter("full-width digits as text", f'{LEVER} = "０.５"', rf"parameter '{LEVER}' must be a number written like 0\.5, 300 or 1e6, got '０\.５'"),
    parameter("underscored digits as text", 'n_employees = "3_00"', r"parameter 'n_employees' must be a number written like"),
    parameter("whole number with a fraction", "n_employees = 30.5", r"parameter 'n_employees' must be a whole number, got 30\.5"),
    parameter("integer beyond any float", "n_employees = 1" + "0" * 400, r"parameter 'n_employees' must be a finite number, got 1000"),
    parameter("below the range", f"{LEVER} = -1", rf"parameter '{LEVER}' = -1 is out of range"),
    parameter("unknown name", "zzzz = 1", r"mine\.toml: unknown parameter 'zzzz'"),
]  # fmt: skip

# ---------------------------------------------------------------- [[events]] in a scenario file
EVENTS = [
    event("type not text", "step = 1\ntype = 5", r"mine\.toml: event 1: every event needs a 'type' \(the event's name in quotes\)"),
    event("step as text", 'step = "1"\ntype = "layoffs"', r"event 1: every event needs a whole-number 'step' >= 0, got '1'"),
    event("step true", 'step = true\ntype = "layoffs"', r"event 1: every event needs a whole-number 'step' >= 0, got True"),
    event("step at week 999999", 'step = 999999\ntype = "layoffs"', r"event 1 \(layoffs\) at step 999,999 is past the scenario's horizon of 156 weeks \(steps 0\.\.155\); set \[scenario\] steps"),
    event("step at the horizon", 'step = 156\ntype = "layoffs"', r"event 1 \(layoffs\) at step 156 is past the scenario's horizon"),
    scenario("second event past a short horizon", '[scenario]\nsteps = 10\n[[events]]\nstep = 1\ntype = "layoffs"\n[[events]]\nstep = 10\ntype = "layoffs"\n', r"event 2 \(layoffs\) at step 10 is past the scenario's horizon of 10 weeks"),
    event("option true", 'step = 1\ntype = "layoffs"\nshare = true', r"event layoffs: option 'share' must be a number"),
    event("option nan", 'step = 1\ntype = "layoffs"\nshare = nan', r"event layoffs: option 'share' = nan must be a number in \[0, 1\]"),
    event("whole-number option fractional", 'step = 1\ntype = "service_breakdown"\nweeks = 2.5', r"option 'weeks' = 2\.5 must be a whole number in \[1, 520\]"),
    event("departments of numbers", 'step = 1\ntype = "layoffs"\ndepartments = [1]', r"event layoffs: departments must be a list of executive"),
    event("departments nested", 'step = 1\ntype = "layoffs"\ndepartments = [["sales"]]', r"event layoffs: departments must be a list of"),
    event("departments a table", 'step = 1\ntype = "culture_programme"\ndepartments = { a = 1 }', r"departments must be a list of"),
]  # fmt: skip

# ---------------------------------------------------------------- org charts
CHARTS = [
    *(chart(f"({case})", text, pattern, name=name) for case, (name, text, pattern) in MALFORMED.items()),
    chart("a directory", DIR, r"org chart '.*chart\.csv' is a directory; name a file"),
    chart("another suffix", csv_rows("ceo,,executive"), r"org chart '.*chart\.json': use a \.csv or \.graphml file", name="chart.json"),
    chart("not UTF-8", HEADER.encode() + b"m\xfcller,,executive\n", r"chart\.csv line 2: not UTF-8 text \(byte 0xfc\)"),
    chart("UTF-16", csv_rows("ceo,,executive").encode("utf-16"), r"chart\.csv line 1: not UTF-8 text \(byte 0xff\)"),
    chart("a NUL byte", HEADER.encode() + b"ceo,,exec\0utive\n", r"chart\.csv line 2: a NUL byte; this is not a text file"),
    chart("a field over 128 KiB", csv_rows("ceo,,executive", "a" * 140_000 + ",ceo,sales"), r"chart\.csv line 3: a field longer than 131,072 characters", absent=("aaaa",)),
    chart("an unclosed quote", csv_rows("ceo,,executive", '"abc,ceo,sales'), r"chart\.csv line 3: not readable as CSV \(unexpected end of data\)"),
    chart("text after a quoted field", csv_rows("ceo,,executive", '"a"b,ceo,sales'), r"chart\.csv line 3: not readable as CSV"),
    chart("missing column", "id,department\nceo,executive\n", r"columns must be id,manager_id,department\[,role\], got 'id,department'"),
    chart("more fields than columns", csv_rows("ceo,,executive", "a,ceo,sales,extra"), r"chart\.csv line 3: more fields than the header's columns"),
    chart("a long duplicate id", csv_rows("ceo,,executive", "x" * 5000 + ",ceo,sales", "x" * 5000 + ",ceo,sales"), r"chart\.csv line 4: duplicate id 'x{37}\.\.\.'"),
    chart("cycle below the root", csv_rows("ceo,,executive", "a,b,sales", "b,a,sales"), r"chart\.csv: the reporting lines contain a cycle"),
    chart("unknown department alias", csv_rows("ceo,,executive", "a,ceo,Legal Affairs"), r"chart\.csv line 3: unknown department 'Legal Affairs' \(known: executive"),
    chart("GraphML cut short", GRAPHML_HEAD + '  <graph edgedefault="directed">\n    <node id="a"', r"chart\.graphml: not a readable GraphML file", name="chart.graphml"),
    chart("GraphML cycle", graphml([("ceo", "executive"), ("a", "sales"), ("b", "sales")], [("a", "b"), ("b", "a")]), r"chart\.graphml: the reporting lines contain a cycle", name="chart.graphml"),
    chart("GraphML unknown department", graphml([("ceo", "executive"), ("a", "Legal")], [("ceo", "a")]), r"chart\.graphml node 'a': unknown department 'Legal'", name="chart.graphml"),
    chart("GraphML with entities", '<?xml version="1.0"?>\n<!DOCTYPE g [<!ENTITY e "x">]>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph edgedefault="directed"><node id="&e;"/></graph></graphml>\n', r"chart\.graphml: employee 'x' has no 'department' attribute", name="chart.graphml"),
    chart("GraphML of another program", '<?xml version="1.0"?>\n<config><password>hunter2</password></config>\n', r"chart\.graphml: (not a readable GraphML file|the chart has no employees)", name="chart.graphml", absent=("hunter2",)),
]  # fmt: skip

# ---------------------------------------------------------------- experiment specs and results folders
# (the research engineer's rows: ``experiment SPEC``, ``report DIR``)
EXPERIMENTS: list[Case] = []

# ---------------------------------------------------------------- the dashboard's inputs
# (the dashboard engineer's rows: ``dashboard`` options here; values from a page go in
# their own table beside the dashboard's tests, through the same checks)
DASHBOARD: list[Case] = [
    Case("dashboard market limit too small", ("dashboard", "--max-market", "5"), r"--max-market must be a whole number from 10 to 10,000,000, got 5"),
    Case("dashboard employee limit zero", ("dashboard", "--max-employees", "0"), r"--max-employees must be a whole number from 3 to 1,000,000, got 0"),
    Case("dashboard employee limit too large", ("dashboard", "--max-employees", "10000000"), r"--max-employees must be a whole number from 3 to 1,000,000, got 10,000,000"),
    Case("dashboard limit not a number", ("dashboard", "--max-market", "lots"), r"--max-market: invalid int value: 'lots'"),
    Case("dashboard port not a number", ("dashboard", "--port", "http"), r"--port: invalid int value: 'http'"),
    Case("dashboard port out of range", ("dashboard", "--port", "99999"), r"--port must be from 1 to 65535, got 99999"),
    Case("dashboard host unknown", ("dashboard", "--host", "no-such-host.invalid"), r"cannot listen on no-such-host\.invalid port 8765"),
    Case("dashboard workers option gone", ("dashboard", "--workers", "2"), r"unrecognized arguments: --workers 2"),
]  # fmt: skip

CASES = [
    *CLI,
    *WORKSHOP,
    *SETS,
    *LIMITED,
    *OUTPUTS,
    *SCENARIOS,
    *PARAMETERS,
    *EVENTS,
    *CHARTS,
    *EXPERIMENTS,
    *DASHBOARD,
]


def test_the_table_holds_at_least_150_kinds_each_named_once():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    assert len(ids) >= 150, len(ids)


def write_files(d: Path, files: dict) -> None:
    for name, content in files.items():
        path = d / name
        if content is DIR:
            path.mkdir()
        elif isinstance(content, Sparse):
            with open(path, "wb") as f:
                f.truncate(content.size)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def run_main(argv: list[str], capsys) -> tuple[int, str, str]:
    """``cxlab.cli.main(argv)`` in this process: (exit code, stdout, stderr). An
    exception escaping ``main`` is what a user would see as a traceback."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = exc.code
    except BaseException as exc:  # noqa: BLE001 - any escape is the failure under test
        pytest.fail(f"{type(exc).__name__} escaped cxlab.cli.main (a traceback for the user): {exc}")
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line(case: Case, argv: list[str], code: int, out: str, err: str) -> None:
    assert "Traceback" not in err, err[-2000:]
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err[-2000:]
    line = lines[0]
    assert code == 2, (code, line)
    assert re.search(case.expect, line), line
    assert len(line) <= MAX_LINE, line
    assert not out, out
    for name in case.files:
        if any(name in a for a in argv) and Path(name).name != "mnt":
            assert Path(name).name in line, f"the message names the file: {line}"
    for text in case.absent:
        assert text not in line, f"{text!r} leaked: {line}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_mistake_is_one_line_with_exit_code_2(case, tmp_path, capsys, odd_disk):
    write_files(tmp_path, case.files)
    if case.needs:
        odd_disk(tmp_path / "mnt", case.needs)
    argv = [a.replace("{d}", str(tmp_path)) for a in case.argv]
    code, out, err = run_main(argv, capsys)
    assert_one_line(case, argv, code, out, err)
    if case.needs or case in OUTPUTS:
        left = [p.name for p in tmp_path.rglob("*") if p.name.startswith(("run.", ".run."))]
        assert left == [n for n in case.files if n.startswith("run.")], "nothing written, nothing left over"


REAL = [
    c for c in CASES if c.id in ("steps not a number", "scenario events = [1]")
]  # argparse's path, and ours


@pytest.mark.parametrize("case", REAL, ids=[c.id for c in REAL])
def test_a_mistake_in_a_real_process_is_one_line_with_exit_code_2(case, tmp_path):
    write_files(tmp_path, case.files)
    argv = [a.replace("{d}", str(tmp_path)) for a in case.argv]
    done = subprocess.run(
        [sys.executable, "run.py", *argv], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert_one_line(case, argv, done.returncode, done.stdout, done.stderr)


def test_lifting_the_limits_runs_what_they_refuse(tmp_path, capsys):
    """The limits are the only obstacle: with --allow-large the refused chart runs."""
    write_files(tmp_path, {"deep.csv": chain(LIMITS.org_levels + 1)})
    argv = ["simulate", "--steps", "2", "--set", "market_size=500", "--set", "initial_customers=100"]
    argv += ["--org-chart", str(tmp_path / "deep.csv")]
    code, _, err = run_main(argv, capsys)
    assert code == 2 and "--allow-large" in err
    code, out, err = run_main([*argv, "--allow-large"], capsys)
    assert code == 0, err
    assert "scenario baseline" in out
