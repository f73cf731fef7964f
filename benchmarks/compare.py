"""Compare the model's speed with an earlier commit, interleaved in one process.

    python benchmarks/compare.py 55debf5          # this working tree against commit 55debf5
    python benchmarks/compare.py HEAD~3 --steps 150

This VM runs the same code up to 1.5 times slower for minutes at a time, so
two benchmarks run one after the other can disagree by more than the change
being measured. Here both versions of ``model`` are loaded side by side and
stepped alternately, so both see the same machine: their ratio is what to
trust, more than either figure alone.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_model(path: Path) -> type:
    """``CultureModel`` from the ``model`` package under ``path``, kept apart
    from any other copy already imported."""
    for name in [n for n in sys.modules if n == "model" or n.startswith("model.")]:
        del sys.modules[name]
    sys.path.insert(0, str(path))
    try:
        return importlib.import_module("model").CultureModel
    finally:
        sys.path.remove(str(path))


def interleaved(
    make: Callable, act: Callable, models: dict[str, type], steps: int, warm: int = 5
) -> dict[str, float]:
    """Median seconds of ``act(model)`` for each version, stepping them alternately."""
    built = {name: make(cls) for name, cls in models.items()}
    for model in built.values():
        for _ in range(warm):
            act(model)
    times: dict[str, list[float]] = {name: [] for name in built}
    order = list(built)
    for i in range(steps):
        for name in order if i % 2 == 0 else order[::-1]:
            t = time.perf_counter()
            act(built[name])
            times[name].append(time.perf_counter() - t)
    return {name: statistics.median(t) for name, t in times.items()}


CASES = {
    "organisation step, 10k employees": (
        lambda cls: cls(rng=1, n_employees=10_000, market_size=1000, initial_customers=100),
        lambda m: m._organisation_week(),
    ),
    "full step, (1k, 10k)": (
        lambda cls: cls(rng=1, n_employees=1000, market_size=10_000, initial_customers=2000),
        lambda m: m.step(),
    ),
    "full step, default size": (lambda cls: cls(rng=1), lambda m: m.step()),
}
# Timed after the default run: their hundreds of thousands of agents, left for the
# garbage collector, would otherwise slow whichever version runs when it comes by.
LARGE_CASES = {
    "full step, (10k, 100k)": (
        lambda cls: cls(rng=1, n_employees=10_000, market_size=100_000, initial_customers=20_000),
        lambda m: m.step(),
    ),
}


def default_run(cls: type) -> None:
    """A default-size 156-week run, build included."""
    model = cls(rng=1)
    for _ in range(156):
        model.step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ref", help="the earlier commit (any git revision)")
    parser.add_argument("--steps", type=int, default=300, help="steps of each version per case")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cx-compare-") as tmp:
        old = Path(tmp) / "old"
        try:
            subprocess.run(
                ["git", "worktree", "add", "--detach", str(old), args.ref],
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            )
        except subprocess.CalledProcessError as error:
            sys.exit(f"compare: cannot check out {args.ref!r}: {error.stderr.strip()}")
        try:
            models = {args.ref: load_model(old), "this tree": load_model(ROOT)}
            print(f"{'':36s} {args.ref:>12s} {'this tree':>12s}  ratio")
            for label, (make, act) in CASES.items():
                med = interleaved(make, act, models, args.steps)
                then, now = med[args.ref], med["this tree"]
                print(f"{label:36s} {1e3 * then:9.3f} ms {1e3 * now:9.3f} ms  {now / then:.2f}")
            runs = max(2, args.steps // 50)
            med = interleaved(lambda cls: cls, default_run, models, runs, warm=1)
            then, now = med[args.ref], med["this tree"]
            print(f"{'default 156-week run, with build':36s} {then:9.3f} s  {now:9.3f} s   {now / then:.2f}")
            for label, (make, act) in LARGE_CASES.items():
                med = interleaved(make, act, models, max(20, args.steps // 3))
                then, now = med[args.ref], med["this tree"]
                print(f"{label:36s} {1e3 * then:9.3f} ms {1e3 * now:9.3f} ms  {now / then:.2f}")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, capture_output=True)


if __name__ == "__main__":
    main()
