"""The results directory: a manifest, one Parquet file per finished run, one JSON per failed run.

Layout::

    DIR/manifest.json         spec, design, run seeds, package versions, code fingerprint, history
    DIR/runs/<run_id>.parquet the run's tidy table, its provenance and identity in the schema metadata
    DIR/failed/<run_id>.json  the error of a run that raised (removed if a retry succeeds)
    DIR/strays/               files found under runs/ that belong to no run of this experiment
    DIR/report/               what ``cxlab report DIR`` writes

Every file appears whole or not at all (written to a temporary name, then
``os.replace``), so an experiment killed at any moment keeps every run that
finished and ``resume`` runs only the others. A run file counts only if its name,
run id, seed and experiment match the manifest; anything else under ``runs/`` is a
stray, reported and ignored. A directory left before its manifest appeared holds
only scaffolding and is cleaned on the next start.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from experiments.design import LIMITS, Design, Limits, Run, build_design, extends
from experiments.spec import ExperimentSpec, SpecError, core_dict
from model.simulate import versions

FORMAT = 2
_ARROW_TYPE = {int: pa.int64(), float: pa.float64(), str: pa.string()}
ROOT = Path(__file__).resolve().parent.parent
# what decides a run's numbers: the model, the experiment code that builds and runs it, the packages
CODE = (
    ROOT / "model",
    ROOT / "experiments" / "spec.py",
    ROOT / "experiments" / "design.py",
    ROOT / "experiments" / "evaluate.py",
)
RUN_KEY = b"cxlab_run"  # a run file's identity: run id, seed, experiment id, core fingerprint
SCAFFOLDING = (".lock", "runs", "failed")  # what a runner creates before its manifest


class StoreError(SpecError):
    """A results directory that cannot be used as asked (damaged, busy, full, another experiment)."""


class ResultsWarning(UserWarning):
    """Something in a results directory was ignored (a stray or duplicate file)."""


def code_fingerprint() -> str:
    """A hash of the model's sources and data, the experiment code that shapes a run, and the
    package versions: same hash, same numbers from the same seed."""
    digest = hashlib.sha256()
    for base in CODE:
        paths = sorted(base.rglob("*")) if base.is_dir() else [base]
        for path in paths:
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(ROOT).as_posix().encode())
                digest.update(path.read_bytes())
    digest.update(json.dumps(versions(), sort_keys=True).encode())
    return digest.hexdigest()


def git_state() -> dict[str, Any]:
    """The checkout's commit and whether tracked files differ from it (None where git is absent)."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=5)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp_path)``, then rename the temp file to ``path`` (atomic on POSIX).

    No fsync: a killed process loses nothing the kernel has; after an operating
    system crash, a run file that does not read back is run again on resume.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_json(path: Path, data: Any) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(json.dumps(data, indent=1, default=str), encoding="utf-8"))


