"""Dashboard tests without a browser: the session ``Lab``, the charts, and the
Solara page rendered with ``solara.render`` inside ``solara.AppLayout``.

Small worlds keep it fast; every parameter value is read from ``SPECS``.
"""

from __future__ import annotations

import asyncio
import io
import json
import threading
import time
import zipfile

import ipyvuetify as v
import ipywidgets
import numpy as np
import pandas as pd
import pytest
import solara
from matplotlib.figure import Figure

from model import SPECS, available, load_scenario
from model.departments import DEPARTMENTS, LEVELS
from model.events import EVENTS
from model.metrics import METRICS
from model.params import ParameterError, levers
from viz import app, assets, charts, components, serve
from viz.app import Page, Views, play
from viz.lab import Lab
from viz.layout import NETWORK_SAMPLE, ORG_DETAIL_LIMIT, structure

SMALL = {"n_employees": 60, "market_size": 2000, "initial_customers": 400}
PNG = b"\x89PNG\r\n\x1a\n"
JPEG = b"\xff\xd8\xff"


def small_lab(scenario: str = "baseline", seed: int = 3) -> Lab:
    return Lab(scenario, seed=seed, size=SMALL)


# ------------------------------------------------------------------ Lab
def test_same_seed_same_run_and_reset_rebuilds():
    a, b = small_lab(), small_lab()
    a.step(8)
    b.step(8)
    pd.testing.assert_frame_equal(a.table(), b.table())
    first = a.table()
    a.reset()
    assert a.steps == 0
    a.step(8)
    pd.testing.assert_frame_equal(a.table(), first)


def test_lever_acts_on_the_running_model_and_survives_reset():
    lab = small_lab()
    lab.step(3)
    name = "service_staffing"
    new = SPECS[name].lo
    lab.set_lever(name, new)
    assert lab.steps == 3, "moving a lever must not restart the run"
    assert lab.runs[0].model.p.service_staffing == new
    lab.reset()
    assert lab.runs[0].model.p.service_staffing == new


def test_structural_parameter_is_refused_mid_run():
    lab = small_lab()
    with pytest.raises(ParameterError):
        lab.set_lever("n_employees", 100)


def test_event_fires_at_current_week_and_is_logged_in_the_table():
    lab = small_lab()
    lab.step(4)
    lab.fire("new_ceo")
    lab.step(2)
    table = lab.table()
    assert table.loc[table.week == 4, "events"].item() == "new_ceo"
    assert (table.loc[table.week != 4, "events"].fillna("") == "").all()


def test_event_options_act_and_are_logged_and_bad_options_fire_nothing():
    lab, ref = small_lab(), small_lab()
    lab.step(2)
    ref.step(2)
    lab.fire("layoffs", share=0.3)
    ref.fire("layoffs")  # the default share, 10%
    staff = lab.runs[0].model.staff
    assert staff.present.sum() < ref.runs[0].model.staff.present.sum()
    assert lab.runs[0].model.event_log[-1] == {"step": 2, "type": "layoffs", "share": 0.3}
    lab.step(1)
    events = lab.table().set_index("week")["events"]
    assert events[2] == "layoffs(share=0.3)"
    for kind, options in [
        ("layoffs", {"share": 1.5}),
        ("service_breakdown", {"weeks": 0}),
        ("culture_programme", {"departments": ["nowhere"]}),
        ("new_ceo", {"mood": 1.0}),
    ]:
        with pytest.raises(ParameterError):
            lab.fire(kind, **options)
    assert len(lab.runs[0].model.event_log) == 1


def test_snapshot_is_incremental_cached_and_read_only():
    lab = small_lab()
    lab.step(3)
    first = lab.snapshot()
    assert lab.snapshot()[0] is first[0], "the same snapshot until the runs change"
    lab.step(300)  # past the history's first buffer: it grows
    snap = lab.snapshot()[0]
    assert snap is not first[0] and snap.steps == 303
    expected = lab.runs[0].model.datacollector.get_model_vars_dataframe()
    for metric in METRICS:
        np.testing.assert_array_equal(snap.series(metric), expected[metric].to_numpy(dtype=float))
    assert len(first[0].series("nps")) == 4, "a snapshot handed out never changes"
    with pytest.raises(ValueError):
        snap.series("nps")[0] = 1.0
    pd.testing.assert_frame_equal(snap.frame, expected[list(METRICS)], check_dtype=False)


