"""Benchmarks: organisation and full-model step times, build times, peak memory.

    python benchmarks/bench.py            # everything (about two minutes)
    python benchmarks/bench.py --quick    # smaller repeat counts

Each size runs in a fresh subprocess so peak memory (ru_maxrss) is its own.
Step times are medians over repeated steps after a warm-up. This shared
2-core VM runs the same code up to 1.5 times slower for minutes at a time, so
each figure is given twice: the median over all repeats, and in brackets the
median of the fastest of five consecutive blocks of them (as ``timeit`` takes
the best of its repeats: other load only ever adds time).
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


BLOCKS = 5


def _median_ms(fn, repeats: int) -> tuple[float, float]:
    """Median time of ``fn`` in ms over ``repeats`` calls, and the median of the
    fastest of ``BLOCKS`` consecutive blocks of them."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    size = max(1, repeats // BLOCKS)
    blocks = [statistics.median(times[i : i + size]) for i in range(0, repeats - size + 1, size)]
    return 1000 * statistics.median(times), 1000 * min(blocks)


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
    step, best = _median_ms(model._organisation_week, repeats)
    return {
        "employees": n,
        "org_build_s": org_build,
        "model_build_s": build,
        "org_step_ms": step,
        "org_step_best_ms": best,
    }


def full(n: int, market: int, repeats: int) -> dict:
    """Full model step (organisation, market, queue, word of mouth, metrics)."""
    from model import CultureModel

    t = time.perf_counter()
    model = CultureModel(rng=1, n_employees=n, market_size=market, initial_customers=market // 5)
    build = time.perf_counter() - t
    for _ in range(5):
        model.step()
    step, best = _median_ms(model.step, repeats)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB -> GiB
    return {
        "employees": n,
        "market": market,
        "build_s": build,
        "step_ms": step,
        "step_best_ms": best,
        "peak_gib": peak,
    }


def default_run() -> dict:
    """One default-size 156-week run end to end, in-process (build included)."""
    from model import CultureModel

    def once():
        model = CultureModel(rng=1)
        for _ in range(156):
            model.step()

    once()  # warm imports and caches
    median, best = _median_ms(once, 10)
    return {"default_run_s": median / 1000, "default_run_best_s": best / 1000}


def dashboard() -> dict:
    """The dashboard's heavy work: the org chart of a large firm (aggregated), and
    weeks per second of the play loop at default size with the overview redrawn."""
    import threading

    import solara

    from viz import charts
    from viz.app import Views
    from viz.lab import Lab
    from viz.layout import ORG_DETAIL_LIMIT
    from viz.pacing import play

    size = {"n_employees": ORG_DETAIL_LIMIT + 500, "market_size": 2000, "initial_customers": 400}
    big = Lab("baseline", seed=1, size=size)
    org_chart = charts.CHARTS["org"]
    org_chart.figure(big.snapshot(), big.horizon)  # warm
    org, _ = _median_ms(lambda: org_chart.figure(big.snapshot(), big.horizon), 5)

    lab = Lab("baseline", seed=1)
    playing, speed, tick = solara.reactive(True), solara.reactive(20), solara.reactive(0)
    drawn = threading.Event()

    @solara.component
    def Overview():
        Views(lab, tick, True)

    _, rc = solara.render(Overview(), handle_error=False)
    worker = threading.Thread(target=play, args=(lab, playing, speed, tick, drawn, threading.Event()))
    t = time.perf_counter()
    worker.start()
    time.sleep(4)
    playing.set(False)
    worker.join(15)
    elapsed = time.perf_counter() - t
    rc.close()
    return {"org_render_ms": org, "play_weeks_per_s": lab.steps / elapsed, "play_redraws": tick.value}


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
    print(f"{os.cpu_count()} cores, {_load()}; median over all repeats (median of the fastest block)")
    print("organisation step (target: <= 1 ms at 10k, <= 20 ms at 100k employees)")
    for n in (1_000, 10_000, 100_000):
        repeats = r if n < 100_000 else r // 5
        res = _child("organisation", [n, repeats])
        print(
            f"  {n:>7,} employees: org build {res['org_build_s']:.2f} s, "
            f"organisation step {res['org_step_ms']:.3f} ms ({res['org_step_best_ms']:.3f}) (median of {repeats})"
        )
    print("full model step (targets: 2 / 15 / 150 ms; <= 1.5 GiB at the largest)")
    for n, market in ((1_000, 10_000), (10_000, 100_000), (100_000, 1_000_000)):
        res = _child("full", [n, market, r if market < 1_000_000 else 20])
        print(
            f"  {n:>7,} employees, {market:>9,} market: build {res['build_s']:.2f} s, "
            f"step {res['step_ms']:.2f} ms ({res['step_best_ms']:.2f}), peak memory {res['peak_gib']:.2f} GiB"
        )
    res = _child("default_run", [])
    print(
        "default-size 156-week run, in-process, build included: "
        f"{res['default_run_s']:.3f} s ({res['default_run_best_s']:.3f}) (target 0.5 s)"
    )
    res = _child("dashboard", [])
    print(
        f"dashboard: org chart figure of {res['org_render_ms']:.0f} ms at a large firm (target < 5000 ms); "
        f"play at speed 20 with redraws: {res['play_weeks_per_s']:.1f} weeks/s (target >= 10), "
        f"{res['play_redraws']} redraws in 4 s"
    )


if __name__ == "__main__":
    main()