def why(exc: OSError) -> str:
    """An OSError's reason in words (pyarrow's carry the errno only in their message)."""
    code = exc.errno
    if code is None:
        found = re.search(r"\[errno (\d+)\]", str(exc), re.I)
        code = int(found.group(1)) if found else None
    return os.strerror(code) if code else str(exc).splitlines()[0]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Plan:
    """What a run of ``run_experiment`` will do in a directory, decided before anything is written."""

    design: Design
    pending: list[Run]
    manifest: dict[str, Any] | None  # the existing one (resume), else None
    changes: list[str] = field(default_factory=list)  # an extension or new report settings, in words

    @property
    def total(self) -> int:
        return len(self.design.runs)


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
    def open(
        cls,
        root: str | Path,
        spec: ExperimentSpec,
        *,
        resume: bool,
        design: Design | None = None,
        limits: Limits | None = LIMITS,
        confirm: Callable[[Plan], None] | None = None,
    ) -> tuple[Store, Plan]:
        """Create a results directory, or reopen one to resume (and perhaps extend) the same spec.

        ``confirm(plan)`` is called before anything is written; it may raise to stop.

        Raises:
            StoreError: the directory holds another experiment, a changed spec or code,
                is busy with another runner, damaged or not writable.
        """
        root = Path(root)
        created = not root.exists()
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the results folder {root}: {exc.strerror}") from None
        if not root.is_dir():
            raise StoreError(f"{root} is a file, not a results folder; choose another --out")
        fd = _lock(root)
        try:
            plan = _plan(root, spec, resume=resume, design=design, limits=limits)
            if confirm is not None:
                confirm(plan)
            manifest = plan.manifest
            if manifest is None:
                _clean_scaffolding(root)
                manifest = _new_manifest(spec, plan.design)
                _write_json(root / "manifest.json", manifest)
            elif plan.changes:
                manifest = _updated_manifest(manifest, spec, plan)
                _write_json(root / "manifest.json", manifest)
            store = cls(root, manifest)
            store._lock_fd = fd
            store.runs_dir.mkdir(exist_ok=True)
            store.failed_dir.mkdir(exist_ok=True)
            for stale in [
                *root.glob(".*.tmp"),
                *store.runs_dir.glob(".*.tmp"),
                *store.failed_dir.glob(".*.tmp"),
            ]:
                stale.unlink(missing_ok=True)  # left by a runner killed mid-write
            store.set_aside_strays()
        except BaseException as exc:
            os.close(fd)
            if created and holds_nothing(root):
                shutil.rmtree(root, ignore_errors=True)
            if isinstance(exc, OSError):
                raise StoreError(f"cannot write to the results folder {root}: {why(exc)}") from None
            raise
        return store, plan

    def close(self) -> None:
        """Release the directory for other runners."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # ------------------------------------------------------------ state
    def scan(self) -> Scan:
        """Which run files count, and which are strays or damaged."""
        return scan(self.root, self.manifest)

    def set_aside_strays(self) -> None:
        """Move strays (and damaged files) out of ``runs/``: their runs are then simply missing."""
        found = self.scan()
        if not found.strays and not found.damaged:
            return
        aside = self.root / "strays"
        aside.mkdir(exist_ok=True)
        for path, reason in [*found.strays, *found.damaged]:
            target = aside / path.name
            n = 1
            while target.exists():
                target, n = aside / f"{path.stem}.{n}{path.suffix}", n + 1
            os.replace(path, target)
            warnings.warn(f"{path} {reason}; moved to {target}", ResultsWarning, stacklevel=2)

    def pending(self) -> list[Run]:
        """Runs of the design without a valid result (including earlier failures)."""
        done = set(self.scan().valid)
        return [r for r in self.design.runs if r.run_id not in done]

    # ------------------------------------------------------------ writing
    def label(self, run: Run) -> dict[str, Any]:
        """The identifying columns of a run's table: ids, then its factor values."""
        ids = {"run_id": run.run_id, "condition": run.condition, "replicate": run.replicate, "seed": run.seed}
        return {**ids, **self.design.conditions[run.condition]}

    def identity(self, run: Run) -> dict[str, Any]:
        """What a run file must carry to count for this experiment."""
        return _identity(self.manifest, run)

    def write_run(
        self,
        run: Run,
        table: pd.DataFrame | None,
        provenance: dict[str, Any] | None = None,
        *,
        encoded: bytes | None = None,
    ) -> Path:
        """Write a finished run atomically: its table (encoded here), or the Parquet bytes a
        worker already encoded with ``encode_run`` for this run's label and identity."""
        data = (
            encoded
            if encoded is not None
            else encode_run(self.label(run), table, self.identity(run), provenance)
        )
        path = self.runs_dir / f"{run.run_id}.parquet"
        atomic_write(path, lambda tmp: tmp.write_bytes(data))
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
            "time": _now(),
            **error,
        }
        path = self.failed_dir / f"{run.run_id}.json"
        _write_json(path, record)
        return path


def encode_run(
    label: dict[str, Any], table: pd.DataFrame, identity: dict[str, Any], provenance: dict[str, Any] | None
) -> bytes:
    """A run's Parquet file: the label as constant columns, then the table; the identity and
    provenance in the schema metadata. Workers call it, so encoding runs in parallel."""
    n = len(table)
    columns = {k: pa.array([v] * n, type=_ARROW_TYPE.get(type(v))) for k, v in label.items()}
    columns.update({c: pa.array(table[c].to_numpy()) for c in table.columns})
    meta = {RUN_KEY: json.dumps(identity).encode()}
    if provenance is not None:
        meta[b"cxlab"] = json.dumps(provenance, default=str).encode()
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table(columns, metadata=meta), sink)
    return sink.getvalue().to_pybytes()


