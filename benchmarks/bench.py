"""Benchmarks: organisation and full-model step times, build times, peak memory.

    python benchmarks/bench.py            # everything (about two minutes)
    python benchmarks/bench.py --quick    # smaller repeat counts

Each size runs in a fresh subprocess so peak memory (ru_maxrss) is its own.
Step times are medians over repeated steps after a warm-up; timings on a
shared 2-core machine vary by 30-50% between runs, so compare medians.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def _load() -> str:
    """The machine's load average, printed with the figures: other work inflates them."""
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def organisation(n: int, repeats: int) -> dict:
    """Org build and the organisation's weekly step (culture, skill, wellbeing, turnover)."""
    from model import CultureModel

    t = time.perf_counter()
    model = CultureModel(rng=1, n_employees=n, market_size=1000, initial_customers=100)
    build = time.perf_counter() - t
    from model.org import generate_org
    from model.params import make_params

    p = make_params({"n_employees": n})
    shares = {
        k.removeprefix("dept_share_"): getattr(p, k) for k in p.as_dict() if k.startswith("dept_share_")
    }
    import numpy as np

    t = time.perf_counter()
    generate_org(n, shares, p.span_of_control, p.peer_ties, p.cross_department_ties, np.random.default_rng(1))
    org_build = time.perf_counter() - t
    for _ in range(5):
        model._organisation_week()
    step = _median_ms(model._organisation_week, repeats)
    return {"employees": n, "org_build_s": org_build, "model_build_s": build, "org_step_ms": step}


def full(n: int, market: int, repeats: int) -> dict:
    """Full model step (organisation, market, queue, word of mouth, metrics)."""
    from model import CultureModel

    t = time.perf_counter()
    model = CultureModel(rng=1, n_employees=n, market_size=market, initial_customers=market // 5)
    build = time.perf_counter() - t
    for _ in range(5):
        model.step()
    step = _median_ms(model.step, repeats)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB -> GiB
    return {"employees": n, "market": market, "build_s": build, "step_ms": step, "peak_gib": peak}


def default_run() -> dict:
    """One default-size 156-week run end to end, in-process (build included)."""
    from model import CultureModel

    def once():
        model = CultureModel(rng=1)
        for _ in range(156):
            model.step()

    once()  # warm imports and caches
    return {"default_run_s": _median_ms(once, 5) / 1000}


def _child(kind: str, args: list[int]) -> dict:
    code = (
        f"import json, sys; sys.path.insert(0, {str(ROOT)!r}); import benchmarks.bench as b; "
        f"print(json.dumps(b.{kind}(*{args!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    r = 50 if args.quick else 300
    print(f"{os.cpu_count()} cores, {_load()} (medians; other load inflates them)")
    print("organisation step (target: <= 1 ms at 10k, <= 20 ms at 100k employees)")
    for n in (1_000, 10_000, 100_000):
        repeats = r if n < 100_000 else r // 5
        res = _child("organisation", [n, repeats])
        print(
            f"  {n:>7,} employees: org build {res['org_build_s']:.2f} s, "
            f"organisation step {res['org_step_ms']:.3f} ms (median of {repeats})"
        )
    print("full model step (targets: 2 / 15 / 150 ms; <= 1.5 GiB at the largest)")
    for n, market in ((1_000, 10_000), (10_000, 100_000), (100_000, 1_000_000)):
        res = _child("full", [n, market, r if market < 1_000_000 else 20])
        print(
            f"  {n:>7,} employees, {market:>9,} market: build {res['build_s']:.2f} s, "
            f"step {res['step_ms']:.2f} ms, peak memory {res['peak_gib']:.2f} GiB"
        )
    res = _child("default_run", [])
    print(
        f"default-size 156-week run, in-process, build included: {res['default_run_s']:.3f} s (target 0.5 s)"
    )


if __name__ == "__main__":
    main()