def test_compare_runs_in_lock_step_and_targets_one_run():
    lab = small_lab()
    lab.set_compare("baseline")
    lab.target = "B"
    lab.step(4)
    lab.set_lever("service_staffing", SPECS["service_staffing"].lo)
    lab.fire("layoffs")
    lab.step(4)
    t = lab.table()
    a, b = t[t.run == "A"].set_index("week"), t[t.run == "B"].set_index("week")
    assert len(a) == len(b) == 9
    pd.testing.assert_frame_equal(a.loc[:4, list(METRICS)], b.loc[:4, list(METRICS)])
    assert not a.loc[5:, list(METRICS)].equals(b.loc[5:, list(METRICS)])
    assert b.loc[8, "headcount"] < a.loc[8, "headcount"]  # the layoffs hit B only
    assert lab.runs[1].model.p.service_staffing == SPECS["service_staffing"].lo
    assert lab.runs[0].model.p.service_staffing == SPECS["service_staffing"].default
    assert lab.runs[0].model.event_log == []
    lab.set_compare(None)
    assert not lab.compare and lab.target == "both"


def test_load_preset_takes_its_parameters_and_clears_lever_moves():
    name = next(n for n in available() if load_scenario(n).parameters)
    sc = load_scenario(name)
    lab = small_lab()
    lab.set_lever("bad_practice", SPECS["bad_practice"].hi)
    lab.load(name)
    for key, value in sc.parameters.items():
        assert getattr(lab.runs[0].model.p, key) == pytest.approx(value)
    if "bad_practice" not in sc.parameters:
        assert lab.runs[0].model.p.bad_practice == SPECS["bad_practice"].default


def test_bad_size_leaves_the_runs_in_place():
    lab = small_lab()
    lab.step(2)
    with pytest.raises(ParameterError):
        lab.reset(size={**SMALL, "initial_customers": SMALL["market_size"] + 1})
    assert lab.steps == 2 and lab.size == SMALL


def test_views_never_draw_from_the_model_rng():
    a, b = small_lab(), small_lab()
    structure(a.runs[0].model)
    for key in charts.CHARTS:
        charts.render(key, a.snapshot(), a.horizon)
    a.step(5)
    b.step(5)
    pd.testing.assert_frame_equal(a.table(), b.table())


# ------------------------------------------------------------------ charts
@pytest.fixture(scope="module")
def snaps_compare():
    lab = small_lab()
    lab.set_compare(next(n for n in available() if n != "baseline"))
    lab.step(6)
    lab.fire("culture_programme")
    lab.step(4)
    return lab.snapshot(), lab.horizon


@pytest.mark.parametrize("key", list(charts.CHARTS))
def test_every_chart_draws_single_and_compare(key, snaps_compare):
    snaps, horizon = snaps_compare
    assert charts.render(key, snaps[:1], horizon).startswith(PNG)
    fig = charts.figure(key, snaps, horizon)
    assert isinstance(fig, Figure)
    assert charts.png(fig).startswith(PNG)


@pytest.mark.parametrize("key", [k for k, c in charts.CHARTS.items() if not c.heavy])
def test_events_are_marked_on_time_series(key, snaps_compare):
    snaps, horizon = snaps_compare
    fig = charts.figure(key, snaps, horizon)
    marks = [
        line
        for ax in fig.axes
        for line in ax.lines
        if not line.get_gid() and list(line.get_xdata()) == [6, 6]
    ]
    assert marks, f"no event marker at week 6 on {key}"
    labels = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any(charts.event_label("culture_programme") in t for t in labels)


def test_compare_draws_both_runs_on_the_same_axes(snaps_compare):
    snaps, horizon = snaps_compare
    fig = charts.figure("satisfaction", snaps, horizon)
    gids = {line.get_gid().split("|")[0] for line in fig.axes[0].lines if line.get_gid()}
    assert gids == {"A", "B"}


def test_live_chart_updates_data_without_rebuilding():
    lab = small_lab()
    lab.step(3)
    live = charts.LiveChart("funnel")
    live.render(lab.snapshot(), lab.horizon)
    fig = live.fig
    lab.step(3)
    live.render(lab.snapshot(), lab.horizon)
    assert live.fig is fig
    assert len(fig.axes[0].lines[0].get_xdata()) == 7
    drawn, before = live.backgrounds, live.render(lab.snapshot(), lab.horizon)
    lab.fire("layoffs")  # an event is drawn over the background: no full redraw
    after = live.render(lab.snapshot(), lab.horizon)
    assert live.fig is fig and live.backgrounds == drawn
    assert after != before
    assert [a.get_xdata()[0] for a in fig.axes[0]._cx_events if hasattr(a, "get_xdata")] == [6]
    lab.set_compare("baseline")  # other runs: a new picture
    live.render(lab.snapshot(), lab.horizon)
    assert live.fig is not fig


