"""``simulate --out`` under faults: a kill -9 at each moment of the write, and a full disk.

Outcome of each fault, as the tests check it:

| fault | outcome |
| --- | --- |
| kill -9 while the data is being written | no output (or the earlier one, whole); a hidden temp file the next write removes |
| kill -9 before the earlier output is removed | the earlier output, whole, with its own metadata |
| kill -9 after it is removed, before the new metadata | no data; at most the earlier metadata file alone |
| kill -9 after the new metadata, before the new data | no data; the new metadata file alone |
| kill -9 after the new data | the new output, whole, with its metadata |
| the disk is full | exit 2, one line; the earlier output untouched; no temp files |

"Whole" means: the data file exists only beside a metadata file whose ``data_sha256``
and ``data_bytes`` match it, and whose seed is the seed of the run that wrote it.
"""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import fill

from cxlab.cli import main

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["simulate", "--steps", "2", "--set", "n_employees=30", "--set", "market_size=500"]
ARGS += ["--set", "initial_customers=100"]

HARNESS = r"""
import os, pathlib, signal, sys

import pandas as pd
import pyarrow.parquet as pq

moment, out, seed = sys.argv[1:4]
kill = lambda: os.kill(os.getpid(), signal.SIGKILL)


def halfway(write):
    # write the temp file in full, cut it in half, die: a kill in the middle of writing
    def wrapper(data, path, *args, **kwargs):
        write(data, path, *args, **kwargs)
        size = os.path.getsize(path)
        os.truncate(path, size // 2)
        kill()
    return wrapper


if moment == "mid-data":
    real_csv = pd.DataFrame.to_csv
    pd.DataFrame.to_csv = halfway(real_csv)
    pq.write_table = halfway(pq.write_table)

real_unlink, real_replace = pathlib.Path.unlink, os.replace


def unlink(self, *args, **kwargs):
    if str(self) == out and moment == "before-unlink":
        kill()
    real_unlink(self, *args, **kwargs)
    if str(self) == out and moment == "after-unlink":
        kill()


def replace(src, dst, *args, **kwargs):
    real_replace(src, dst, *args, **kwargs)
    if str(dst) == out + ".json" and moment == "after-metadata":
        kill()
    if str(dst) == out and moment == "after-data":
        kill()


pathlib.Path.unlink, os.replace = unlink, replace
from cxlab.cli import main

sys.exit(3 + main([*sys.argv[4:], "--seed", seed, "--out", out]))  # 3+: the moment never came
"""

MOMENTS = ["mid-data", "before-unlink", "after-unlink", "after-metadata", "after-data"]


def killed_at(moment: str, out: Path, seed: int) -> None:
    """Run ``simulate --out out`` in a process that SIGKILLs itself at ``moment``."""
    argv = [sys.executable, "-c", HARNESS, moment, str(out), str(seed), *ARGS]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]


def write(out: Path, seed: int, capsys) -> None:
    assert main([*ARGS, "--seed", str(seed), "--out", str(out)]) == 0
    capsys.readouterr()


def sidecar(out: Path) -> Path:
    return out.with_name(f"{out.name}.json")


def whole(out: Path) -> dict:
    """The metadata of ``out``, after checking that it describes the data beside it."""
    meta = json.loads(sidecar(out).read_text(encoding="utf-8"))
    data = out.read_bytes()
    assert meta["data_bytes"] == len(data)
    assert meta["data_sha256"] == hashlib.sha256(data).hexdigest()
    table = pd.read_parquet(out) if out.suffix == ".parquet" else pd.read_csv(out)
    assert table.step.tolist() == list(range(meta["steps"] + 1))
    return meta


def temps(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.glob(f".{out.name}*.tmp"))


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_the_metadata_describes_the_data_beside_it(tmp_path, capsys, suffix):
    out = tmp_path / f"run{suffix}"
    write(out, 5, capsys)
    meta = whole(out)
    assert meta["seed"] == 5 and meta["org_chart"] is None
    if suffix == ".parquet":
        embedded = json.loads(pq.read_schema(out).metadata[b"cxlab"])
        assert embedded == {k: v for k, v in meta.items() if not k.startswith("data_")}
    assert temps(out) == []


def test_a_run_on_an_org_chart_records_the_chart(tmp_path, capsys, example_csv):
    out = tmp_path / "run.csv"
    assert main([*ARGS, "--org-chart", str(example_csv), "--out", str(out)]) == 0
    chart = whole(out)["org_chart"]
    data = example_csv.read_bytes()
    assert chart["file"] == example_csv.name and chart["bytes"] == len(data)
    assert chart["sha256"] == hashlib.sha256(data).hexdigest()
    manager = dict(pd.read_csv(example_csv, dtype=str, keep_default_na=False)[["id", "manager_id"]].values)

    def level(who: str) -> int:
        return 1 if not manager[who] else 1 + level(manager[who])

    assert chart["employees"] == len(manager)
    assert chart["levels"] == max(level(who) for who in manager)


# What a kill leaves: (the seed of a whole output, or None; the seed of a metadata file
# alone, without data, or None), by moment and whether an earlier output (seed 1) was there.
LEFT = {
    ("mid-data", False): (None, None),
    ("mid-data", True): (1, None),
    ("before-unlink", False): (None, None),
    ("before-unlink", True): (1, None),
    ("after-unlink", False): (None, None),
    ("after-unlink", True): (None, 1),
    ("after-metadata", False): (None, 2),
    ("after-metadata", True): (None, 2),
    ("after-data", False): (2, None),
    ("after-data", True): (2, None),
}


# Every moment for CSV; Parquet differs only in how the data file is written.
KILLS = [(m, ".csv", e) for m in MOMENTS for e in (False, True)]
KILLS += [("mid-data", ".parquet", e) for e in (False, True)] + [("after-metadata", ".parquet", True)]


@pytest.mark.parametrize(
    ("moment", "suffix", "earlier"), KILLS, ids=[f"{m}{s}-{'overwrite' if e else 'new'}" for m, s, e in KILLS]
)
def test_a_kill_at_any_moment_leaves_no_data_without_its_metadata(tmp_path, capsys, moment, suffix, earlier):
    out = tmp_path / f"run{suffix}"
    if earlier:
        write(out, 1, capsys)
    killed_at(moment, out, seed=2)
    data_seed = whole(out)["seed"] if out.exists() else None
    lone = (
        json.loads(sidecar(out).read_text())["seed"] if sidecar(out).exists() and not out.exists() else None
    )
    assert (data_seed, lone) == LEFT[moment, earlier]
    if moment in ("mid-data", "before-unlink"):
        assert temps(out), "the killed process left its temp files"
    write(out, 3, capsys)  # the next write completes and removes what the killed one left
    assert whole(out)["seed"] == 3
    assert temps(out) == []


def test_a_full_disk_leaves_the_earlier_output_untouched(tmp_path, capsys, odd_disk):
    disk = tmp_path / "disk"
    odd_disk(disk, "small", size="256k")
    out = disk / "run.csv"
    write(out, 1, capsys)
    before = (out.read_bytes(), sidecar(out).read_bytes())
    fill(disk / "filler")
    code = main([*ARGS, "--seed", "2", "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "no space left on device" in err[0], err
    assert (out.read_bytes(), sidecar(out).read_bytes()) == before
    assert temps(out) == []
