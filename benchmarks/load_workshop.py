"""Load test of the workshop pages: 30 teams connected to one ``run.py dashboard`` server.

Starts the real server on a free loopback port with a fresh ``--data`` directory, creates
a workshop (default-size firms, rounds of 13 weeks) with N teams, opens every team's page
in headless Chromium (one browser, a context each, so N Solara sessions; laptop size)
and the facilitator's console, then plays R rounds through the pages. Each round:

* the console opens the decision window (click until every team page can submit);
* every team, one after another while all N stay connected, moves a lever (a click on
  its slider until the lever's label shows the new value: a round trip through the
  server) and submits (a click until the page shows its decisions locked: a SQLite
  transaction and a re-render);
* the console plays the round (a click until the console says it was played, then until
  every team page shows the next round).

Reported: the click times (median, 95th percentile, max; target: 95th percentile at most
0.3 s), the console's clicks, the server's CPU time from the play click until every team
page shows the round (the rest of that wait is the browsers' own rendering), and the
server's resident memory after each round, at once and settled (a trim interval later,
while the teams read their results; target: flat). The browsers share the machine's
cores with the server (on the day they run on the participants' devices);
``--browser-nice 10`` runs them at a lower CPU priority.

    python benchmarks/load_workshop.py [--teams 30] [--rounds 12] [--browser-nice 10] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.load_dashboard import cpu_seconds, free_ports, niced_browser, rss_mib  # noqa: E402
from tests.browser.chromium import CHROMIUM_FLAGS, offline_guard  # noqa: E402
from viz.memory import TRIM_SECONDS  # noqa: E402
from viz.serve import environment  # noqa: E402
from workshop import Hub, WorkshopConfig  # noqa: E402

TIMEOUT_MS = 120_000
LEVER = "empowerment"


def figures(values: list[float | None]) -> dict[str, float]:
    """Median, 95th percentile (nearest rank), max and count of ``values`` (seconds; None,
    a condition that never came, is left out)."""
    ordered = sorted(v for v in values if v is not None)
    if not ordered:
        return {}
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {
        "n": len(ordered),
        "median": round(statistics.median(ordered), 3),
        "p95": round(p95, 3),
        "max": round(ordered[-1], 3),
    }


def start(port: int, data: Path) -> subprocess.Popen:
    """``run.py dashboard --data DATA`` on 127.0.0.1:port, once its page answers."""
    cmd = [sys.executable, str(ROOT / "run.py"), "dashboard", "--port", str(port), "--data", str(data)]
    proc = subprocess.Popen(
        cmd, env=environment(), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/workshop", timeout=2):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the dashboard did not start")


def timed(action, page, done: str, arg=None, timeout_ms: int = TIMEOUT_MS) -> float | None:
    """Seconds from ``action()`` until the JavaScript condition ``done(arg)`` holds in
    ``page``; None if it does not within ``timeout_ms``."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    t0 = time.perf_counter()
    action()
    try:
        page.wait_for_function(done, arg=arg, timeout=timeout_ms, polling=20)
    except PlaywrightTimeout:
        return None
    return time.perf_counter() - t0


LABEL = f"() => (document.querySelector('.lever-{LEVER} .lever-label') || {{}}).innerText || ''"
LABEL_CHANGED = f"(before) => ({LABEL})() !== before"
LOCKED = "() => !!document.querySelector('.locked-note')"
CAN_SUBMIT = "() => !!document.querySelector('.submit-btn:not([disabled])')"


def round_shown(r: int, rounds: int) -> str:
    """The JavaScript condition: the page says ``r`` of ``rounds`` rounds have been played."""
    return f"() => [...document.querySelectorAll('.window-state')].some(e => e.innerText.includes('({r} of {rounds} rounds played)'))"