# ---------------------------------------------------------------- planning
def _lock(root: Path) -> int:
    try:
        fd = os.open(root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(f"cannot write to the results folder {root}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StoreError(f"another runner is writing to {root}; wait for it or stop it") from None
    return fd


def _is_scaffolding(path: Path) -> bool:
    """What a runner killed before its manifest appeared can have left."""
    if path.name.startswith(".manifest.json.") and path.name.endswith(".tmp"):
        return True
    if path.name == ".lock":
        return True
    if path.name in ("runs", "failed") and path.is_dir():
        return all(p.name.endswith(".tmp") for p in path.iterdir())
    return False


def holds_nothing(root: Path) -> bool:
    """Whether ``root`` holds nothing but runner scaffolding."""
    return root.is_dir() and all(_is_scaffolding(p) for p in root.iterdir())


def _clean_scaffolding(root: Path) -> None:
    for path in root.iterdir():
        if path.name == ".lock":
            continue
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def _plan(
    root: Path, spec: ExperimentSpec, *, resume: bool, design: Design | None, limits: Limits | None
) -> Plan:
    if not (root / "manifest.json").exists():
        if not holds_nothing(root):
            raise StoreError(f"{root} is not empty and holds no experiment; choose another --out")
        design = design or build_design(spec, limits=limits)
        return Plan(design, list(design.runs), None)
    manifest = read_manifest(root)
    done = scan(root, manifest)
    if not resume:
        raise StoreError(
            f"{root} already holds experiment '{manifest['name']}' ({len(done.valid)} of "
            f"{len(manifest['design']['runs'])} runs done); use --resume to continue it or choose another --out"
        )
    if manifest.get("format") != FORMAT:
        raise StoreError(
            f"cannot resume: {root} was written in format {manifest.get('format')} by an older version; "
            "start a new --out directory"
        )
    if manifest["code_fingerprint"] != code_fingerprint():
        raise StoreError(
            "cannot resume: the model, the experiment code or the package versions changed since this "
            "experiment started, so new runs would not be comparable; start a new --out directory"
        )
    old = Design.from_dict(manifest["design"])
    changes = []
    if manifest["spec_fingerprint"] != spec.fingerprint():
        if manifest["core_fingerprint"] != spec.core_fingerprint():
            diff = _diff(core_dict(manifest["spec"]), core_dict(spec.as_dict()))
            if [d.split(":")[0] for d in diff] == ["sampling.samples"]:
                raise StoreError(
                    "cannot extend a Latin hypercube: its points depend on its size; use method = "
                    '"montecarlo" for a design that grows, or start a new --out directory'
                )
            raise StoreError(
                "cannot resume: the spec changed since this experiment started "
                f"({'; '.join(diff[:4])}{'; ...' if len(diff) > 4 else ''}); "
                "restore it or start a new --out directory"
            )
        design = build_design(spec, previous=old, limits=limits)
        why = extends(design, old)
        if why is not None:
            raise StoreError(f"cannot extend this experiment: {why}; start a new --out directory")
        changes.append(
            f"extended from {len(old.runs)} to {len(design.runs)} runs "
            f"({'; '.join(_diff(manifest['spec'], spec.as_dict())[:4])})"
        )
    else:
        design = old
    if manifest.get("report") != json.loads(json.dumps(spec.report_dict(), default=str)):
        changes.append("report settings updated")
    pending = [r for r in design.runs if r.run_id not in done.valid]
    return Plan(design, pending, manifest, changes)


def _new_manifest(spec: ExperimentSpec, design: Design) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "name": spec.name,
        "experiment_id": uuid.uuid4().hex,
        "created": _now(),
        "spec_fingerprint": spec.fingerprint(),
        "core_fingerprint": spec.core_fingerprint(),
        "code_fingerprint": code_fingerprint(),
        "git": git_state(),
        "versions": dict(versions()),
        "spec_toml": spec.source,
        "spec": spec.as_dict(),
        "description": spec.description,
        "report": spec.report_dict(),
        "design": design.as_dict(),
        "history": [{"time": _now(), "action": "created", "runs": len(design.runs)}],
    }


def _updated_manifest(manifest: dict[str, Any], spec: ExperimentSpec, plan: Plan) -> dict[str, Any]:
    return {
        **manifest,
        "spec_fingerprint": spec.fingerprint(),
        "spec_toml": spec.source,
        "spec": spec.as_dict(),
        "description": spec.description,
        "report": spec.report_dict(),
        "design": plan.design.as_dict(),
        "history": [
            *manifest.get("history", []),
            *({"time": _now(), "action": c, "runs": plan.total, "git": git_state()} for c in plan.changes),
        ],
    }


def update_report(root: str | Path, spec: ExperimentSpec) -> bool:
    """Adopt ``spec``'s ``[outcomes]`` and ``[report]`` settings for the results in ``root``
    without running anything; True if they changed.

    Raises:
        StoreError: ``spec`` differs from the experiment in more than its analysis settings.
    """
    root = Path(root)
    fd = _lock(root)
    try:
        manifest = read_manifest(root)
        if manifest.get("spec_fingerprint") != spec.fingerprint():
            raise StoreError(
                f"{Path(root)} holds a different experiment than this spec (only [outcomes] and [report] "
                "may differ); run it with --resume to extend it"
            )
        report = json.loads(json.dumps(spec.report_dict(), default=str))
        if manifest.get("report") == report:
            return False
        entry = {"time": _now(), "action": "report settings updated"}
        _write_json(
            root / "manifest.json",
            {**manifest, "report": report, "history": [*manifest.get("history", []), entry]},
        )
        return True
    finally:
        os.close(fd)


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


def _identity(manifest: dict[str, Any], run: Run) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "seed": run.seed,
        "condition": run.condition,
        "replicate": run.replicate,
        "experiment_id": manifest.get("experiment_id"),
        "core_fingerprint": manifest.get("core_fingerprint"),
    }