def test_identical_sessions_share_chart_backgrounds():
    a, b = small_lab(seed=11), small_lab(seed=11)
    images = []
    for lab in (a, b):
        lab.step(5)
        live = charts.LiveChart("money")
        images.append(live.render(lab.snapshot(), lab.horizon, fast=True))
    assert images[0] == images[1]
    assert live.backgrounds == 0, "the second session reuses the first one's background"


def test_live_chart_frames_are_jpeg_and_full_redraws_stay_few():
    """Stepping a week per frame, each chart redraws its background only a few times in a run."""
    lab = small_lab()
    lives = {k: charts.LiveChart(k) for k, c in charts.CHARTS.items() if not c.heavy}
    while lab.steps < lab.horizon:
        lab.step(1)
        for live in lives.values():
            image = live.render(lab.snapshot(), lab.horizon, fast=True)
    assert image.startswith(JPEG)
    assert live.render(lab.snapshot(), lab.horizon).startswith(PNG)
    full = {k: live.backgrounds for k, live in lives.items()}
    assert max(full.values()) <= 6, full


def test_live_chart_week_axis_grows_past_the_horizon():
    lab = small_lab()
    live = charts.LiveChart("funnel")
    lab.step(lab.horizon)
    live.render(lab.snapshot(), lab.horizon, fast=True)
    lab.step(5)
    live.render(lab.snapshot(), lab.horizon, fast=True)
    assert live.fig.axes[0].get_xlim()[1] >= lab.steps, "the lines past the horizon must show"


def test_chart_help_comes_from_metric_meanings():
    for chart in charts.CHARTS.values():
        assert chart.help and "\n" not in chart.help
    assert METRICS["nps"].meaning in charts.CHARTS["satisfaction"].help


def test_org_chart_aggregates_large_organisations():
    lab = Lab(
        "baseline",
        seed=1,
        size={"n_employees": ORG_DETAIL_LIMIT + 500, "market_size": 2000, "initial_customers": 400},
    )
    st = structure(lab.runs[0].model)
    assert st.org_x is None
    assert charts.render("org", lab.snapshot(), lab.horizon).startswith(PNG)
    fig = Figure()
    charts.draw_org(fig, lab.snapshot(), lab.horizon)
    drawn = sum(len(c.get_offsets()) for ax in fig.axes for c in ax.collections if hasattr(c, "get_offsets"))
    assert drawn <= 1 + len(DEPARTMENTS) * len(LEVELS), "one disc per department and level, not per person"


def test_network_view_is_a_small_sample_of_real_ties():
    lab = small_lab()
    m = lab.runs[0].model
    st = structure(m)
    assert 0 < len(st.net_nodes) <= NETWORK_SAMPLE
    for i, j in st.net_edges[:50]:
        a, b = st.net_nodes[i], st.net_nodes[j]
        assert b in m.network.indices[m.network.indptr[a] : m.network.indptr[a + 1]]
    assert structure(m) is st  # computed once


def test_segments_follow_nps_bands():
    status = np.array([0, 1, 1, 1, 2])
    score = np.array([10, 10, 7, 6, 0])
    assert list(charts.segments(status, score)) == ["prospect", "promoter", "passive", "detractor", "churned"]


# ------------------------------------------------------------------ page
def walk(widget) -> list:
    out = [widget]
    for child in getattr(widget, "children", None) or []:
        if isinstance(child, ipywidgets.Widget):
            out.extend(walk(child))
    return out


def by_class(box, name: str) -> list:
    return [w for w in walk(box) if name in (getattr(w, "class_", "") or "").split()]


def texts(box) -> list[str]:
    return [c for w in walk(box) for c in (getattr(w, "children", None) or []) if isinstance(c, str)]


@pytest.fixture()
def page():
    lab = small_lab()

    @solara.component
    def App():
        with solara.AppLayout():
            Page(lab=lab)

    box, rc = solara.render(App(), handle_error=False)
    yield lab, box, rc
    if lab_playing(box):
        by_class(box, "play-btn")[0].click()
    rc.close()


def lab_playing(box) -> bool:
    return any("Pause" in str(w.children) for w in by_class(box, "play-btn"))


def week_shown(box) -> int:
    return int(by_class(box, "week-counter")[0].children[0].split()[1])


