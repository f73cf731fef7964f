"""The workshop's routes under ``/workshop`` (Solara multi-page routing; ``viz.app`` mounts
them beside the explorer) and their layout: an app bar with the way back to the lobby,
the page's style, and the cookies this browser is asked to keep."""

from __future__ import annotations

import solara

from viz.rooms.console import ConsolePage
from viz.rooms.lobby import Lobby
from viz.rooms.room import BASE, CSS, PHONE, narrow
from viz.rooms.session import cookie_writes
from viz.rooms.team import TeamPage
from viz.rooms.watch import WatchPage
from viz.rooms.widgets import BrowserHooks


@solara.component
def Cookies() -> None:
    """Writes the secrets entered in this session into the browser's cookies; keeps the
    page's charts as wide as their boxes; tells the pages whether this is a phone."""
    BrowserHooks.element(
        cookies=cookie_writes(), fit_charts=True, on_width=lambda w: narrow.set(0 < w < PHONE)
    )


@solara.component
def RoomLayout(children: list = []) -> None:  # noqa: B006 - Solara's layout signature
    from viz.app import CSS as EXPLORER_CSS  # the KPI cards' and charts' style

    solara.Style(EXPLORER_CSS + CSS)
    solara.Title("CX Culture Lab workshop")
    # One child besides the app bar, so the layout has no drawer (nor a menu icon that opens nothing):
    # the title goes to the app bar through its portal from inside the page's column.
    with solara.AppLayout(sidebar_open=False, navigation=False):
        with solara.AppBar():
            with solara.Link(BASE):
                solara.Button("Lobby", icon_name="mdi-home", text=True, dark=True)
        with solara.Column(style={"padding": "4px 6px"}):
            solara.AppBarTitle("CX Culture Lab workshop")
            Cookies()
            solara.Column(children=children, style={"padding": "0"})


routes = [
    solara.Route("/", component=Lobby, label="Lobby"),
    solara.Route("console", component=ConsolePage, label="Console"),
    solara.Route("team", component=TeamPage, label="Team"),
    solara.Route("watch", component=WatchPage, label="Watch"),
]
