"""Workshop benchmark: 30 teams, 12 rounds of 13 weeks, default-size firms.

    python benchmarks/bench_workshop.py             # the workshop (about a minute)
    python benchmarks/bench_workshop.py --crn 20    # also: what common random numbers buy, over 20 seeds

Each round every team submits a decision drawn from a seeded generator (lever
moves, now and then an action), then the facilitator advances. Reported: the
time to advance a round for all teams (target: at most 2 s), a submission's
time (a click, at the domain layer: one SQLite transaction), the console's
report and status reads, the process's memory after each round (target: flat),
and what a restart costs (a fresh hub replays every team before it can advance).

How the target is met: the hub keeps every team's live firm in memory between
rounds, so advancing simulates one round per team, serially, outside the
database's write lock; firms are replayed only after a restart, an undo or
another process's advance. Firms are the research default size (300 staff, a
market of 20,000): at about 1 ms a week, 30 teams x 13 weeks take well under
the target, so neither a process pool nor a smaller workshop firm is needed.

``--crn N`` measures common random numbers: the same two decision paths (the
baseline, and the baseline with empowerment raised in round 2) played on N
seeds, and the standard deviation over seeds of the difference in cumulative
profit and NPS after six rounds, three ways: the workshop's aligned streams,
one stream per firm (no re-seeding), and independent seeds.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model import load_scenario  # noqa: E402
from model.params import SPECS  # noqa: E402
from workshop import (  # noqa: E402
    Hub,
    WorkshopConfig,
    firm,  # noqa: E402
)
from workshop import decisions as dec  # noqa: E402


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def decision(rng: np.random.Generator, levers_now: dict) -> tuple[dict, list]:
    """A plausible team decision: two or three levers moved, sometimes an action."""
    free = dec.free_levers()
    moved = {}
    for name in rng.choice(free, size=int(rng.integers(0, 4)), replace=False):
        spec = SPECS[name]
        moved[str(name)] = round(
            float(np.clip(levers_now[name] + rng.normal(0, 0.2), spec.lo, min(spec.hi, 1.5))), 2
        )
    actions = []
    roll = rng.random()
    if roll < 0.15:
        actions.append({"action": "culture_programme", "departments": ["service", "sales"]})
    elif roll < 0.2 and levers_now["self_service"] < 0.8:
        actions.append({"action": "service_investment", "level": round(levers_now["self_service"] + 0.1, 2)})
    elif roll < 0.23:
        actions.append({"action": "layoffs", "share": 0.05})
    return moved, actions


class Polling:
    """A thread reading teams' views in turn (as their pages would) until stopped; it keeps the latencies."""

    def __init__(self, seats) -> None:
        self.seats, self.times, self.done = seats, [], threading.Event()
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def _run(self) -> None:
        i = 0
        while not self.done.is_set():
            t = time.perf_counter()
            seat = self.seats[i % len(self.seats)]
            seat.status()
            seat.record()
            self.times.append(time.perf_counter() - t)
            i += 1

    def stop(self) -> list[float]:
        self.done.set()
        self.thread.join()
        return self.times


