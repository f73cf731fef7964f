"""Load test: many workshop participants on one dashboard server.

Starts the dashboard on 127.0.0.1 (a free port), opens N browser sessions
(one headless Chromium, N contexts, so N separate Solara sessions and models),
presses Play in all of them and measures

* page response: time to the HTML and time until the dashboard is drawn, for
  participants joining one after another;
* step rate: weeks per second each session shows while all are playing;
* click response: time from pressing Step until the page shows the new week
  (all sessions paused, one click at a time);
* server memory: resident set size of the server process, idle and with all
  sessions open and playing; and the server's CPU use while all play (in
  cores), which tells whether the server or the browser is the bottleneck
  when all sessions share one machine.

Only loopback traffic: every request to another host is aborted and counted.

    python benchmarks/load_dashboard.py [--sessions 30] [--seconds 10] [--json out.json]
    python benchmarks/load_dashboard.py --in-process [--sessions 30]   # server side only
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from viz.serve import CHROMIUM, CHROMIUM_FLAGS, command, environment  # noqa: E402

LOOPBACK = re.compile(r"^(https?|wss?)://(127\.0\.0\.1|localhost)[:/]")


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children, MiB (Linux /proc)."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far, seconds (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(port: int) -> tuple[subprocess.Popen, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        command("127.0.0.1", port), env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    while time.perf_counter() - t0 < 120:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                return proc, time.perf_counter() - t0
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("the dashboard server did not start")


def week(page) -> int:
    """The week a page shows (-1 if it shows none, e.g. while reconnecting)."""
    text = page.evaluate("() => (document.querySelector('.week-counter') || {}).innerText || ''")
    found = re.search(r"Week (\d+)", text)
    return int(found.group(1)) if found else -1


def summary(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {
        "median": round(statistics.median(values), 3),
        "min": round(values[0], 3),
        "max": round(values[-1], 3),
        "p90": round(values[min(len(values) - 1, int(0.9 * len(values)))], 3),
    }


def run(sessions: int, seconds: float) -> dict:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    proc, startup = start(port)
    outside: list[str] = []

    def guard(route):
        if LOOPBACK.match(route.request.url) or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    result: dict = {"sessions": sessions, "server_start_s": round(startup, 2)}
    try:
        result["rss_idle_mib"] = round(rss_mib(proc.pid), 1)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
            # Participants join one after another (a browser tab each), each page
            # drawn before the next opens: all at the same instant only makes
            # every page wait for all the others.
            pages, html_times, ready = [], [], []
            for _ in range(sessions):
                ctx = browser.new_context(viewport={"width": 1280, "height": 720})
                ctx.route("**/*", guard)
                page = ctx.new_page()
                page.set_default_timeout(120_000)
                t0 = time.perf_counter()
                page.goto(url, wait_until="commit")
                html_times.append(time.perf_counter() - t0)
                page.wait_for_selector(".chart-culture img")
                ready.append(time.perf_counter() - t0)
                pages.append(page)
                print(f"session {len(pages)} ready in {ready[-1]:.1f} s", file=sys.stderr, flush=True)
            result["html_response_s"] = summary(html_times)
            result["page_ready_s"] = summary(ready)
            result["rss_open_mib"] = round(rss_mib(proc.pid), 1)

            # dispatch_event: a plain click without Playwright's actionability waits,
            # which crawl when 30 pages share two cores with the server
            for page in pages:
                page.locator(".play-btn").dispatch_event("click")
            print("all playing", file=sys.stderr, flush=True)
            time.sleep(2.0)  # let every session get going
            start_weeks = [week(p) for p in pages]
            print(f"weeks at start: {start_weeks}", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            cpu0 = cpu_seconds(proc.pid)
            peak = 0.0
            while time.perf_counter() - t0 < seconds:
                peak = max(peak, rss_mib(proc.pid))
                time.sleep(0.5)
            elapsed = time.perf_counter() - t0
            result["server_cpu_cores_while_playing"] = round((cpu_seconds(proc.pid) - cpu0) / elapsed, 2)
            end_weeks = [week(p) for p in pages]
            print(f"weeks at end: {end_weeks}", file=sys.stderr, flush=True)
            rates = [
                (b - a) / elapsed for a, b in zip(start_weeks, end_weeks, strict=True) if a >= 0 and b >= 0
            ]
            result["sessions_showing_no_week"] = sum(1 for w in end_weeks if w < 0)
            result["weeks_per_s_per_session"] = summary(rates)
            result["weeks_per_s_total"] = round(sum(rates), 1)
            result["sessions_at_horizon"] = sum(
                1 for p in pages if "of" in p.locator(".week-counter").inner_text() and week(p) >= 156
            )
            result["rss_playing_peak_mib"] = round(peak, 1)
            for page in pages:
                if "pause" in page.locator(".play-btn").inner_text().lower():
                    page.locator(".play-btn").dispatch_event("click")
            stuck = 0
            for page in pages:
                try:
                    page.wait_for_selector(".step-btn:not([disabled])", timeout=60_000)
                except PlaywrightError:
                    stuck += 1
            result["sessions_not_paused_within_60s"] = stuck
            print(json.dumps(result), file=sys.stderr, flush=True)  # partial figures, in case of trouble
            print("all paused; timing Step clicks", file=sys.stderr, flush=True)

            clicks, unanswered = [], 0
            for page in pages:
                before = week(page)
                t1 = time.perf_counter()
                try:
                    page.locator(".step-btn").dispatch_event("click", timeout=30_000)
                    page.wait_for_function(
                        f"() => !document.querySelector('.week-counter').innerText.startsWith('Week {before} ')",
                        timeout=30_000,
                    )
                    clicks.append(time.perf_counter() - t1)
                except PlaywrightError:
                    unanswered += 1
            if clicks:
                result["step_click_response_s"] = summary(clicks)
            result["step_clicks_unanswered_within_30s"] = unanswered
            result["rss_end_mib"] = round(rss_mib(proc.pid), 1)
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
    result["requests_outside_loopback"] = len(outside)
    return result


def run_in_process(sessions: int, seconds: float) -> dict:
    """Server-side capacity without browsers or websockets: ``sessions`` dashboards
    rendered in this process (``solara.render``), all playing at the default speed."""
    import threading

    import solara

    from viz.app import DEFAULT_SPEED, Views, play
    from viz.lab import Lab

    runs = []
    for i in range(sessions):
        lab = Lab("baseline", seed=i)
        playing, speed, tick = solara.reactive(True), solara.reactive(DEFAULT_SPEED), solara.reactive(0)
        drawn = threading.Event()

        @solara.component
        def Overview(lab=lab, tick=tick, drawn=drawn):
            Views(lab, tick, True, drawn)

        solara.render(Overview(), handle_error=False)
        runs.append((lab, playing, speed, tick, drawn, threading.Event()))
    cpu0, t0 = time.process_time(), time.perf_counter()
    threads = [threading.Thread(target=play, args=r, daemon=True) for r in runs]
    for t in threads:
        t.start()
    time.sleep(seconds)
    elapsed = time.perf_counter() - t0
    result = {
        "sessions": sessions,
        "mode": "in-process (no browser)",
        "weeks_per_s_per_session": summary([r[0].steps / elapsed for r in runs]),
        "redraws_per_s_per_session": summary([r[3].value / elapsed for r in runs]),
        "cpu_cores": round((time.process_time() - cpu0) / elapsed, 2),
        "rss_mib": round(rss_mib(os.getpid()), 1),
    }
    for r in runs:
        r[1].set(False)
    for t in threads:
        t.join(5)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=10.0, help="measurement window while all play")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    parser.add_argument(
        "--in-process", action="store_true", help="measure server-side capacity only (no server, no browser)"
    )
    args = parser.parse_args(argv)
    if args.in_process:
        result = run_in_process(args.sessions, args.seconds)
        print(json.dumps(result, indent=2))
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        return 0
    if not Path(CHROMIUM).exists():
        print(f"error: {CHROMIUM} not found (apt-get install -y chromium)", file=sys.stderr)
        return 2
    result = run(args.sessions, args.seconds)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
