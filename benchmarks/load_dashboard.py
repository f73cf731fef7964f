"""Load test: many workshop participants on one dashboard server.

Browser mode starts the dashboard on 127.0.0.1 (a free port), opens N browser sessions (one headless
Chromium, N contexts, so N separate Solara sessions and models) one after
another, presses Play in all of them and measures

* page response: time to the first byte and until the dashboard is drawn;
* per session while all play: weeks per second shown, and redraws per second
  (changes of the culture chart's picture, counted in the page);
* click response while all play: pressing an event button until the page
  lists the event, and pressing Pause until the page shows Play again;
* click response with all paused: pressing Step until the new week shows;
* server memory (resident set size) and CPU use (in cores) of all server
  processes together, idle, with all open, and while all play; and which
  worker each session landed on.

On one machine the browsers compete with the server for the cores; in a
workshop they run on the participants' devices. ``--browser-nice 10`` runs the
browsers at a lower CPU priority, which comes closer to that: the server gets
the cores first and the browsers what is left. ``--in-process`` measures the
server side alone: N full pages rendered in this process, each in its own
Solara kernel context as in the server, all playing, with click (lever move,
Play, Pause) response times. Only loopback traffic: every request to another host is aborted and
counted.

    python benchmarks/load_dashboard.py [--sessions 30] [--seconds 15] [--browser-nice 10]
    python benchmarks/load_dashboard.py --in-process [--sessions 30] [--seconds 15]
    python benchmarks/load_dashboard.py --redraw 100    # server CPU per redraw of one page
    (add --json FILE to keep the figures)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.chromium import CHROMIUM, CHROMIUM_FLAGS, offline_guard  # noqa: E402
from viz.serve import command, environment  # noqa: E402

CLICK_TIMEOUT_MS = 30_000
# Counts the redraws of the culture chart the page receives: Plotly redraws the lines
# (their "d" attributes) once per update; one observer callback per redraw.
COUNT_REDRAWS = """() => {
  window.__redraws = 0;
  const card = document.querySelector('.chart-culture');
  new MutationObserver(() => { window.__redraws += 1; })
    .observe(card, {attributes: true, subtree: true, attributeFilter: ['src', 'd']});
}"""


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (Linux /proc)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def rss_mib(pid: int) -> float:
    """Resident memory of a process and all its descendants, MiB (Linux /proc)."""
    total = 0
    for p in tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process and its descendants have used so far, seconds."""
    total = 0.0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError):
            pass
    return total


