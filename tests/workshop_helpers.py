"""Shared set-up of the workshop tests: a small firm, a clock the tests move, a plan of decisions."""

from __future__ import annotations

from workshop import Hub, WorkshopConfig

# A small firm: every round takes milliseconds, so tests can play many.
SMALL = {"n_employees": 60, "market_size": 1500, "initial_customers": 300}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def small_config(**overrides) -> WorkshopConfig:
    settings = {"scenario": "baseline", "rounds": 4, "round_weeks": 4, "seed": 7, "params": SMALL}
    settings.update(overrides)
    return WorkshopConfig(**settings)


def new_room(data_dir, teams=("Red", "Blue", "Green"), clock=None, **overrides):
    """A hub, a new small workshop, its console and a seat per team."""
    hub = Hub(data_dir, clock=clock or Clock())
    created = hub.create(small_config(**overrides))
    console = hub.facilitator(created.code, created.key)
    seats = {name: hub.join(created.code, name) for name in teams}
    return hub, created, console, seats


# What each team decides in each round (round -> team -> (levers, actions)); a team
# missing from a round does not submit it.
PLAN = {
    1: {
        "Red": ({"empowerment": 0.9, "metric_focus": 0.8}, [{"action": "culture_programme"}]),
        "Blue": ({"service_staffing": 0.7, "metric_focus": 0.1, "training_intensity": 0.1}, []),
        "Green": ({}, [{"action": "service_investment", "level": 0.4}]),
    },
    2: {
        "Red": ({"leadership_commitment": 0.9}, []),
        "Blue": ({"employee_care": 0.2}, [{"action": "layoffs", "share": 0.1}]),
    },
    3: {
        "Red": ({}, [{"action": "values_hiring", "level": 0.8}]),
        "Green": ({"bad_practice": 0.2}, []),
    },
    4: {"Blue": ({"service_staffing": 1.2}, [])},
}


def play(console, seats, rounds, plan=PLAN):
    """Open, submit the plan's decisions and advance, for ``rounds`` (an iterable of round numbers)."""
    for r in rounds:
        console.open_window()
        for team, (levers, actions) in plan.get(r, {}).items():
            if team in seats:
                seats[team].submit(levers, actions)
        console.advance(expect_round=r)


# --------------------------------------------------------------------------- child processes
def submit_in_child(data_dir, code, token, levers, barrier, answers) -> None:
    """In a separate process: rejoin a team by its token, wait for the others, submit."""
    seat = Hub(data_dir).rejoin(code, token)
    barrier.wait()
    try:
        seat.submit(levers)
        answers.put((seat.name, levers, "ok"))
    except Exception as exc:  # the test looks at what each process was told
        answers.put((seat.name, levers, f"{type(exc).__name__}: {exc}"))


def advance_in_child(data_dir, code, key, barrier, answers) -> None:
    """In a separate process: open the console, wait for the others, advance round 1."""
    console = Hub(data_dir).facilitator(code, key)
    barrier.wait()
    try:
        console.advance(expect_round=1)
        answers.put(("facilitator", None, "ok"))
    except Exception as exc:
        answers.put(("facilitator", None, f"{type(exc).__name__}: {exc}"))


def drive(data_dir, code, key, tokens, plan=PLAN) -> None:
    """Play a workshop to its end from wherever it stands, saying on stdout what was committed
    (the kill -9 test runs this in a process it kills and restarts)."""

    def say(text):
        print(text, flush=True)

    hub = Hub(data_dir)
    console = hub.facilitator(code, key)
    seats = {name: hub.rejoin(code, token) for name, token in tokens.items()}
    say("ready")
    while not (status := console.status()).finished:
        r = status.rounds_done + 1
        if not status.window_open:
            console.open_window()
            say(f"opened {r}")
        submitted = {t.name for t in status.teams if t.submitted}
        for team, (levers, actions) in plan.get(r, {}).items():
            if team not in submitted:
                say(f"submitting {r} {team}")
                seats[team].submit(levers, actions)
                say(f"submitted {r} {team}")
        say(f"advancing {r}")
        console.advance(expect_round=r)
        say(f"advanced {r}")
    say("done")