def workshop(teams: int, rounds: int, weeks: int, seed: int) -> None:
    data = tempfile.mkdtemp(prefix="cx-bench-workshop-")
    hub = Hub(data)
    created = hub.create(WorkshopConfig("baseline", rounds=rounds, round_weeks=weeks, seed=seed))
    console = hub.facilitator(created.code, created.key)
    seats = [hub.join(created.code, f"Team {i + 1}") for i in range(teams)]
    t = time.perf_counter()
    console.status()  # the console sees the teams and builds their firms in the background
    hub.settle()
    built = time.perf_counter() - t
    rng = np.random.default_rng(seed)
    advance, advance_cpu, submit, reads, cached, memory = [], [], [], [], [], []
    gc.collect()
    base = rss_mib()
    print(f"{teams} teams, {rounds} rounds of {weeks} weeks, default-size firms; data in {data}")
    print(
        f"{'round':>5s} {'advance s':>10s} {'(CPU s)':>8s} {'submit p95 ms':>14s} {'report ms':>10s} {'RSS MiB':>8s}"
    )
    replayed = math.nan
    for r in range(1, rounds + 1):
        if r == rounds:  # a restart before the last round: a fresh hub must replay every team
            hub.close()
            hub = Hub(data)
            t = time.perf_counter()
            console = hub.facilitator(created.code, created.key)  # starts replaying in the background
            seats = [hub.rejoin(created.code, s.token) for s in seats]
        console.open_window()
        times = []
        for seat in seats:
            levers_now = seat.record().rounds[-1].levers
            moved, actions = decision(rng, levers_now)
            t = time.perf_counter()
            seat.submit(moved, actions)
            times.append(time.perf_counter() - t)
        if r == rounds:
            hub.settle()
            replayed = time.perf_counter() - t  # console opened -> every firm replayed and checked
        polling = Polling(seats) if r == rounds // 2 else None  # teams' screens keep reading meanwhile
        t, cpu = time.perf_counter(), time.process_time()
        console.advance(expect_round=r)
        took, cpu = time.perf_counter() - t, time.process_time() - cpu
        if polling:
            during = polling.stop()
            polling = None  # it holds the seats, hence the hub and its firms
        t = time.perf_counter()
        console.report()  # the workshop changed: read from the store
        console.status()
        reads.append(time.perf_counter() - t)
        t = time.perf_counter()
        console.report()  # unchanged since: from memory
        cached.append(time.perf_counter() - t)
        submit += times
        gc.collect()
        memory.append(rss_mib())
        if r < rounds:
            advance.append(took)
            advance_cpu.append(cpu)
        p95 = 1000 * float(np.percentile(times, 95))
        note = "  (after a restart, firms replayed in the background first)" if r == rounds else ""
        print(f"{r:5d} {took:10.2f} {cpu:8.2f} {p95:14.1f} {1000 * reads[-1]:10.0f} {memory[-1]:8.0f}{note}")
    t = time.perf_counter()
    console.undo()
    console.open_window()
    console.advance()  # at once: waits for the replay the undo started
    redo = time.perf_counter() - t
    t = time.perf_counter()
    html = console.debrief()
    brief = time.perf_counter() - t
    print(f"\n{teams} firms built in the background once the teams joined: {built:.2f} s")
    print(
        f"advance, rounds 1-{rounds - 1} (firms in memory): median {statistics.median(advance):.2f} s, "
        f"max {max(advance):.2f} s (target <= 2 s); CPU time median {statistics.median(advance_cpu):.2f} s, "
        f"max {max(advance_cpu):.2f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(
        f"restart before round {rounds}: the console's background replay of {teams} teams x {rounds - 1} rounds "
        f"took {replayed:.2f} s; the advance then {took:.2f} s"
    )
    print(f"undo and advance at once (waits for the replay of {teams} teams): {redo:.2f} s")
    print(
        f"submit: median {1000 * statistics.median(submit):.1f} ms, p95 {1000 * float(np.percentile(submit, 95)):.1f} ms; "
        f"console report + status after a change: median {1000 * statistics.median(reads):.0f} ms, "
        f"report unchanged since: median {1000 * statistics.median(cached):.1f} ms"
    )
    print(
        f"memory: {base:.0f} MiB before the first round; after rounds 1 / {rounds // 2} / {rounds}: "
        f"{memory[0]:.0f} / {memory[rounds // 2 - 1]:.0f} / {memory[-1]:.0f} MiB"
    )
    print(
        f"a team's screen reading its status and record while round {rounds // 2} was advanced (same process): "
        f"{len(during)} reads, median {1000 * statistics.median(during):.0f} ms, "
        f"p95 {1000 * float(np.percentile(during, 95)):.0f} ms"
    )
    print(f"debrief with {teams} counterfactual replays: {brief:.1f} s, {len(html) / 1e6:.1f} MB")


def crn(seeds: int, rounds: int = 6, weeks: int = 13) -> None:
    """SD over seeds of the effect of one decision, with and without common random numbers."""
    change = dec.Decision({"empowerment": 0.9})

    def path(seed: int, changed: bool, aligned: bool) -> dict:
        start = firm.Start(load_scenario("baseline"), seed, {}, None, weeks)
        model = start.build()
        for r in range(1, rounds + 1):
            play = firm.Play(change if (changed and r == 2) else dec.Decision())
            if aligned:
                firm.play_round(model, start, play, None, None)
            else:
                dec.apply(model, play.decision, None, None)
                for _ in range(weeks):
                    model.step()
        return model.metrics

    rows = {"aligned streams (workshop)": [], "one stream per firm": [], "independent seeds": []}
    for s in range(seeds):
        base, alt = path(s, False, True), path(s, True, True)
        rows["aligned streams (workshop)"].append((alt, base))
        base, alt = path(s, False, False), path(s, True, False)
        rows["one stream per firm"].append((alt, base))
        rows["independent seeds"].append((path(10_000 + s, True, False), base))
    print(f"\nthe effect of empowerment 0.4 -> 0.9 in round 2, after {rounds} rounds, over {seeds} seeds")
    print(f"{'':28s} {'profit: mean':>14s} {'SD':>12s} {'NPS: mean':>10s} {'SD':>6s}")
    for label, pairs in rows.items():
        dp = [a["cumulative_profit"] - b["cumulative_profit"] for a, b in pairs]
        dn = [a["nps"] - b["nps"] for a, b in pairs]
        print(
            f"{label:28s} {statistics.mean(dp):14,.0f} {statistics.stdev(dp):12,.0f} "
            f"{statistics.mean(dn):10.1f} {statistics.stdev(dn):6.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--weeks", type=int, default=13)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--crn", type=int, default=0, metavar="SEEDS")
    args = parser.parse_args()
    workshop(args.teams, args.rounds, args.weeks, args.seed)
    if args.crn:
        crn(args.crn)


if __name__ == "__main__":
    main()
