"""The results directory: a manifest, one Parquet file per finished run, one JSON per failed run.

Layout::

    DIR/manifest.json         spec, design, run seeds, package versions, model fingerprint
    DIR/runs/<run_id>.parquet the run's tidy table (written to a temp file, then renamed)
    DIR/failed/<run_id>.json  the error of a run that raised (removed if a retry succeeds)
    DIR/report/               what ``cxlab report DIR`` writes

Every file appears whole or not at all (``os.replace``), so an experiment killed
at any moment keeps every run that finished; ``resume`` runs only the others.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from experiments.design import Design, Run
from experiments.spec import ExperimentSpec, SpecError
from model.simulate import versions

FORMAT = 1
_ARROW_TYPE = {int: pa.int64(), float: pa.float64(), str: pa.string()}
MODEL_DIR = Path(__file__).resolve().parent.parent / "model"


def model_fingerprint() -> str:
    """A hash of the model's source files and bundled scenarios: same hash, same model."""
    digest = hashlib.sha256()
    for path in sorted(MODEL_DIR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(MODEL_DIR).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=MODEL_DIR, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def _atomic_write(path: Path, write: Any) -> None:
    """Call ``write(tmp_path)``, then rename the temp file to ``path`` (atomic on POSIX).

    No fsync: a killed process loses nothing the kernel has; after an operating
    system crash, ``Store.done`` drops any run file that does not read back.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class Store:
    """An experiment's results directory, opened for writing by one runner at a time."""

    def __init__(self, root: Path, manifest: dict[str, Any]) -> None:
        self.root = root
        self.manifest = manifest
        self.design = Design.from_dict(manifest["design"])
        self.runs_dir = root / "runs"
        self.failed_dir = root / "failed"
        self._lock_fd: int | None = None

    # ------------------------------------------------------------ opening
    @classmethod
    def open(cls, root: str | Path, spec: ExperimentSpec, design: Design, *, resume: bool) -> Store:
        """Create a results directory, or reopen one to resume the same spec.

        Raises:
            SpecError: the directory holds another experiment, or a changed spec or model.
        """
        root = Path(root)
        path = root / "manifest.json"
        if path.is_file():
            manifest = read_manifest(root)
            if not resume:
                done = len(list((root / "runs").glob("*.parquet")))
                raise SpecError(
                    f"{root} already holds experiment '{manifest['name']}' ({done} of "
                    f"{len(manifest['design']['runs'])} runs done); use --resume to continue it "
                    "or choose another --out"
                )
            _check_same(manifest, spec)
        else:
            if root.exists() and any(root.iterdir()):
                raise SpecError(f"{root} is not empty and holds no experiment; choose another --out")
            manifest = {
                "format": FORMAT,
                "name": spec.name,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "spec_fingerprint": spec.fingerprint(),
                "model_fingerprint": model_fingerprint(),
                "git_commit": _git_commit(),
                "versions": versions(),
                "spec_toml": spec.source,
                "spec": spec.as_dict(),
                "description": spec.description,
                "outcomes": list(spec.outcomes),
                "design": design.as_dict(),
            }
            root.mkdir(parents=True, exist_ok=True)
        store = cls(root, manifest)
        store._lock()
        store.runs_dir.mkdir(exist_ok=True)
        store.failed_dir.mkdir(exist_ok=True)
        if not path.is_file():
            _atomic_write(path, lambda tmp: tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8"))
        for stale in [*store.runs_dir.glob(".*.tmp"), *store.failed_dir.glob(".*.tmp")]:
            stale.unlink(missing_ok=True)  # left by a runner killed mid-write
        return store

    def _lock(self) -> None:
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SpecError(f"another runner is writing to {self.root}; wait for it or stop it") from None
        self._lock_fd = fd

    def close(self) -> None:
        """Release the directory for other runners."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # ------------------------------------------------------------ state
    def done(self) -> set[str]:
        """Run ids with a finished result; a run file that does not read back is removed."""
        done = set()
        for path in self.runs_dir.glob("*.parquet"):
            try:
                pq.read_metadata(path)
            except (OSError, pa.ArrowInvalid):
                path.unlink()
                continue
            done.add(path.stem)
        return done

    def pending(self) -> list[Run]:
        """Runs of the design without a finished result (including earlier failures)."""
        done = self.done()
        return [r for r in self.design.runs if r.run_id not in done]

    # ------------------------------------------------------------ writing
    def write_run(self, run: Run, table: pd.DataFrame, provenance: dict[str, Any] | None) -> Path:
        """Write a finished run's table with its identifying columns, atomically."""
        ids = {"run_id": run.run_id, "condition": run.condition, "replicate": run.replicate, "seed": run.seed}
        ids.update(self.design.conditions[run.condition])
        n = len(table)
        columns = {k: pa.array([v] * n, type=_ARROW_TYPE.get(type(v))) for k, v in ids.items()}
        columns.update({c: pa.array(table[c].to_numpy()) for c in table.columns})
        meta = {b"cxlab": json.dumps(provenance, default=str).encode()} if provenance is not None else None
        arrow = pa.table(columns, metadata=meta)
        path = self.runs_dir / f"{run.run_id}.parquet"
        _atomic_write(path, lambda tmp: pq.write_table(arrow, tmp))
        (self.failed_dir / f"{run.run_id}.json").unlink(missing_ok=True)
        return path

    def write_failure(self, run: Run, error: dict[str, str]) -> Path:
        """Record a run that raised or whose worker died."""
        record = {
            "run_id": run.run_id,
            "condition": run.condition,
            "replicate": run.replicate,
            "seed": run.seed,
            "factors": self.design.conditions[run.condition],
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            **error,
        }
        path = self.failed_dir / f"{run.run_id}.json"
        _atomic_write(path, lambda tmp: tmp.write_text(json.dumps(record, indent=1), encoding="utf-8"))
        return path


def _check_same(manifest: dict[str, Any], spec: ExperimentSpec) -> None:
    if manifest.get("format") != FORMAT:
        raise SpecError(f"cannot resume: results were written in format {manifest.get('format')}")
    if manifest["spec_fingerprint"] != spec.fingerprint():
        changes = _diff(manifest["spec"], spec.as_dict())
        raise SpecError(
            "cannot resume: the spec changed since this experiment started "
            f"({'; '.join(changes[:4])}{'; ...' if len(changes) > 4 else ''}); "
            "restore it or start a new --out directory"
        )
    if manifest["model_fingerprint"] != model_fingerprint():
        raise SpecError(
            "cannot resume: the model code changed since this experiment started, so new runs "
            "would not be comparable; start a new --out directory"
        )


def _flat(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        out = {}
        for k, v in data.items():
            out.update(_flat(v, f"{prefix}{k}."))
        return out
    return {prefix.rstrip("."): data}


def _diff(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    a, b = _flat(old), _flat(json.loads(json.dumps(new, default=str)))
    return [f"{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


# ---------------------------------------------------------------- reading
def read_manifest(root: str | Path) -> dict[str, Any]:
    """The manifest of a results directory.

    Raises:
        SpecError: no experiment in ``root``.
    """
    path = Path(root) / "manifest.json"
    if not path.is_file():
        raise SpecError(f"{root} holds no experiment results (no manifest.json)")
    return json.loads(path.read_text(encoding="utf-8"))


def load_results(root: str | Path, *, metrics: list[str] | None = None) -> pd.DataFrame:
    """All finished runs as one tidy table.

    Columns: run_id, condition, replicate, seed, the varied factors, step, then
    the recorded metrics (or ``metrics``). Rows are sorted by run and step.
    """
    manifest = read_manifest(root)
    files = sorted((Path(root) / "runs").glob("*.parquet"))
    ids = ["run_id", "condition", "replicate", "seed", *manifest["design"]["factors"], "step"]
    if not files:
        return pd.DataFrame(columns=[*ids, *(metrics or manifest["spec"]["metrics"])])
    columns = None if metrics is None else [*ids, *metrics]
    table = ds.dataset([str(f) for f in files], format="parquet").to_table(columns=columns)
    frame = table.replace_schema_metadata(None).to_pandas()
    return frame.sort_values(["condition", "replicate", "step"], kind="stable").reset_index(drop=True)


def load_failures(root: str | Path) -> pd.DataFrame:
    """One row per failed run: ids, factors, error type and message."""
    rows = []
    for path in sorted((Path(root) / "failed").glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        factors = record.pop("factors", {})
        record.pop("traceback", None)
        rows.append({**record, **factors})
    return pd.DataFrame(rows)


def run_provenance(root: str | Path, run_id: str) -> dict[str, Any]:
    """The provenance stored with one run (all parameter values, events, versions)."""
    meta = pq.read_schema(Path(root) / "runs" / f"{run_id}.parquet").metadata or {}
    return json.loads(meta.get(b"cxlab", b"{}"))