def test_page_has_every_control_with_help(page):
    lab, box, rc = page
    shown = " ".join(texts(box))
    labels = [w.label for w in walk(box) if isinstance(w, v.Slider)]
    for name in levers():
        assert any(label.startswith(components.pretty(name)) for label in labels), name
        assert SPECS[name].meaning in shown
    for kind in EVENTS:
        assert by_class(box, f"event-{kind}")
        assert components.event_help(kind) in shown
    for kpi in components.KPIS:
        assert METRICS[kpi.metric].meaning in shown
    items = by_class(box, "scenario-a")[0].items
    assert {i["value"] for i in items} == set(available())


def test_kpi_change_of_a_weekly_flow_counts_from_week_one():
    lab = small_lab()
    wait = next(k for k in components.KPIS if k.metric == "speed_of_answer_seconds")
    nps = next(k for k in components.KPIS if k.metric == "nps")
    snap = lab.snapshot()[0]
    assert components.kpi_value(wait, snap) == "–", "no week has passed: no wait yet"
    assert components._delta(wait, snap)[0].endswith("since week 1")
    lab.step(4)
    snap = lab.snapshot()[0]
    col = snap.series("speed_of_answer_seconds")
    text, _ = components._delta(wait, snap)
    assert text.endswith(f"{wait.fmt(col[-1] - col[1])} since week 1")
    assert components._delta(nps, snap)[0].endswith(
        f"{snap.series('nps')[-1] - snap.series('nps')[0]:+.0f} since start"
    )


def test_a_tick_re_renders_only_the_numbers_and_pictures(page, monkeypatch):
    lab, box, rc = page
    ran = []
    for name in (
        "Sidebar",
        "Views",
        "KpiCards",
        "ChartView",
        "ChartHeader",
        "KpiValues",
        "ChartImage",
        "WeekCounter",
    ):
        component = getattr(app, name, None) or getattr(components, name)
        f = component.f
        monkeypatch.setattr(component, "f", lambda *a, __f=f, __n=name, **k: ran.append(__n) or __f(*a, **k))
    by_class(box, "step-btn")[0].click()
    assert week_shown(box) == 1
    assert set(ran) == {"KpiValues", "ChartImage", "WeekCounter"}, ran


def test_event_options_are_chosen_in_the_page(page):
    lab, box, rc = page
    lab.step(1)
    by_class(box, "event-options-layoffs")[0].click()
    slider = by_class(box, "option-layoffs-share")[0]
    next(w for w in walk(slider) if isinstance(w, v.Slider)).v_model = 0.25
    assert components.event_help("layoffs", {"share": 0.25}) in texts(box)
    by_class(box, "event-layoffs")[0].click()
    assert lab.runs[0].model.event_log[-1] == {"step": 1, "type": "layoffs", "share": 0.25}
    assert any("Week 1: Layoffs (share 25%)" in t for t in texts(box))

    by_class(box, "event-options-service_breakdown")[0].click()
    weeks = next(
        w for w in walk(by_class(box, "option-service_breakdown-weeks")[0]) if isinstance(w, v.TextField)
    )
    weeks.v_model = "9999"
    by_class(box, "event-service_breakdown")[0].click()
    assert "weeks" in " ".join(texts(by_class(box, "error-msg")[0]) if by_class(box, "error-msg") else [])
    assert len(lab.runs[0].model.event_log) == 1, "an option out of range fires nothing"

    by_class(box, "event-options-culture_programme")[0].click()
    depts = by_class(box, "option-culture_programme-departments")[0]
    depts.v_model = ["service", "sales"]
    assert "The sales and service departments are trained" in " ".join(texts(box))
    by_class(box, "event-culture_programme")[0].click()
    assert lab.runs[0].model.event_log[-1]["departments"] == ["sales", "service"]
    depts.v_model = []
    by_class(box, "event-culture_programme")[0].click()
    assert len(lab.runs[0].model.event_log) == 2
    assert by_class(box, "error-msg"), "choosing no department is refused with a message"


def test_event_help_and_options_come_from_the_event_signatures():
    for kind, event in EVENTS.items():
        assert set(event.shown) <= set(components.event_defaults(kind)), kind
    assert components.chosen_options("new_ceo", {"commitment": 0.9}) == {}, "defaults are not passed"
    assert components.chosen_options("culture_programme", {"departments": list(DEPARTMENTS)}) == {}
    with pytest.raises(ParameterError):
        components.chosen_options("culture_programme", {"departments": []})


