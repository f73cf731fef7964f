"""Dashboard tests without a browser: the session ``Lab``, the charts, and the
Solara page rendered with ``solara.render`` inside ``solara.AppLayout``.

Small worlds keep it fast; every parameter value is read from ``SPECS``.
"""

from __future__ import annotations

import io
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
from model.events import EVENTS
from model.metrics import METRICS
from model.params import ParameterError, levers
from viz import assets, charts, components, serve
from viz.app import Page, Views, play
from viz.lab import Lab
from viz.layout import NETWORK_SAMPLE, ORG_DETAIL_LIMIT, structure

SMALL = {"n_employees": 60, "market_size": 2000, "initial_customers": 400}
PNG = b"\x89PNG\r\n\x1a\n"


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
    lab.fire("layoffs")  # an event changes the picture: full redraw
    live.render(lab.snapshot(), lab.horizon)
    assert live.fig is not fig


def test_chart_help_comes_from_metric_meanings():
    for chart in charts.CHARTS.values():
        assert chart.help and "\n" not in chart.help
    assert METRICS["nps"] in charts.CHARTS["satisfaction"].help


def test_org_chart_aggregates_large_organisations():
    lab = Lab(
        "baseline",
        seed=1,
        size={"n_employees": ORG_DETAIL_LIMIT + 500, "market_size": 2000, "initial_customers": 400},
    )
    st = structure(lab.runs[0].model)
    assert st.org_x is None
    t0 = time.perf_counter()
    assert charts.render("org", lab.snapshot(), lab.horizon).startswith(PNG)
    assert time.perf_counter() - t0 < 5


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
        assert METRICS[kpi.metric] in shown
    items = by_class(box, "scenario-a")[0].items
    assert {i["value"] for i in items} == set(available())


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


def test_play_runs_at_least_ten_weeks_per_second_with_redraws():
    """The play loop at default size and speed, with the overview charts redrawn."""
    lab = Lab("baseline", seed=1)  # default size
    playing, speed, tick = solara.reactive(True), solara.reactive(20), solara.reactive(0)
    drawn = threading.Event()

    @solara.component
    def Overview():
        Views(lab, tick, True, drawn)

    box, rc = solara.render(Overview(), handle_error=False)
    cancel = threading.Event()
    worker = threading.Thread(target=play, args=(lab, playing, speed, tick, drawn, cancel), daemon=True)
    t0 = time.perf_counter()
    worker.start()
    time.sleep(4)
    playing.set(False)
    worker.join(15)
    elapsed = time.perf_counter() - t0
    rc.close()
    assert lab.steps / elapsed >= 10, f"{lab.steps / elapsed:.1f} weeks/s"
    assert tick.value >= 4, "the charts must redraw while playing"


# ------------------------------------------------------------------ serving
def test_serve_command_and_all_interfaces_warning(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(serve.subprocess, "call", lambda cmd, env: calls.append(cmd) or 0)
    monkeypatch.setattr(assets, "missing", lambda *a, **k: [])
    assert serve.serve(host="0.0.0.0", port=9999) == 0
    cmd = calls[0]
    assert cmd[cmd.index("--host") + 1] == "0.0.0.0" and cmd[cmd.index("--port") + 1] == "9999"
    assert "--production" in cmd and "--no-open" in cmd and any(c.endswith("viz/app.py") for c in cmd)
    assert "warning" in capsys.readouterr().err
    serve.serve(host="127.0.0.1", port=9999)
    assert "warning" not in capsys.readouterr().err


def test_assets_are_quick_when_cached_and_clear_without_npm(tmp_path, monkeypatch):
    for pkg in assets.PACKAGES:
        (tmp_path / pkg).mkdir(parents=True)
        (tmp_path / pkg / "package.json").write_text("{}")
    assert assets.ensure(root=tmp_path) == 0
    (tmp_path / assets.PACKAGES[0] / "package.json").unlink()
    monkeypatch.setattr(assets.shutil, "which", lambda name: None)
    with pytest.raises(assets.AssetError, match="npm is not installed"):
        assets.ensure(root=tmp_path, out=io.StringIO())
