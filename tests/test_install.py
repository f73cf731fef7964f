"""The product installs like a library: the wheel, in a fresh virtual environment
outside the checkout, runs a simulation, an experiment and its report, and serves
the dashboard from any directory.

The wheel is built from a copy of the checkout's files (the build writes into its
source tree). To keep this test to about a minute, the fresh environment borrows
the third-party packages this one has installed (a ``.pth`` line to a folder of
links to them, this project's own files left out; and their data folders, the
widgets' Jupyter configuration and Solara's cached web assets) and pip installs
the wheel with ``--no-index``, so pip still checks that its dependencies are
satisfied.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.browser.conftest import free_ports

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
OURS = ("cx_culture_lab", "__editable__", "cxlab", "model", "viz", "experiments", "workshop")
SMALL = ["--set", "n_employees=30", "--set", "market_size=500", "--set", "initial_customers=100"]
SPEC = """[experiment]
name = "tiny"
steps = 3
replications = 2
seed = 5

[constants]
n_employees = 30
market_size = 500
initial_customers = 100

[parameters]
leadership_commitment = [0.2, 0.8]
"""


def _run(*cmd, cwd: Path, env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{cmd}: {done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done


@pytest.fixture(scope="module")
def install(tmp_path_factory) -> tuple[Path, Path, dict]:
    """(the fresh environment's bin folder, a working folder outside the checkout, the environment)."""
    tmp = tmp_path_factory.mktemp("install")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    source = tmp / "source"
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    wheels = tmp / "wheels"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", wheels, source, cwd=tmp, env=env)

    venv = tmp / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=tmp, env=env)
    borrowed = tmp / "borrowed"
    borrowed.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(OURS):
            (borrowed / entry.name).symlink_to(entry)
    for data in ("etc/jupyter", "share/jupyter", "share/solara"):  # widget configs, cached web assets
        if (Path(sys.prefix) / data).is_dir():
            (venv / data).parent.mkdir(parents=True, exist_ok=True)
            (venv / data).symlink_to(Path(sys.prefix) / data)
    python = venv / "bin" / "python"
    site = _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp, env=env)
    (Path(site.stdout.strip()) / "borrowed.pth").write_text(f"{borrowed}\n", encoding="utf-8")
    _run(python, "-m", "pip", "install", "--no-index", "--quiet", *wheels.glob("*.whl"), cwd=tmp, env=env)
    work = tmp / "work"
    work.mkdir()
    return venv / "bin", work, env


def test_the_installed_package_is_the_one_imported_outside_the_checkout(install):
    bin_dir, work, env = install
    done = _run(
        bin_dir / "python", "-c", "import cxlab, model, viz.app; print(model.__file__)", cwd=work, env=env
    )
    assert Path(done.stdout.strip()).is_relative_to(bin_dir.parent), done.stdout
    assert not Path(done.stdout.strip()).is_relative_to(ROOT)


def test_cxlab_simulates_runs_an_experiment_and_reports_from_any_directory(install):
    bin_dir, work, env = install
    cxlab = bin_dir / "cxlab"
    assert "baseline" in _run(cxlab, "scenarios", cwd=work, env=env).stdout
    _run(cxlab, "simulate", "--steps", "3", *SMALL, "--out", "run.csv", cwd=work, env=env)
    assert len((work / "run.csv").read_text().splitlines()) == 1 + 4  # a header, weeks 0-3
    (work / "tiny.toml").write_text(SPEC, encoding="utf-8")
    _run(cxlab, "experiment", "tiny.toml", "--out", "tiny", "--workers", "1", cwd=work, env=env)
    assert len(list((work / "tiny" / "runs").glob("*.parquet"))) == 4
    _run(bin_dir / "python", "-m", "cxlab", "report", "tiny", cwd=work, env=env)
    assert (work / "tiny" / "report" / "index.html").is_file()


def test_cxlab_creates_lists_and_exports_a_workshop_from_any_directory(install):
    bin_dir, work, env = install
    cxlab = bin_dir / "cxlab"
    made = _run(
        cxlab,
        "workshop",
        "new",
        "--rounds",
        "1",
        "--round-weeks",
        "2",
        *SMALL,
        "--data",
        "data",
        cwd=work,
        env=env,
    )
    code = made.stdout.split("join code")[1].split()[0]
    assert code in _run(cxlab, "workshop", "list", "--data", "data", cwd=work, env=env).stdout
    _run(cxlab, "workshop", "export", code, "--out", "out", "--data", "data", cwd=work, env=env)
    assert (work / "out" / "debrief.html").is_file() and (work / "data" / "workshops.sqlite3").is_file()


def test_the_dashboard_serves_its_first_page_and_its_assets_from_the_install(install):
    bin_dir, work, env = install
    port = free_ports(1)
    server = subprocess.Popen(
        [bin_dir / "cxlab", "dashboard", "--port", str(port)],
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline, page = time.monotonic() + 180, None
        while page is None and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
                    page = (response.status, response.url, response.read().decode())
            except urllib.error.HTTPError as error:
                page = (error.code, error.url, error.read().decode())
            except OSError:  # not listening yet
                time.sleep(0.5)
        if page is None:
            server.send_signal(signal.SIGINT)
            pytest.fail(f"no page from the dashboard: {server.communicate(timeout=30)[0][-3000:]}")
        status, url, html = page
        assert status == 200 and "solara" in html.lower()
        asset = f"http://127.0.0.1:{port}/_solara/cdn/requirejs@2.3.6/require.js"
        with urllib.request.urlopen(asset, timeout=10) as response:
            assert response.status == 200, "the cached web assets are served by the installed dashboard"
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