def test_step_button_advances_and_redraws(page):
    lab, box, rc = page
    by_class(box, "step-btn")[0].click()
    assert lab.steps == 1 and week_shown(box) == 1


def test_slider_moves_lever_on_running_model(page):
    lab, box, rc = page
    lab.step(2)
    slider = by_class(box, "lever-empowerment")[0]
    widget = next(w for w in walk(slider) if isinstance(w, v.Slider))
    target = SPECS["empowerment"].hi
    widget.v_model = target
    assert lab.runs[0].model.p.empowerment == target
    assert lab.steps == 2


def test_event_button_fires_and_logs(page):
    lab, box, rc = page
    lab.step(2)
    by_class(box, "event-layoffs")[0].click()
    assert lab.runs[0].model.event_log[-1] == {"step": 2, "type": "layoffs"}
    assert any("Week 2: Layoffs" in t for t in texts(box))


def test_scenario_picker_loads_preset_and_compare_shows_both(page):
    lab, box, rc = page
    name = next(n for n in available() if n != "baseline")
    by_class(box, "scenario-a")[0].v_model = name
    assert lab.runs[0].scenario == name and lab.steps == 0
    assert load_scenario(name).description in texts(box)
    by_class(box, "scenario-b")[0].v_model = "baseline"
    assert lab.compare
    assert len(by_class(box, "kpi-nps")) == 2
    assert by_class(box, "target-toggle")
    by_class(box, "scenario-b")[0].v_model = ""
    assert not lab.compare


def test_export_csv_and_charts_zip(page):
    lab, box, rc = page
    lab.step(3)
    table = pd.read_csv(io.StringIO(lab.csv()))
    assert list(table.columns[:4]) == ["run", "scenario", "seed", "week"]
    assert set(METRICS) <= set(table.columns) and len(table) == 4
    names = zipfile.ZipFile(io.BytesIO(components.charts_zip(lab))).namelist()
    assert len(names) == len(charts.CHARTS)


def test_play_advances_the_weeks_and_redraws_while_playing():
    """The play loop at default size and speed, with the overview charts redrawn: every
    redraw shows at least one new week. (Its speed is measured in benchmarks/bench.py.)"""
    lab = Lab("baseline", seed=1)  # default size
    playing, speed, tick = solara.reactive(True), solara.reactive(20), solara.reactive(0)
    drawn = threading.Event()

    @solara.component
    def Overview():
        Views(lab, tick, True, drawn)

    box, rc = solara.render(Overview(), handle_error=False)
    cancel = threading.Event()
    worker = threading.Thread(target=play, args=(lab, playing, speed, tick, drawn, cancel), daemon=True)
    worker.start()
    deadline = time.monotonic() + 120  # only against a hang: the rate is the benchmark's
    while (lab.steps < 20 or tick.value < 4) and time.monotonic() < deadline:
        time.sleep(0.05)
    playing.set(False)
    worker.join(15)
    rc.close()
    assert not worker.is_alive(), "pausing stops the loop"
    assert tick.value >= 4, "the charts must redraw while playing"
    assert lab.steps >= tick.value, "each redraw shows at least one new week"


def test_pacer_keeps_one_session_at_speed_and_shares_evenly_when_crowded():
    costs = app.Costs(step=0.003, draw=0.03)
    pacer = app.Pacer(budget=0.75)
    pacer.join("a")
    interval, rate = pacer.plan(20, costs)
    assert rate == 20 and interval == pytest.approx(app.MIN_FRAME)
    for i in range(29):
        pacer.join(i)
    interval, rate = pacer.plan(20, costs)
    assert interval == pytest.approx(app.MAX_FRAME), "crowded: fewer redraws first"
    assert 1 / interval <= rate < 20, "then fewer weeks, but always at least one per redraw"
    share = 0.75 / 30
    assert rate * costs.step + costs.draw / interval == pytest.approx(share, rel=0.01)
    pacer.leave("a")
    assert pacer.players == 29


def test_pacer_turns_are_first_come_first_served_and_give_way_to_pause():
    pacer = app.Pacer()
    order, started = [], []

    def session(name: str) -> None:
        started.append(name)
        with pacer.turn(lambda: False) as got:
            assert got
            order.append(name)

    with pacer.turn(lambda: False):
        threads = []
        for name in "abc":
            t = threading.Thread(target=session, args=(name,))
            t.start()
            threads.append(t)
            while len(started) < len(threads) or len(pacer._queue) < len(threads):
                time.sleep(0.001)
        with pacer.turn(lambda: True) as got:  # paused while waiting: leaves the queue
            assert not got
    for t in threads:
        t.join(5)
    assert order == ["a", "b", "c"]