def run(teams: int, rounds: int, browser_nice: int) -> dict:
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="load-workshop-"))
    data = folder / "data"
    hub = Hub(data)
    created = hub.create(WorkshopConfig("baseline", rounds=rounds, round_weeks=13, seed=1))
    tokens = [hub.join(created.code, f"Team {i + 1:02d}").token for i in range(teams)]
    hub.close()
    port = free_ports(1)
    proc = start(port, data)
    base = f"http://127.0.0.1:{port}/workshop"
    outside: list[str] = []

    result: dict = {"teams": teams, "rounds": rounds, "browser_nice": browser_nice, "rss_mib": {}}
    unanswered = {"lever": 0, "submit": 0}
    clicks = {
        "lever": [],
        "submit": [],
        "open": [],
        "play": [],
        "all_teams_see_open": [],
        "all_teams_see_result": [],
    }
    # the server's CPU seconds from the play click until every page shows the round
    server_cpu: list[float] = []
    settled: dict[str, float] = {}  # resident memory a trim interval after each round
    per_round: list[dict] = []
    try:
        result["rss_mib"]["idle"] = round(rss_mib(proc.pid), 1)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=str(niced_browser(browser_nice, folder)), args=CHROMIUM_FLAGS
            )

            def page_at(url: str, width: int, height: int):
                ctx = browser.new_context(viewport={"width": width, "height": height})
                ctx.route("**/*", offline_guard(outside))
                page = ctx.new_page()
                page.set_default_timeout(TIMEOUT_MS)
                page.goto(url)
                return page

            console = page_at(f"{base}/console?code={created.code}", 1920, 1080)
            console.fill(".console-key input", created.key)
            console.click(".unlock-btn")
            console.locator(".round-card").wait_for()
            pages, ready = [], []
            for token in tokens:
                t0 = time.perf_counter()
                page = page_at(f"{base}/team?code={created.code}#t={token}", 1280, 800)
                page.locator(f".lever-{LEVER} .v-slider").wait_for()
                ready.append(time.perf_counter() - t0)
                pages.append(page)
                print(f"team page {len(pages)} ready in {ready[-1]:.1f} s", file=sys.stderr, flush=True)
            result["team_page_ready_s"] = figures(ready)
            result["rss_mib"]["open"] = round(rss_mib(proc.pid), 1)

            for r in range(1, rounds + 1):
                clicks["open"].append(
                    timed(
                        lambda: console.click(".open-btn"),
                        console,
                        "() => !!document.querySelector('.close-btn')",
                    )
                )
                t0 = time.perf_counter()
                for page in pages:
                    page.wait_for_function(CAN_SUBMIT, timeout=TIMEOUT_MS)
                clicks["all_teams_see_open"].append(time.perf_counter() - t0)
                share = 0.8 if r % 2 else 0.2
                for page in pages:
                    track = page.locator(f".lever-{LEVER} .v-slider")
                    track.scroll_into_view_if_needed()
                    box = track.bounding_box()
                    before = page.evaluate(LABEL)
                    x, y = box["x"] + share * box["width"], box["y"] + box["height"] / 2
                    moved = timed(
                        lambda p=page, x=x, y=y: p.mouse.click(x, y), page, LABEL_CHANGED, before, 10_000
                    )
                    if moved is None:  # the click missed (the page moved under it): counted, not timed
                        unanswered["lever"] += 1
                    else:
                        clicks["lever"].append(moved)
                    locked = timed(
                        lambda p=page: p.locator(".submit-btn").dispatch_event("click"), page, LOCKED
                    )
                    if locked is None:
                        unanswered["submit"] += 1
                    else:
                        clicks["submit"].append(locked)
                cpu0 = cpu_seconds(proc.pid)
                clicks["play"].append(
                    timed(
                        lambda: console.click(".advance-btn"),
                        console,
                        round_shown(r, rounds),
                    )
                )
                t0 = time.perf_counter()
                for page in pages:
                    page.wait_for_function(round_shown(r, rounds), timeout=TIMEOUT_MS)
                clicks["all_teams_see_result"].append(time.perf_counter() - t0)
                server_cpu.append(cpu_seconds(proc.pid) - cpu0)
                result["rss_mib"][f"round {r}"] = round(rss_mib(proc.pid), 1)
                time.sleep(TRIM_SECONDS + 1)  # the teams read their results; the server tidies up
                settled[f"round {r}"] = round(rss_mib(proc.pid), 1)
                per_round.append(
                    {
                        "round": r,
                        "play_s": clicks["play"][-1],
                        "all_teams_see_result_s": round(clicks["all_teams_see_result"][-1], 3),
                        "server_cpu_s": round(server_cpu[-1], 2),
                        "rss_mib": result["rss_mib"][f"round {r}"],
                        "rss_settled_mib": settled[f"round {r}"],
                    }
                )
                print(
                    f"round {r}: lever p95 {figures(clicks['lever'][-teams:]).get('p95')} s, submit p95 "
                    f"{figures(clicks['submit'][-teams:]).get('p95')} s, play {clicks['play'][-1]} s, "
                    f"rss {result['rss_mib'][f'round {r}']} MiB",
                    file=sys.stderr,
                    flush=True,
                )
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    result["clicks_s"] = {name: figures(values) for name, values in clicks.items()}
    result["server_cpu_per_round_s"] = figures(server_cpu)
    result["rss_settled_mib"] = settled
    result["per_round"] = per_round
    result["team_clicks_s"] = figures(clicks["lever"] + clicks["submit"])
    result["clicks_unanswered"] = unanswered
    result["requests_outside_loopback"] = len(outside)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--browser-nice", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    result = run(args.teams, args.rounds, args.browser_nice)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
