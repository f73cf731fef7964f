"""Dashboard tests without a browser: the Plotly figures, the page rendered with
``solara.render`` inside ``solara.AppLayout``, the pacing of playing sessions, and the
server's guard. Small worlds keep it fast; every value is read from the metadata.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from pathlib import Path

import ipyvuetify as v
import numpy as np
import plotly.graph_objects as go
import pytest
import solara
from page_widgets import by_class, walk

from model import SPECS, available, load_scenario
from model.events import EVENTS
from model.metrics import METRICS
from model.params import levers
from viz import app, charts, components, figures, pacing, serve, server
from viz.app import Page, Views
from viz.lab import Lab
from viz.layout import NETWORK_SAMPLE, ORG_DETAIL_LIMIT, structure
from viz.pacing import play

SMALL = {"n_employees": 60, "market_size": 2000, "initial_customers": 400}


def small_lab(scenario: str = "baseline", seed: int = 3) -> Lab:
    return Lab(scenario, seed=seed, size=SMALL)


# ------------------------------------------------------------------ figures
@pytest.fixture(scope="module")
def compared():
    lab = small_lab()
    lab.set_compare(next(n for n in available() if n != "baseline"))
    lab.step(6)
    lab.set_target("B")
    lab.fire("culture_programme")
    lab.set_lever("employee_care", 0.9)
    lab.set_target("both")
    lab.fire("layoffs")
    lab.step(4)
    return lab.snapshot(), lab.horizon


def test_every_chart_and_card_reads_metrics_that_exist():
    assert {k.metric for k in charts.KPIS} <= set(METRICS)
    for chart in charts.CHARTS.values():
        assert set(chart.metrics) <= set(METRICS), chart.key
        assert chart.help and "\n" not in chart.help


@pytest.mark.parametrize("key", list(charts.CHARTS))
def test_every_chart_draws_one_run_and_two(key, compared):
    snaps, horizon = compared
    for runs in (snaps[:1], snaps):
        fig = charts.CHARTS[key].figure(runs, horizon)
        assert isinstance(fig, go.Figure) and fig.data
        assert fig.layout.title.text == charts.CHARTS[key].title, "a downloaded PNG carries its title"
        if charts.CHARTS[key].live:
            data = charts.CHARTS[key].data(runs)
            assert len(data) == len(fig.data), "live updates fill the traces in the figure's order"
            for trace, y in zip(fig.data, data, strict=True):
                np.testing.assert_array_equal(np.asarray(trace.y, dtype=float), y)


def test_runs_are_told_apart_by_colour_and_legend(compared):
    snaps, horizon = compared
    fig = charts.CHARTS["satisfaction"].figure(snaps, horizon)
    colours = {t.name.split(":")[0]: t.line.color for t in fig.data}
    assert colours == {"A": figures.RUN_COLOUR["A"], "B": figures.RUN_COLOUR["B"]}
    culture = charts.CHARTS["culture"].figure(snaps, horizon)
    titles = [culture.layout[f"yaxis{'' if i == 0 else i + 1}"].title.text for i in range(2)]
    assert titles[0].startswith("A:") and titles[1].startswith("B:"), "a panel per run"


def test_the_executive_team_has_its_line():
    names = [t.name for t in charts.CHARTS["culture"].figure(small_lab().snapshot(), 156).data]
    assert "executive" in names and "whole firm" in names


def test_events_and_lever_moves_are_marked_on_time_series(compared):
    snaps, horizon = compared
    fig = charts.CHARTS["funnel"].figure(snaps, horizon)
    weeks = sorted(s.x0 for s in fig.layout.shapes)
    assert weeks == [6, 6, 6], "programme (B), care (B), layoffs (both)"
    texts = {a.text for a in fig.layout.annotations}
    assert f"B: {EVENTS['culture_programme'].label}" in texts
    assert f"B: {SPECS['employee_care'].label}" in texts
    assert EVENTS["layoffs"].label in texts, "a mark both runs share is not prefixed"
    lever = next(a for a in fig.layout.annotations if SPECS["employee_care"].label in a.text)
    assert "→ 0.9" in lever.hovertext and lever.font.color == figures.RUN_COLOUR["B"]


def test_theme_is_readable_on_a_projector():
    assert figures.THEME.layout.font.size >= 14
    fig = charts.CHARTS["service"].figure(small_lab().snapshot(), 156)
    for axis in ("xaxis", "yaxis", "xaxis4", "yaxis4"):
        assert fig.layout[axis].tickfont.size >= 14


def test_shares_are_shown_as_percent_and_flows_start_at_week_one():
    lab = small_lab()
    lab.step(3)
    snap = lab.snapshot()[0]
    share = next(m for m, meta in METRICS.items() if meta.unit.startswith("share") and meta.flow)
    y = figures.series(snap, share)
    assert np.isnan(y[0])
    np.testing.assert_allclose(y[1:], 100 * snap.series(share)[1:])


def test_org_chart_aggregates_large_organisations_and_network_is_a_sample_of_real_ties():
    big = Lab("baseline", seed=1, size={**SMALL, "n_employees": ORG_DETAIL_LIMIT + 500})
    assert structure(big.runs[0].model).org_x is None
    fig = charts.CHARTS["org"].figure(big.snapshot(), big.horizon)
    assert sum(len(t.x) for t in fig.data) <= len(figures.DEPARTMENTS) * len(figures.LEVELS)
    assert [t.marker.showscale for t in fig.data] == [True], "one colour key"
    lab = small_lab()
    m = lab.runs[0].model
    st = structure(m)
    assert 0 < len(st.net_nodes) <= NETWORK_SAMPLE
    for i, j in st.net_edges[:50]:
        a, b = st.net_nodes[i], st.net_nodes[j]
        assert b in m.network.indices[m.network.indptr[a] : m.network.indptr[a + 1]]


def test_segments_follow_nps_bands():
    status = np.array([0, 1, 1, 1, 2])
    score = np.array([10, 10, 7, 6, 0])
    assert list(figures.segments(status, score)) == [
        "prospect",
        "promoter",
        "passive",
        "detractor",
        "churned",
    ]


def test_views_never_draw_from_the_model_rng():
    a, b = small_lab(), small_lab()
    for chart in charts.CHARTS.values():
        chart.figure(a.snapshot(), a.horizon)
    a.step(5)
    b.step(5)
    np.testing.assert_array_equal(a.snapshot()[0].series("nps"), b.snapshot()[0].series("nps"))


# ------------------------------------------------------------------ page


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
    rc.close()


def week_shown(box) -> int:
    return int(by_class(box, "week-counter")[0].children[0].split()[1])


def test_event_help_never_fails_on_a_made_up_option():
    for options in ({"departments": ["nowhere"]}, {"departments": []}, {"share": "x"}, {"weeks": None}):
        for kind in EVENTS:
            assert components.event_help(kind, options)


def test_page_has_every_control_in_plain_words(page):
    lab, box, rc = page
    shown = " ".join(texts(box))
    for name in levers():
        spec = SPECS[name]
        assert spec.label and all(spec.ends), f"lever {name} needs a plain label and both ends named"
        assert f"{spec.label}: " in shown and spec.meaning in shown
        assert f"{spec.lo:g} {spec.ends[0]}" in shown and f"{spec.hi:g} {spec.ends[1]}" in shown
    for kind in EVENTS:
        assert by_class(box, f"event-{kind}")
        assert components.event_help(kind) in shown
    for kpi in charts.KPIS:
        assert METRICS[kpi.metric].meaning in shown
    assert {i["value"] for i in by_class(box, "scenario-a")[0].items} == set(available())


def test_a_step_re_renders_only_the_numbers_and_charts(page, monkeypatch):
    lab, box, rc = page
    ran = []
    for name in ("Sidebar", "Views", "KpiCards", "ChartView", "KpiValues", "LivePlot", "RunBar", "Page"):
        component = getattr(app, name, None) or getattr(components, name)
        f = component.f
        monkeypatch.setattr(component, "f", lambda *a, __f=f, __n=name, **k: ran.append(__n) or __f(*a, **k))
    by_class(box, "step-btn")[0].click()
    assert week_shown(box) == 1
    assert set(ran) == {"KpiValues", "LivePlot", "RunBar"}, ran


def test_charts_update_in_place_with_data_not_pictures(page):
    lab, box, rc = page
    plots = [w for w in walk(box) if isinstance(w, components.Figure)]
    assert len(plots) == len(app.TABS["Overview"])
    before = [id(t) for t in plots[0].data]
    for _ in range(3):
        by_class(box, "step-btn")[0].click()
    assert [id(t) for t in plots[0].data] == before, "the same traces, new values"
    assert len(plots[0].data[0].y) == 4
    by_class(box, "event-new_ceo")[0].click()
    assert any(s.x0 == 3 for s in plots[0].layout.shapes), "a new mark redraws the figure"


def test_slider_shows_the_value_of_the_run_it_acts_on(page):
    lab, box, rc = page
    by_class(box, "scenario-b")[0].v_model = "baseline"
    lab.set_target("B")
    lab.set_lever("employee_care", 0.9)
    lab.set_target("both")
    by_class(box, "step-btn")[0].click()
    by_class(box, "event-new_ceo")[0].click()  # refreshes the controls
    label = texts(by_class(box, "lever-employee_care")[0])[0]
    assert label.endswith("A 0.5 · B 0.9") or label.endswith(
        f"A {SPECS['employee_care'].default:g} · B 0.9"
    ), label


def test_scenario_pick_says_the_levers_were_reset(page):
    lab, box, rc = page
    name = next(n for n in available() if n != "baseline")
    by_class(box, "scenario-a")[0].v_model = name
    assert lab.runs[0].scenario == name and lab.steps == 0
    assert load_scenario(name).description in texts(box)
    assert by_class(box, "scenario-note")


@pytest.mark.parametrize(
    "target, value",
    [("scenario-a", "../../../../tmp/x/evil"), ("scenario-a", "/etc/passwd.toml"), ("scenario-b", "../evil")],
)
def test_a_modified_page_value_is_refused_beside_its_field(page, target, value):
    lab, box, rc = page
    before = lab.recipe()
    by_class(box, target)[0].v_model = value
    assert lab.recipe() == before
    message = " ".join(texts(by_class(box, "error-scenario")[0]))
    assert "bundled scenarios" in message and "\n" not in message


def test_modified_lever_and_option_values_are_refused_beside_their_fields(page):
    lab, box, rc = page
    slider = next(w for w in walk(by_class(box, "lever-empowerment")[0]) if isinstance(w, v.Slider))
    slider.v_model = 1e9
    assert "from 0 to 1" in " ".join(texts(by_class(box, "error-empowerment")[0]))
    by_class(box, "event-options-service_breakdown")[0].click()
    weeks = next(
        w for w in walk(by_class(box, "option-service_breakdown-weeks")[0]) if isinstance(w, v.TextField)
    )
    weeks.v_model = "9999"
    by_class(box, "event-service_breakdown")[0].click()
    assert by_class(box, "error-event-service_breakdown")
    assert lab.runs[0].model.event_log == [], "nothing fired"
    for name, text in (("n_employees", "10000000"), ("market_size", "abc")):
        field = next(w for w in walk(by_class(box, f"size-{name}")[0]) if isinstance(w, v.TextField))
        field.v_model = text
        by_class(box, "reset-btn")[0].click()
        assert by_class(box, "error-size") and lab.size == SMALL
        field.v_model = str(SMALL[name])


def test_play_stops_at_the_horizon_and_extend_goes_on(page):
    lab, box, rc = page
    lab.horizon = 3
    for _ in range(5):
        if not by_class(box, "step-btn")[0].disabled:
            by_class(box, "step-btn")[0].click()
    assert lab.steps == 3 and by_class(box, "play-btn")[0].disabled
    by_class(box, "extend-btn")[0].click()
    assert lab.horizon == 3 + 52 and not by_class(box, "step-btn")[0].disabled


def test_play_advances_and_redraws_and_pauses_at_the_horizon():
    """The play loop on a small world: every redraw shows at least one new week, and it
    stops by itself at the horizon. (Its speed is measured in benchmarks/.)"""
    lab = small_lab()
    lab.horizon = 30
    playing, speed, tick = solara.reactive(True), solara.reactive(40), solara.reactive(0)
    drawn = threading.Event()

    @solara.component
    def Overview():
        Views(lab, tick, True)

    box, rc = solara.render(Overview(), handle_error=False)
    worker = threading.Thread(
        target=play, args=(lab, playing, speed, tick, drawn, threading.Event()), daemon=True
    )
    worker.start()
    worker.join(120)  # only against a hang
    rc.close()
    assert not worker.is_alive() and not playing.value, "play pauses at the horizon"
    assert lab.steps == 30 and 1 <= tick.value <= 30


def test_pacer_keeps_one_session_at_speed_and_shares_evenly_when_crowded():
    costs = pacing.Costs(step=0.003, draw=0.03)
    pacer = pacing.Pacer(budget=0.75)
    pacer.join("a")
    interval, rate = pacer.plan(20, costs)
    assert rate == 20 and interval == pytest.approx(pacing.MIN_FRAME)
    for i in range(29):
        pacer.join(i)
    interval, rate = pacer.plan(20, costs)
    assert interval == pytest.approx(pacing.MAX_FRAME), "crowded: fewer redraws first"
    assert 1 / interval <= rate < 20, "then fewer weeks, but always at least one per redraw"
    assert rate * costs.step + costs.draw / interval == pytest.approx(0.75 / 30, rel=0.01)


def test_pacer_turns_are_first_come_first_served_and_give_way_to_pause():
    pacer = pacing.Pacer()
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
        with pacer.turn(lambda: True) as got:
            assert not got
    for t in threads:
        t.join(5)
    assert order == ["a", "b", "c"]


# ------------------------------------------------------------------ serving
def asgi_get(
    app_, path: str, client: str = "127.0.0.1", server_addr: str = "127.0.0.1"
) -> tuple[int, dict, bytes]:
    sent, asked = [], []

    async def receive():
        if asked:  # the request was read: the client stays connected
            await asyncio.Event().wait()
        asked.append(1)
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"evil.example:80")],
        "scheme": "http",
        "server": (server_addr, 8765),
        "client": (client, 50000),
    }
    # in a thread of its own: another test may have left an event loop running in this one
    worker = threading.Thread(target=lambda: asyncio.run(app_(scope, receive, send)))
    worker.start()
    worker.join(60)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], {k.decode(): v.decode() for k, v in sent[0]["headers"]}, body


def test_the_asset_cache_is_served_read_only(tmp_path):
    pkg = tmp_path / "@widgetti" / "solara-vuetify-app@10.1.1"
    pkg.mkdir(parents=True)
    (pkg / "app.js").write_text("ok")
    (tmp_path / "requirejs@2.3.6").mkdir()
    (tmp_path / "requirejs@2.3.6" / "__main.js").write_text("main")
    (tmp_path.parent / "secret.txt").write_text("no")
    passed = []

    async def inner(scope, receive, send):
        passed.append(scope["path"])
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    guard = server.guard(inner, tmp_path)
    assert asgi_get(guard, "/_solara/cdn/@widgetti/solara-vuetify-app@10.1.1/app.js")[2] == b"ok"
    assert asgi_get(guard, "/_solara/cdn/requirejs@2.3.6")[2] == b"main"
    for path in (
        "/_solara/cdn/@widgetti/solara-vuetify-app@10.1.1",
        "/_solara/cdn/../secret.txt",
        "/_solara/cdn/nothing@1.0.0/x.js",
        "/_solara/cdn/%2e%2e/secret.txt",
    ):
        assert asgi_get(guard, path)[0] == 404, path
    assert (pkg / "app.js").is_file(), "no request deletes the cache"
    assert passed == []
    assert asgi_get(guard, "/resourcez", client="192.168.1.50")[0] == 404
    assert asgi_get(guard, "/resourcez", client="127.0.0.1")[0] == 299
    assert asgi_get(guard, "/", client="192.168.1.50")[0] == 299


@pytest.mark.parametrize("host", ["0.0.0.0", "0", "::", "::0", "[::]", "0:0:0:0:0:0:0:0", ""])
def test_every_all_interfaces_address_warns(host, capsys, monkeypatch):
    monkeypatch.setenv("CX_DASHBOARD_LIMITS", "")
    monkeypatch.setattr(server, "run", lambda h, p: 0)
    monkeypatch.setattr("viz.assets.missing", lambda *a, **k: [])
    assert serve.serve(host=host, port=9999) == 0
    assert "warning: serving on all interfaces" in capsys.readouterr().err


def test_loopback_does_not_warn_and_runs_in_this_process(capsys, monkeypatch):
    monkeypatch.setenv("CX_DASHBOARD_LIMITS", "")  # serve() sets it: undone after the test
    monkeypatch.setenv("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    calls = []
    monkeypatch.setattr(server, "run", lambda h, p: calls.append((h, p)) or 0)
    monkeypatch.setattr("viz.assets.missing", lambda *a, **k: [])
    assert serve.serve(host="127.0.0.1", port=9999, limits={"n_employees": 50, "market_size": 900}) == 0
    assert calls == [("127.0.0.1", 9999)] and "warning" not in capsys.readouterr().err
    assert json.loads(serve.os.environ["CX_DASHBOARD_LIMITS"]) == {"n_employees": 50, "market_size": 900}


def test_the_server_command_runs_a_module():
    assert serve.command("127.0.0.1", 9001)[1:3] == ["-m", "viz.server"]
    assert serve.environment()["REACTON_FAST"] == "1"
    assert Path(serve.APP).is_file()


def test_a_port_in_use_is_one_line_before_anything_starts():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(serve.ServeError, match=f"cannot listen on 127.0.0.1 port {port}"):
            serve.check_address("127.0.0.1", port)
