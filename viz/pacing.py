"""Pacing of playing sessions: how the play loops of one server process share its core.

One server process runs Python on one core, and every session playing in it
shares that core, so the play loops of a process pace themselves together
(``PACER``, one per process):

* Budget: the playing sessions together use at most ``BUDGET`` of a core,
  leaving the rest for clicks, page loads and the websockets; each playing
  session gets an even share, ``BUDGET / players``, of CPU time per second.
* Costs are measured, not assumed: each session keeps running averages of
  the CPU time of a week's step and of a redraw (a run compared with another
  costs about twice as much as one run alone), starting from the averages
  over all the process's sessions.
* Within its share a session keeps, in this order: a redraw at least every
  ``MAX_FRAME`` seconds; its chosen speed in weeks per second; then more
  redraws, up to one every ``MIN_FRAME`` seconds. When the share cannot pay
  for the chosen speed the weeks slow down (never below one week per
  redraw), so many players degrade every session evenly instead of starving
  some of them.
* Turns: a session steps and redraws only when it holds the process's turn,
  handed out first come, first served, so at most one play loop runs Python
  at a time. Clicks (Step, Pause, levers, events) do not queue for the turn,
  so they stay responsive with many sessions playing.

``play`` is the loop itself; it stops at the run's horizon.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import solara

from viz.lab import Lab

DEFAULT_SPEED = 20  # weeks per second
MAX_BEHIND = 2.0  # seconds of weeks that may be stepped at once when drawing is slow
DRAW_WAIT = 0.25  # seconds to wait for a redraw another thread is doing; frames are paced anyway
BUDGET = 0.75  # share of one core that playing sessions may use together; the rest keeps clicks quick
MIN_FRAME = 0.2  # seconds between redraws at best: five a second look smooth
MAX_FRAME = 2.0  # seconds between redraws at worst: slower than this, the charts look stuck
TURN_POLL = 0.1  # seconds between checks for Pause while waiting for the turn
# Starting guesses of the CPU costs, replaced by measurements after the first frames
# (seconds; measured on a 2-core laptop at the default size).
FIRST_STEP_COST = 0.004
FIRST_DRAW_COST = 0.05
COST_MEMORY = 0.2  # weight of the newest measurement in the running averages
OUTLIER = 3.0  # a measurement counts at most this many times the running average


class Costs:
    """Running averages of CPU seconds per week stepped and per redraw."""

    def __init__(self, step: float = FIRST_STEP_COST, draw: float = FIRST_DRAW_COST) -> None:
        self.step = step
        self.draw = draw
        self._lock = threading.Lock()

    def copy(self) -> Costs:
        with self._lock:
            return Costs(self.step, self.draw)

    def record(self, weeks: int, step_seconds: float, draw_seconds: float | None) -> None:
        """Fold in one frame: ``weeks`` stepped in ``step_seconds``, drawn in ``draw_seconds``
        (None when another thread drew it). A rare full chart redraw counts at most
        ``OUTLIER`` times the average, so one does not slow a session for many frames."""
        with self._lock:
            if weeks > 0:
                self.step += COST_MEMORY * (min(step_seconds / weeks, OUTLIER * self.step) - self.step)
            if draw_seconds is not None:
                self.draw += COST_MEMORY * (min(draw_seconds, OUTLIER * self.draw) - self.draw)


class Pacer:
    """Shares one server process among the sessions playing in it (see the module docstring)."""

    def __init__(self, budget: float = BUDGET) -> None:
        self.budget = budget
        self.costs = Costs()  # all sessions' frames: a new session starts from what they cost
        self._cond = threading.Condition()
        self._queue: deque[object] = deque()
        self._busy = False
        self._players: set[object] = set()

    @property
    def players(self) -> int:
        """Sessions playing now."""
        with self._cond:
            return len(self._players)

    def join(self, who: object) -> None:
        with self._cond:
            self._players.add(who)

    def leave(self, who: object) -> None:
        with self._cond:
            self._players.discard(who)

    def plan(self, speed: float, costs: Costs) -> tuple[float, float]:
        """Seconds between redraws and weeks per second for a session wanting ``speed``."""
        share = self.budget / max(1, self.players)
        fewest = costs.draw / MAX_FRAME  # CPU per second of the slowest acceptable redraws
        rate = min(float(speed), max(0.0, share - fewest) / costs.step)
        frames = min(1 / MIN_FRAME, max(1 / MAX_FRAME, (share - rate * costs.step) / costs.draw))
        return 1 / frames, max(rate, frames)  # at least a week per redraw: always moving

    @contextmanager
    def turn(self, stopped: Callable[[], bool]) -> Iterator[bool]:
        """Wait for this process's turn, first come first served. Yields True holding the
        turn, or False (without it) when ``stopped()`` became true while waiting."""
        me, got = object(), False
        with self._cond:
            self._queue.append(me)
            try:
                while self._busy or self._queue[0] is not me:
                    if stopped():
                        break
                    self._cond.wait(TURN_POLL)
                else:
                    self._busy = got = True
            finally:
                self._queue.remove(me)
                self._cond.notify_all()
        try:
            yield got
        finally:
            if got:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()


PACER = Pacer()  # one per server process: its sessions share one core


def play(
    lab: Lab,
    playing: solara.Reactive[bool],
    speed: solara.Reactive[int],
    tick: solara.Reactive[int],
    drawn: threading.Event,
    cancel: threading.Event,
    pacer: Pacer = PACER,
) -> None:
    """Advance ``lab`` at ``speed`` weeks per second while ``playing``; bump ``tick`` to redraw.

    Weeks fall due at the pace ``pacer.plan`` allows; each frame, when due and
    when the session holds the process's turn, steps the weeks due and redraws
    once, so a slow redraw only means the next one shows more weeks at once.
    Pauses by itself at the run's horizon.
    """
    me = object()
    pacer.join(me)
    costs = pacer.costs.copy()  # this session's own: comparing two runs costs about twice as much
    try:
        last, credit, next_frame = time.perf_counter(), 1.0, 0.0

        def stopped() -> bool:
            return not playing.value or cancel.is_set()

        while not stopped():
            now = time.perf_counter()
            interval, rate = pacer.plan(speed.value, costs)
            credit = min(credit + (now - last) * rate, max(MAX_BEHIND, 2 * interval) * rate)
            last = now
            due = min(int(credit), lab.horizon - lab.steps)
            if now < next_frame or (due <= 0 and not lab.at_end):
                wait = next_frame - now if now < next_frame else (1.0 - credit) / rate
                time.sleep(min(max(0.005, wait), 0.05))
                continue
            with pacer.turn(stopped) as got:
                if not got:
                    break
                started = time.perf_counter()
                cpu0 = time.thread_time()
                due = lab.step(due)
                cpu1 = time.thread_time()
                drawn.clear()
                tick.set(tick.value + 1)  # redraws the views (in this thread unless a redraw is running)
                cpu2 = time.thread_time()
                here = drawn.is_set()
            for c in (costs, pacer.costs):
                c.record(due, cpu1 - cpu0, cpu2 - cpu1 if here else None)
            credit -= due
            next_frame = started + interval
            if lab.at_end:
                playing.set(False)
            if not here:
                drawn.wait(timeout=DRAW_WAIT)
    finally:
        pacer.leave(me)
