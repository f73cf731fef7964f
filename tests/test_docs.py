"""The documentation cannot drift from the code.

* The generated references (parameters, metrics, events, bibliography) equal what
  ``tools/gen_param_docs.py`` makes from the code now.
* Every ``python`` block in ``docs/*.md`` and ``README.md`` runs, in order, one
  namespace per file, in a scratch directory (a block whose first line is
  ``# not run: <reason>`` is skipped, and only for a server or a cluster). Blocks
  of any language whose first line is ``# file: <path>`` (e.g. TOML specs) are
  written to that path first, so the snippets can load them. The ODD's worked
  examples assert its equations against the model's functions.
* Every bibliography key cited in ``SPECS`` and in the docs exists; every
  relative link and anchor resolves; the ODD links every parameter and event.
* Every ``run.py`` subcommand and option named in the docs exists in the parser.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import shlex
from pathlib import Path

import pytest

from cxlab.cli import build_parser
from model.events import EVENTS
from model.params import SPECS
from model.sources import BIBLIOGRAPHY

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
DOC_FILES = sorted(DOCS.glob("*.md"))
SNIPPET_FILES = [*DOC_FILES, ROOT / "README.md"]

FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
SKIP = re.compile(r"^#\s*not run:\s*(.+)$", re.I)
FILE = re.compile(r"^#\s*file:\s*(\S+)\s*$")  # a block written to this path before the snippets run
SKIP_REASONS = ("server", "cluster")  # the only acceptable reasons not to run a block
LINK = re.compile(r"\]\(([^)\s]+)\)")
EXPLICIT_ANCHOR = re.compile(r"<a id=\"([^\"]+)\"></a>")
HEADING = re.compile(r"^#{1,6} (.+?)\s*$", re.M)
INLINE_CODE = re.compile(r"`[^`\n]*`")
BARE_CITATION = re.compile(r"(?<![\]\w!])\[([A-Za-z][A-Za-z0-9_]*)\](?![(\[:])")
SPEC_CITATION = re.compile(r"\[([A-Za-z0-9_]+)\]")
RUN_PY = re.compile(r"(?:run\.py|cxlab)\s+([a-z][\w-]*)")
# Data the snippets may name by their path in the repository (mirrored into the scratch directory).
DATA_DIRS = ("model/data", "model/scenarios", "experiments/examples")


def load_generator():
    spec = importlib.util.spec_from_file_location("gen_param_docs", ROOT / "tools" / "gen_param_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def blocks(path: Path) -> list[tuple[str, int, str]]:
    """Fenced code blocks of a Markdown file: (language, first line number, code)."""
    text = path.read_text(encoding="utf-8")
    return [
        (m.group(1).lower(), text.count("\n", 0, m.start()) + 2, m.group(2)) for m in FENCE.finditer(text)
    ]


def python_blocks(path: Path) -> list[tuple[int, str]]:
    return [(line, code) for lang, line, code in blocks(path) if lang in ("python", "py")]


def prose(path: Path) -> str:
    """A Markdown file without code blocks and inline code."""
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return INLINE_CODE.sub("", text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"<[^>]+>", "", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    found = set(EXPLICIT_ANCHOR.findall(text))
    seen: dict[str, int] = {}
    for heading in HEADING.findall(text):
        base = slug(heading)
        n = seen.get(base, 0)
        found.add(base if n == 0 else f"{base}-{n}")
        seen[base] = n + 1
    return found


# ------------------------------------------------------------ generated pages
def test_generated_references_are_up_to_date():
    gen = load_generator()
    for path, text in gen.render().items():
        assert path.is_file(), f"{path.name} is missing: run python tools/gen_param_docs.py"
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.relative_to(ROOT)} is stale: run python tools/gen_param_docs.py"
        )


def test_generator_check_mode_agrees(capsys):
    assert load_generator().main(["--check"]) == 0, capsys.readouterr().err


def test_parameter_reference_lists_every_parameter_once():
    text = (DOCS / "parameters.md").read_text(encoding="utf-8")
    for name in SPECS:
        assert text.count(f'<a id="{name}"></a>') == 1, name


# ------------------------------------------------------------ citations and links
def test_every_key_cited_in_specs_exists():
    missing = {
        (name, key)
        for name, spec in SPECS.items()
        for key in SPEC_CITATION.findall(spec.source)
        if key not in BIBLIOGRAPHY
    }
    assert not missing, f"keys cited in SPECS but not in model/sources.py: {sorted(missing)}"


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: p.name)
def test_every_key_cited_in_the_docs_exists(path):
    text = path.read_text(encoding="utf-8")
    linked = re.findall(r"bibliography\.md#([^)\s]+)\)", text)
    bare = BARE_CITATION.findall(prose(path))
    missing = sorted({k for k in [*linked, *bare] if k not in BIBLIOGRAPHY})
    assert not missing, f"{path.name} cites keys missing from model/sources.py: {missing}"


@pytest.mark.parametrize("path", [*DOC_FILES, ROOT / "README.md"], ids=lambda p: p.name)
def test_relative_links_and_anchors_resolve(path):
    broken = []
    for target in LINK.findall(FENCE.sub("", path.read_text(encoding="utf-8"))):
        if re.match(r"^[a-z]+:", target):  # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists():
            broken.append(target)
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(target)
    assert not broken, f"{path.name}: broken links {broken}"


def test_odd_links_every_parameter_and_event():
    text = (DOCS / "odd.md").read_text(encoding="utf-8")
    params = [n for n in SPECS if f"(parameters.md#{n})" not in text]
    events = [n for n in EVENTS if f"(events.md#{n})" not in text]
    assert not params, f"the ODD does not describe these parameters: {params}"
    assert not events, f"the ODD does not describe these events: {events}"


# ------------------------------------------------------------ runnable snippets
def test_odd_has_worked_examples():
    assert len(python_blocks(DOCS / "odd.md")) >= 8


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """A working directory where the repository's data files are at their usual paths."""
    for rel in DATA_DIRS:
        source = ROOT / rel
        if source.exists():
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / rel).symlink_to(source, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("path", [p for p in SNIPPET_FILES if python_blocks(p)], ids=lambda p: p.name)
def test_python_snippets_run(path, scratch):
    for _, _, code in blocks(path):
        target = FILE.match(code.splitlines()[0]) if code.strip() else None
        if target:
            (scratch / target.group(1)).parent.mkdir(parents=True, exist_ok=True)
            (scratch / target.group(1)).write_text(code, encoding="utf-8")
    namespace: dict = {"__name__": "__docs__"}
    for line, code in python_blocks(path):
        first = code.lstrip().splitlines()[0] if code.strip() else ""
        skip = SKIP.match(first)
        if skip:
            reason = skip.group(1).lower()
            assert any(word in reason for word in SKIP_REASONS), (
                f"{path.name} line {line}: a block may be skipped only when it needs a server or a "
                f"cluster, not for '{skip.group(1)}'"
            )
            continue
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(code, f"{path.name}:{line}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(f"{path.name}: the python block at line {line} failed: {exc!r}") from exc


# ------------------------------------------------------------ command lines
def command_lines(path: Path) -> list[str]:
    """Shell commands in bash/sh/console blocks, continuation lines joined."""
    lines = []
    for lang, _, code in blocks(path):
        if lang not in ("bash", "sh", "shell", "console"):
            continue
        for command in code.replace("\\\n", " ").splitlines():
            command = command.split(" #", 1)[0].strip()
            if command and not command.startswith("#"):
                lines.append(command)
    return lines


def _subparsers(parser) -> dict:
    """A parser's subcommands by name (empty when it has none)."""
    action = next((a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"), None)
    return dict(action.choices) if action else {}


@pytest.fixture(scope="module")
def subcommands() -> dict:
    return _subparsers(build_parser())


@pytest.mark.parametrize("path", SNIPPET_FILES, ids=lambda p: p.name)
def test_every_run_py_subcommand_mentioned_exists(path, subcommands):
    text = path.read_text(encoding="utf-8")
    named = set(RUN_PY.findall(text))
    unknown = sorted(named - set(subcommands))
    assert not unknown, f"{path.name} names run.py subcommands that do not exist: {unknown}"


@pytest.mark.parametrize("path", SNIPPET_FILES, ids=lambda p: p.name)
def test_every_run_py_option_in_commands_exists(path, subcommands):
    wrong = []
    for command in command_lines(path):
        tokens = shlex.split(command.replace("[", " ").replace("]", " ").replace("|", " "))
        at = next((i for i, token in enumerate(tokens) if token in ("run.py", "cxlab")), None)
        if at is None:
            continue
        if at + 1 >= len(tokens) or tokens[at + 1] not in subcommands:
            continue  # the subcommand test reports it
        parser, rest = subcommands[tokens[at + 1]], tokens[at + 2 :]
        while rest and (nested := _subparsers(parser)) and rest[0] in nested:  # run.py workshop new ...
            parser, rest = nested[rest[0]], rest[1:]
        for token in rest:
            option = token.split("=", 1)[0]
            if option.startswith("--") and option not in parser._option_string_actions:
                wrong.append(f"run.py {tokens[at + 1]} {option}")
    assert not wrong, f"{path.name} uses options that do not exist: {wrong}"


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: p.name)
def test_repository_files_named_in_commands_exist(path):
    missing = []
    for command in command_lines(path):
        for token in shlex.split(command.replace("[", " ").replace("]", " ")):
            if re.match(r"^(model|experiments|tools|viz|benchmarks)/[\w./-]+\.(toml|csv|graphml|py)$", token):
                if not (ROOT / token).exists():
                    missing.append(token)
    assert not missing, f"{path.name} names files that do not exist: {missing}"


# ------------------------------------------------------------ the dashboard as the guide describes it
def test_facilitator_guide_names_the_dashboards_tabs_charts_cards_levers_and_events():
    """A renamed chart, tab, card, lever, event button or scenario must be renamed in the guide too."""
    from model.params import levers
    from model.scenario import available, load_scenario
    from viz.app import TABS
    from viz.charts import CHARTS, KPIS
    from viz.lab import lever_label

    text = (DOCS / "facilitator.md").read_text(encoding="utf-8")
    names = [
        *TABS,
        *(chart.title for chart in CHARTS.values()),
        *(kpi.label for kpi in KPIS),
        *(lever_label(name) for name in levers()),
        *(event.label for event in EVENTS.values()),
        *(f"`{name}`" for name in available()),
        *(load_scenario(name).title for name in available()),
    ]
    missing = [name for name in names if name not in text]
    assert not missing, f"docs/facilitator.md does not mention these dashboard labels: {missing}"
