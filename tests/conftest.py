"""Shared fixtures: small worlds that build and run in milliseconds.

Sizes are overridden to keep the suite fast; every other value comes from
``model.params.SPECS`` so that recalibrating defaults never breaks a test.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd
import pytest

import model
from model import simulate
from model.model import CultureModel

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(model.__file__).resolve().parent / "data"

# A ~40-person firm in a market of 1000 people: big enough for every department
# to have a head with reports, small enough for 20 weeks to take ~50 ms.
SMALL = {"n_employees": 40, "market_size": 1000, "initial_customers": 200}

Event = tuple[int, str, dict]


def build(seed: int = 1, events: Iterable[Event] = (), **params) -> CultureModel:
    """A small model with ``params`` over the small sizes, and events scheduled."""
    return run(0, seed, events, **params)


def run(steps: int = 10, seed: int = 1, events: Iterable[Event] = (), **params) -> CultureModel:
    """Build a small model and run it for ``steps`` weeks."""
    return simulate.run_model(steps=steps, seed=seed, params={**SMALL, **params}, events=events)


@pytest.fixture(scope="session")
def small() -> dict:
    """The small sizes, as parameter overrides (shared: copy before changing)."""
    return dict(SMALL)


@pytest.fixture(scope="session")
def build_model() -> Callable[..., CultureModel]:
    """``build_model(seed=1, events=(), **params)`` -> a small, unstepped model."""
    return build


@pytest.fixture(scope="session")
def run_model() -> Callable[..., CultureModel]:
    """``run_model(steps=10, seed=1, events=(), **params)`` -> a small model after ``steps`` weeks."""
    return run


@pytest.fixture(scope="session")
def run_table() -> Callable[..., pd.DataFrame]:
    """``run_table(steps=10, seed=1, events=(), **params)`` -> the per-step metrics table."""

    def table(steps: int = 10, seed: int = 1, events: Iterable[Event] = (), **params) -> pd.DataFrame:
        return simulate.model_table(run(steps, seed, events, **params))

    return table


@pytest.fixture(scope="session")
def example_csv() -> Path:
    return DATA / "example_org.csv"


@pytest.fixture(scope="session")
def example_graphml() -> Path:
    return DATA / "example_org.graphml"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


def fill(path: Path) -> None:
    """Write ``path`` until its file system is full."""
    with open(path, "wb", buffering=0) as f, pytest.raises(OSError) as info:
        while True:
            f.write(b"\0" * 4096)
    assert info.value.errno == errno.ENOSPC


@pytest.fixture
def odd_disk():
    """``odd_disk(folder, kind, size="64k")`` makes ``folder`` a ``"read-only"``, a
    ``"full"`` or a ``"small"`` (``size``, empty) file system: a tmpfs mounted there
    when running as root (as CI does); otherwise a folder without write permission
    for read-only, and a skip for the others. Unmounted after the test."""
    mounted: list[Path] = []
    made: list[Path] = []

    def make(folder: Path, kind: str, size: str = "64k") -> None:
        folder.mkdir(parents=True, exist_ok=True)
        made.append(folder)
        if os.geteuid() != 0:
            if kind != "read-only":
                pytest.skip(f"a {kind} disk is a small tmpfs, and mounting one needs root")
            folder.chmod(0o555)
            return
        options = f"size={size},ro" if kind == "read-only" else f"size={size}"
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        mounted.append(folder)
        if kind == "full":
            fill(folder / "filler")

    yield make
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)
    for folder in made:
        folder.chmod(0o755)  # so that pytest can remove it
