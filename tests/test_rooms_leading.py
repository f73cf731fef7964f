"""Pages wait for the page that leads a change (the console playing a round) before they render it."""

from __future__ import annotations

import threading
import time

from viz.rooms import room


def test_pages_look_only_after_the_leading_page_has_shown_its_change():
    order: list[str] = []
    looked = threading.Event()

    def page() -> None:
        room._after_leaders()
        order.append("page")
        looked.set()

    with room.leading():
        waiting = threading.Thread(target=page)
        waiting.start()
        assert not looked.wait(0.3), "a page looked while the console was still playing the round"
        order.append("console")
    assert looked.wait(5)
    waiting.join()
    assert order == ["console", "page"]


def test_without_a_leader_a_page_looks_at_once_and_a_stuck_leader_holds_it_back_only_so_long(monkeypatch):
    t0 = time.monotonic()
    room._after_leaders()
    assert time.monotonic() - t0 < 0.1
    monkeypatch.setattr(room, "LEAD_SECONDS", 0.2)
    with room.leading():
        t0 = time.monotonic()
        room._after_leaders()
        assert 0.15 < time.monotonic() - t0 < 2