def test_sessions_report_their_load_to_the_front_door(tmp_path, monkeypatch):
    path = tmp_path / "load.json"
    monkeypatch.setenv(serve.LOAD_FILE_ENV, str(path))
    sessions = app.Sessions()
    closed = sessions.opened()
    sessions.opened()
    assert json.loads(path.read_text()) == {"sessions": 2, "playing": 0}
    closed()
    assert json.loads(path.read_text())["sessions"] == 1


# ------------------------------------------------------------------ serving
def test_serve_command_and_all_interfaces_warning(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(serve.subprocess, "call", lambda cmd, env: calls.append(cmd) or 0)
    monkeypatch.setattr(assets, "missing", lambda *a, **k: [])
    assert serve.serve(host="0.0.0.0", port=9999, workers=1) == 0
    cmd = calls[0]
    assert cmd[cmd.index("--host") + 1] == "0.0.0.0" and cmd[cmd.index("--port") + 1] == "9999"
    assert "--production" in cmd and "--no-open" in cmd and any(c.endswith("viz/app.py") for c in cmd)
    assert "warning" in capsys.readouterr().err
    serve.serve(host="127.0.0.1", port=9999, workers=1)
    assert "warning" not in capsys.readouterr().err


def test_default_workers_follow_the_cores():
    assert 1 <= serve.default_workers() <= serve.MAX_DEFAULT_WORKERS
    cmd = serve.worker_command("127.0.0.1", 9001, 7)
    assert cmd[1:3] == ["-m", "viz.worker"] and cmd[cmd.index("--watch-fd") + 1] == "7"
    assert serve.environment()["REACTON_FAST"] == "1"


class FakeProcess:
    def __init__(self, alive: bool = True) -> None:
        self.returncode = None if alive else 1

    def poll(self):
        return self.returncode


def workers_for_test(tmp_path, sessions: list[int]) -> list[serve.Worker]:
    out = []
    for i, n in enumerate(sessions):
        w = serve.Worker(9001 + i, FakeProcess(), tmp_path / f"{i}.json", tmp_path / f"{i}.log")
        w.load_file.write_text(json.dumps({"sessions": n, "playing": 0}))
        out.append(w)
    return out


def test_balancer_sends_newcomers_to_the_least_loaded_worker_in_turn(tmp_path):
    balancer = serve.Balancer(workers_for_test(tmp_path, [0, 0, 0]))
    assert [balancer.choose().port for _ in range(4)] == [9001, 9002, 9003, 9001]
    busy = serve.Balancer(workers_for_test(tmp_path, [5, 1, 3]))
    assert [busy.choose().port for _ in range(3)] == [9002, 9002, 9003], "pending newcomers count as load"
    for w in busy.workers:
        w.process.returncode = 1
    assert busy.choose() is None


def test_front_door_redirects_to_a_worker_on_the_visitors_host(tmp_path):
    balancer = serve.Balancer(workers_for_test(tmp_path, [0, 0]))
    door = serve.front_door(balancer, "0.0.0.0")

    def get(path: str, host: str) -> tuple[int, dict]:
        sent = []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            sent.append(message)

        scope = {
            "type": "http",
            "method": "GET",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": [(b"host", host.encode())],
            "scheme": "http",
            "server": ("192.168.1.23", 8765),
        }
        asyncio.run(door(scope, receive, send))
        start = sent[0]
        return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}

    status, headers = get("/", "192.168.1.23:8765")
    assert status == 307 and headers["location"] == "http://192.168.1.23:9001/"
    status, headers = get("/", "[::1]:8765")
    assert headers["location"] == "http://[::1]:9002/"
    status, headers = get("/_cx/workers", "localhost:8765")
    assert status == 200
    assert serve.redirect_host("", "0.0.0.0") == "127.0.0.1"


def test_assets_are_quick_when_cached_and_clear_without_npm(tmp_path, monkeypatch):
    for pkg in assets.PACKAGES:
        (tmp_path / pkg).mkdir(parents=True)
        (tmp_path / pkg / "package.json").write_text("{}")
    assert assets.ensure(root=tmp_path) == 0
    (tmp_path / assets.PACKAGES[0] / "package.json").unlink()
    monkeypatch.setattr(assets.shutil, "which", lambda name: None)
    with pytest.raises(assets.AssetError, match="npm is not installed"):
        assets.ensure(root=tmp_path, out=io.StringIO())