# ---------------------------------------------------------------- reading
@dataclass
class Scan:
    """The files under ``runs/``: those that count, strays (with why) and damaged ones."""

    valid: dict[str, Path]
    strays: list[tuple[Path, str]]
    damaged: list[tuple[Path, str]]


def scan(root: str | Path, manifest: dict[str, Any]) -> Scan:
    """Check every file under ``DIR/runs`` against the manifest."""
    runs = {r[0]: r for r in manifest["design"]["runs"]}
    valid, strays, damaged = {}, [], []
    folder = Path(root) / "runs"
    paths = sorted(folder.iterdir()) if folder.is_dir() else []
    for path in paths:
        if path.name.endswith(".tmp") or path.is_dir():
            continue
        if path.suffix != ".parquet" or path.stem not in runs:
            strays.append((path, "is not a run of this experiment"))
            continue
        try:
            meta = pq.read_schema(path).metadata or {}
        except (OSError, pa.ArrowException) as exc:
            damaged.append((path, f"is damaged ({str(exc).splitlines()[0][:80]})"))
            continue
        if manifest.get("format") == 1:  # older results: no identity stored with the run
            valid[path.stem] = path
            continue
        try:
            identity = json.loads(meta.get(RUN_KEY, b"null"))
        except ValueError:
            identity = None
        run_id, condition, replicate, seed = runs[path.stem]
        expected = _identity(manifest, Run(run_id, condition, replicate, seed))
        if identity != expected:
            strays.append(
                (path, "does not belong to this experiment (its run id, seed or experiment differ)")
            )
            continue
        valid[path.stem] = path
    return Scan(valid, strays, damaged)


