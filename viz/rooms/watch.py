"""An observer's view (``/workshop/watch?code=...``): read-only. The join code shows the
room's state and which teams have submitted, and the leaderboard once revealed."""

from __future__ import annotations

import html

import solara

from viz.rooms import parts
from viz.rooms.room import BASE, code_from, use_version
from viz.rooms.session import client, hub, opened
from workshop import Observer


def open_observer(code: str) -> tuple[Observer | None, str | None]:
    return opened(lambda: hub().observe(code, client()))


@solara.component
def WatchPage() -> None:
    router = solara.use_router()
    code = code_from(router)
    observer, problem = solara.use_memo(lambda: open_observer(code), [code])
    if observer is None:
        with solara.Div(classes=["room", "room-card"]):
            solara.Error(problem or "Give the workshop's join code.")
            with solara.Link(BASE):
                solara.Button("Back to the workshop lobby", text=True)
        return
    Watch(observer)


@solara.component
def Watch(observer: Observer) -> None:
    version = use_version(observer.version)
    state, why = solara.use_memo(
        lambda: opened(lambda: (observer.status(), observer.leaderboard())), [version.value]
    )
    if version.value < 0 or why:
        solara.Error(why or "This workshop has been deleted.")
        return
    status, board = state
    rows = "".join(
        f"<tr><td class='text'>{html.escape(t.name)}</td>"
        f"<td class='text'>{'submitted' if t.submitted else 'deciding'}</td></tr>"
        for t in status.teams
    )
    with solara.Column(classes=["room", "watch"], gap="10px"):
        with solara.Div(classes=["room-card"]):
            solara.HTML(tag="h1", unsafe_innerHTML=html.escape(status.title))
            solara.Text(f"Join code {status.shown_code} (you are watching: nothing here can be changed)")
            parts.RoundState(status)
        with solara.Div(classes=["room-card"]):
            solara.HTML(tag="h2", unsafe_innerHTML=f"Teams ({len(status.teams)})")
            parts.html_block(
                f"<table class='watch-teams'><thead><tr><th class='text'>Team</th><th class='text'>Round "
                f"{status.deciding or status.rounds}</th></tr></thead><tbody>{rows}</tbody></table>"
            )
        with solara.Div(classes=["room-card"]):
            solara.HTML(tag="h2", unsafe_innerHTML="Leaderboard")
            if board:
                parts.html_block(parts.leaderboard_table(board))
            else:
                solara.Text("The facilitator has not revealed the leaderboard yet.")