def free_ports(count: int) -> int:
    """A port ``p`` such that ``p .. p+count-1`` are all free on 127.0.0.1."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + count > 65535:
            continue
        ok = True
        for p in range(base + 1, base + count):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", p))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise SystemExit("no block of free ports found")


def start(port: int) -> tuple[subprocess.Popen, float]:
    """Start the dashboard on ``port``; returns it and its start-up time."""
    t0 = time.perf_counter()
    cmd = command("127.0.0.1", port)
    proc = subprocess.Popen(cmd, env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while time.perf_counter() - t0 < 180:
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


def redraws(page) -> int:
    return int(page.evaluate("() => window.__redraws || 0"))


def summary(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    if not values:
        return {}
    return {
        "median": round(statistics.median(values), 3),
        "min": round(values[0], 3),
        "max": round(values[-1], 3),
        "p90": round(values[min(len(values) - 1, int(0.9 * len(values)))], 3),
    }


def timed_click(page, selector: str, done: str) -> float | None:
    """Seconds from a click on ``selector`` until the JavaScript condition ``done`` holds."""
    from playwright.sync_api import Error as PlaywrightError

    t0 = time.perf_counter()
    try:
        # dispatch_event: a plain click without Playwright's actionability waits,
        # which crawl when many pages share two cores with the server
        page.locator(selector).dispatch_event("click", timeout=CLICK_TIMEOUT_MS)
        page.wait_for_function(done, timeout=CLICK_TIMEOUT_MS)
    except PlaywrightError:
        return None
    return time.perf_counter() - t0


def niced_browser(nice: int, folder: Path) -> Path:
    """A launcher that runs Chromium at CPU priority ``nice`` (0: as it is)."""
    if nice == 0:
        return Path(CHROMIUM)
    launcher = folder / "chromium-niced"
    launcher.write_text(f'#!/bin/sh\nexec nice -n {int(nice)} {CHROMIUM} "$@"\n', encoding="utf-8")
    launcher.chmod(0o755)
    return launcher


def run(sessions: int, seconds: float, browser_nice: int = 0) -> dict:
    import tempfile

    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    port = free_ports(1)
    url = f"http://127.0.0.1:{port}/"
    proc, startup = start(port)
    outside: list[str] = []

    result: dict = {
        "sessions": sessions,
        "browser_nice": browser_nice,
        "server_start_s": round(startup, 2),
    }
    folder = Path(tempfile.mkdtemp(prefix="load-dashboard-"))
    try:
        result["rss_idle_mib"] = round(rss_mib(proc.pid), 1)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=str(niced_browser(browser_nice, folder)), args=CHROMIUM_FLAGS
            )
            # Participants join one after another (a browser tab each), each page
            # drawn before the next opens: all at the same instant only makes
            # every page wait for all the others.
            pages, html_times, ready = [], [], []
            for _ in range(sessions):
                ctx = browser.new_context(viewport={"width": 1280, "height": 720})
                ctx.route("**/*", offline_guard(outside))
                page = ctx.new_page()
                page.set_default_timeout(120_000)
                t0 = time.perf_counter()
                page.goto(url, wait_until="commit")
                html_times.append(time.perf_counter() - t0)
                page.wait_for_selector(".chart-culture .js-plotly-plot")
                ready.append(time.perf_counter() - t0)
                page.evaluate(COUNT_REDRAWS)
                pages.append(page)
                print(
                    f"session {len(pages)} ready in {ready[-1]:.1f} s at {page.url}",
                    file=sys.stderr,
                    flush=True,
                )
            result["first_byte_s"] = summary(html_times)
            result["page_ready_s"] = summary(ready)
            result["rss_open_mib"] = round(rss_mib(proc.pid), 1)

            for page in pages:
                page.locator(".play-btn").dispatch_event("click")
            print("all playing", file=sys.stderr, flush=True)
            time.sleep(2.0)  # let every session get going
            start_weeks = [week(p) for p in pages]
            start_draws = [redraws(p) for p in pages]
            t0 = time.perf_counter()
            cpu0 = cpu_seconds(proc.pid)
            peak = 0.0
            while time.perf_counter() - t0 < seconds:
                peak = max(peak, rss_mib(proc.pid))
                time.sleep(0.5)
            elapsed = time.perf_counter() - t0
            result["server_cpu_cores_while_playing"] = round((cpu_seconds(proc.pid) - cpu0) / elapsed, 2)
            end_weeks = [week(p) for p in pages]
            end_draws = [redraws(p) for p in pages]
            print(f"weeks: {start_weeks} -> {end_weeks}", file=sys.stderr, flush=True)
            rates = [
                (b - a) / elapsed for a, b in zip(start_weeks, end_weeks, strict=True) if a >= 0 and b >= 0
            ]
            result["sessions_showing_no_week"] = sum(1 for w in end_weeks if w < 0)
            result["weeks_per_s_per_session"] = summary(rates)
            result["weeks_per_s_total"] = round(sum(rates), 1)
            result["redraws_per_s_per_session"] = summary(
                [(b - a) / elapsed for a, b in zip(start_draws, end_draws, strict=True)]
            )
            result["rss_playing_peak_mib"] = round(peak, 1)

            # clicks while all play: an event button, answered when the page lists the event
            fired = [
                timed_click(
                    page,
                    ".event-culture_programme",
                    "() => [...document.querySelectorAll('.event-log')]"
                    ".some(e => e.innerText.includes('Culture programme'))",
                )
                for page in pages
            ]
            result["event_click_while_playing_s"] = summary([t for t in fired if t is not None])
            result["event_clicks_unanswered"] = sum(1 for t in fired if t is None)
            paused = []
            for page in pages:
                if "pause" in page.locator(".play-btn").inner_text().lower():
                    paused.append(
                        timed_click(
                            page,
                            ".play-btn",
                            "() => document.querySelector('.play-btn').innerText.toLowerCase().includes('play')",
                        )
                    )
            result["pause_click_while_playing_s"] = summary([t for t in paused if t is not None])
            stuck = 0
            for page in pages:
                try:
                    page.wait_for_selector(".step-btn:not([disabled])", timeout=60_000)
                except PlaywrightError:
                    stuck += 1
            result["sessions_not_paused_within_60s"] = stuck
            print(json.dumps(result), file=sys.stderr, flush=True)  # partial figures, in case of trouble

            clicks = []
            for page in pages:
                before = week(page)
                clicks.append(
                    timed_click(
                        page,
                        ".step-btn",
                        f"() => !document.querySelector('.week-counter').innerText.startsWith('Week {before} ')",
                    )
                )
            result["step_click_all_paused_s"] = summary([t for t in clicks if t is not None])
            result["step_clicks_unanswered"] = sum(1 for t in clicks if t is None)
            result["rss_end_mib"] = round(rss_mib(proc.pid), 1)
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(folder, ignore_errors=True)
    result["requests_outside_loopback"] = len(outside)
    return result


def widgets(box) -> list:
    """A widget and all widgets below it."""
    import ipywidgets

    out = [box]
    for child in getattr(box, "children", None) or []:
        if isinstance(child, ipywidgets.Widget):
            out.extend(widgets(child))
    return out


def run_in_process(sessions: int, seconds: float) -> dict:
    """Server-side capacity without browsers or websockets: ``sessions`` full dashboard pages
    rendered in this process, each in its own Solara kernel context as in the server, all
    playing at the default speed; lever moves are timed while they play."""
    import uuid
    from types import SimpleNamespace

    import solara
    import solara.server.starlette  # noqa: F401 - solara then works as in the server (kernels, threads)
    from solara.server import kernel, kernel_context

    from viz.app import Page
    from viz.lab import Lab

    def by_class(box, name: str):
        return [w for w in widgets(box) if name in (getattr(w, "class_", "") or "").split()]

    def click_play(run) -> float:
        with run.ctx:  # a play thread inherits the kernel context, as in the server
            c0 = time.perf_counter()
            by_class(run.box, "play-btn")[0].click()
            return time.perf_counter() - c0

    runs = []
    for i in range(sessions):
        run = SimpleNamespace(lab=Lab("baseline", seed=i), frames=0)
        run.ctx = kernel_context.VirtualKernelContext(
            id=f"load-{i}", session_id=str(uuid.uuid4()), kernel=kernel.Kernel()
        )
        step = run.lab.step

        def counted(n: int = 1, step=step, run=run) -> int:  # one call per frame of the play loop
            run.frames += 1
            return step(n)

        run.lab.step = counted

        @solara.component
        def App(lab=run.lab):
            with solara.AppLayout():
                Page(lab=lab)

        with run.ctx:
            run.box, run.rc = solara.render(App(), handle_error=False)
        runs.append(run)
    plays = [click_play(run) for run in runs]
    time.sleep(2.0)  # let every session get going
    for run in runs:
        run.start = (run.lab.steps, run.frames)
    cpu0, t0 = time.process_time(), time.perf_counter()
    moves = []
    while time.perf_counter() - t0 < seconds:
        for run in runs[:: max(1, sessions // 5)]:
            slider = by_class(run.box, "lever-empowerment")[0]
            widget = next(w for w in widgets(slider) if type(w).__name__ == "Slider")
            with run.ctx:
                c0 = time.perf_counter()
                widget.v_model = 0.9 if widget.v_model < 0.85 else 0.5
                moves.append(time.perf_counter() - c0)
            time.sleep(0.5)
    elapsed = time.perf_counter() - t0
    cores = (time.process_time() - cpu0) / elapsed
    raw = {
        "weeks_per_s_per_session": [(r.lab.steps - r.start[0]) / elapsed for r in runs],
        "redraws_per_s_per_session": [(r.frames - r.start[1]) / elapsed for r in runs],
        "lever_move_response_s": moves,
        "play_click_response_s": plays,
    }
    totals = {"cpu_cores": cores, "rss_mib": rss_mib(os.getpid())}
    raw["pause_click_response_s"] = [click_play(run) for run in runs]
    time.sleep(0.5)
    for run in runs:
        with run.ctx:
            run.rc.close()
    return in_process_result(sessions, [(raw, totals)])


def in_process_result(sessions: int, parts: list[tuple[dict, dict]]) -> dict:
    """The figures of in-process runs together: per-session values pooled, CPU and memory
    added up."""
    result: dict = {
        "sessions": sessions,
        "mode": "in-process (no browser; full pages, one kernel context each)",
    }
    for name in parts[0][0]:
        result[name] = summary([x for raw, _ in parts for x in raw[name]])
    result["cpu_cores"] = round(sum(t["cpu_cores"] for _, t in parts), 2)
    result["rss_mib"] = round(sum(t["rss_mib"] for _, t in parts), 1)
    return result


def run_redraw(redraws: int) -> dict:
    """The server's CPU time per redraw: a full page in a Solara kernel context, as in the
    server, and ``redraws`` presses of Step (one week, then the views redrawn); one run,
    then two runs compared."""
    import uuid

    import solara
    import solara.server.starlette  # noqa: F401 - solara then works as in the server
    from solara.server import kernel, kernel_context

    from viz.app import Page
    from viz.lab import Lab

    result: dict = {"mode": "redraw: CPU seconds of a Step press (one week stepped, the overview redrawn)"}
    for compare in (False, True):
        ctx = kernel_context.VirtualKernelContext(
            id=str(uuid.uuid4()), session_id="redraw", kernel=kernel.Kernel()
        )
        with ctx:
            lab = Lab("baseline", seed=1)
            if compare:
                lab.set_compare("customer_centric")

            @solara.component
            def App(lab=lab):
                with solara.AppLayout():
                    Page(lab=lab)

            box, rc = solara.render(App(), handle_error=False)
            step = next(w for w in widgets(box) if "step-btn" in (getattr(w, "class_", "") or "").split())
            costs = []
            for _ in range(redraws):
                c0 = time.thread_time()
                step.click()
                costs.append(time.thread_time() - c0)
            rc.close()
        result["compare_two_runs" if compare else "one_run"] = summary(costs)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=10.0, help="measurement window while all play")
    parser.add_argument(
        "--browser-nice",
        type=int,
        default=0,
        help="run the browsers at this lower CPU priority (e.g. 10), so the server gets the cores first, "
        "as when participants' browsers run on their own devices",
    )
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    parser.add_argument(
        "--in-process", action="store_true", help="measure server-side capacity only (no server, no browser)"
    )
    parser.add_argument(
        "--redraw", type=int, default=0, metavar="N", help="only time N redraws of one page (server CPU)"
    )
    args = parser.parse_args(argv)
    if args.redraw:
        result = run_redraw(args.redraw)
    elif args.in_process:
        result = run_in_process(args.sessions, args.seconds)
    else:
        if not Path(CHROMIUM).exists():
            print(f"error: {CHROMIUM} not found (apt-get install -y chromium)", file=sys.stderr)
            return 2
        result = run(args.sessions, args.seconds, args.browser_nice)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