def read_manifest(root: str | Path) -> dict[str, Any]:
    """The manifest of a results directory.

    Raises:
        StoreError: no experiment in ``root``, or a manifest that cannot be read.
    """
    path = Path(root) / "manifest.json"
    if not path.is_file():
        if holds_nothing(Path(root)) and any(Path(root).iterdir()):
            raise StoreError(
                f"{root} holds no experiment results: a run was stopped before it began; start it again"
            )
        raise StoreError(f"{root} holds no experiment results (no manifest.json)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        raise StoreError(
            f"{path} is damaged ({type(exc).__name__}); it cannot be read as an experiment manifest"
        ) from None
    needed = ("name", "spec", "design")
    if not isinstance(manifest, dict) or not all(k in manifest for k in needed):
        raise StoreError(f"{path} is not an experiment manifest (it lacks {', '.join(needed)})")
    try:
        Design.from_dict(manifest["design"])
    except (KeyError, TypeError, ValueError):
        raise StoreError(f"{path} is damaged: its design cannot be read") from None
    return manifest


def load_results(root: str | Path, *, metrics: list[str] | None = None, inputs: bool = False) -> pd.DataFrame:
    """All finished runs as one tidy table.

    Columns: run_id, condition, replicate, seed, the varied factors, with ``inputs``
    the constants and the scenario's parameters, step, then the recorded metrics (or
    ``metrics``). Rows are sorted by run and step. Stray files are ignored with a
    ``ResultsWarning``.

    Raises:
        StoreError: no results, an unknown metric, or a damaged run file.
    """
    manifest = read_manifest(root)
    found = scan(root, manifest)
    for path, reason in found.strays:
        warnings.warn(f"{path} {reason}; ignored", ResultsWarning, stacklevel=2)
    if found.damaged:
        path, reason = found.damaged[0]
        more = f" (and {len(found.damaged) - 1} more)" if len(found.damaged) > 1 else ""
        raise StoreError(f"{path} {reason}{more}; run the experiment with --resume to redo it")
    recorded = manifest["spec"]["metrics"]
    if metrics is not None:
        unknown = [m for m in metrics if m not in recorded]
        if unknown:
            raise StoreError(
                f"metrics {unknown} were not recorded in {root} (recorded: {', '.join(recorded)})"
            )
    ids = ["run_id", "condition", "replicate", "seed", *manifest["design"]["factors"], "step"]
    files = [found.valid[r[0]] for r in manifest["design"]["runs"] if r[0] in found.valid]
    if not files:
        frame = pd.DataFrame(columns=[*ids, *(metrics or recorded)])
    else:
        columns = None if metrics is None else [*ids, *metrics]
        table = ds.dataset([str(f) for f in files], format="parquet").to_table(columns=columns)
        frame = table.replace_schema_metadata(None).to_pandas()
        frame = frame.sort_values(["condition", "replicate", "step"], kind="stable").reset_index(drop=True)
    if inputs:
        fixed = input_values(manifest)
        at = frame.columns.get_loc("step")
        for i, (name, value) in enumerate(fixed.items()):
            if name not in frame:
                frame.insert(at + i, name, value)
    return frame


def input_values(manifest: dict[str, Any]) -> dict[str, Any]:
    """The inputs every run shares: the scenario's parameters, then the spec's constants."""
    spec = manifest["spec"]
    return {**spec["scenario"]["parameters"], **spec["constants"]}


def load_failures(root: str | Path) -> pd.DataFrame:
    """One row per failed run: ids, factors, error type and message.

    Raises:
        StoreError: a failure record that cannot be read.
    """
    rows = []
    for path in sorted((Path(root) / "failed").glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            factors = record.pop("factors", {})
            record.pop("traceback", None)
        except (ValueError, OSError, AttributeError, TypeError):
            raise StoreError(
                f"{path} is damaged; delete it (the run is retried by --resume, as every run without a result)"
            ) from None
        rows.append({**record, **factors})
    return pd.DataFrame(rows)


def run_provenance(root: str | Path, run_id: str) -> dict[str, Any]:
    """The provenance stored with one run (all parameter values, events, versions).

    Raises:
        StoreError: no valid result for ``run_id``.
    """
    manifest = read_manifest(root)
    path = scan(root, manifest).valid.get(run_id)
    if path is None:
        raise StoreError(f"{root} has no finished run '{run_id}'")
    meta = pq.read_schema(path).metadata or {}
    return json.loads(meta.get(b"cxlab", b"{}"))
