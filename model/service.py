"""The support queue: a contact centre open some hours a week, staffed in shifts.

* ``erlang_c``: the closed form for M/M/n without abandonment [erlang1917];
* ``erlang_a``: the closed form for M/M/n+M with exponential patience
  (Erlang A, [garnett2002] [mandelbaum2007]); the model solves each kind of
  open hour with it;
* ``planned_agents``: how many agents a planner puts on duty so that answered
  contacts wait ``target`` seconds on average, on the forecast load;
* ``centre_week``: a week of a centre whose busy hours get more contacts than
  its quiet ones [gans2003] and whose fractional roster alternates between
  ``floor(n)`` and ``floor(n) + 1`` agents from hour to hour;
* ``draw_contacts``: each contact's hold time and hang-up, consistently with it.

Rates are per hour; waits are in minutes unless a name says seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import gammainc


@dataclass(frozen=True)
class QueueStats:
    """Steady-state performance of a contact centre."""

    p_wait: float  # probability an arriving contact has to wait
    mean_wait: float  # mean wait of all arriving contacts, minutes
    p_abandon: float  # probability an arriving contact hangs up
    occupancy: float  # share of agent time spent handling contacts


def erlang_b(n: int, a: float) -> float:
    """Erlang B blocking probability for ``n`` servers and offered load ``a`` (stable recursion)."""
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(lam: float, mu: float, n: int, answer_within_min: float = 20 / 60) -> dict[str, float]:
    """Erlang C (M/M/n, no abandonment): probability of waiting, mean wait
    (minutes) and the share answered within ``answer_within_min`` minutes.

    Raises:
        ValueError: if the load is not below the number of agents (no steady state).
    """
    a = lam / mu
    if a >= n:
        raise ValueError(f"unstable: offered load {a:g} Erlang needs more than {n} agents")
    b = erlang_b(n, a)
    c = b / (1.0 - (a / n) * (1.0 - b))
    gap = n * mu - lam  # per hour
    return {
        "p_wait": c,
        "mean_wait": 60.0 * c / gap,
        "service_level": 1.0 - c * math.exp(-gap * answer_within_min / 60.0),
    }


def abandonment_factor(x: float, y: float) -> tuple[float, float]:
    """``log A(x, y)`` and ``P(abandon | wait)`` of an Erlang A centre, where
    ``A(x, y) = 1 + sum_{j>=1} y^j / prod_{i=1..j} (x + i)`` with ``x = n mu / theta``
    and ``y = lam / theta`` [mandelbaum2007].

    Where ``A``'s series converges fast (``y < x / 2``: each term at most half
    the last), or ``P`` below is too small to hold in a float, it is summed;
    otherwise ``A = x e^y y^-x Gamma(x) P(x, y)``, ``P`` the regularised lower
    incomplete gamma function, and ``P(abandon | wait) = 1 / (rho A) + 1 - 1 / rho``
    with ``rho = y / x``.
    """
    if y < 0.5 * x or (p := float(gammainc(x, y))) < 1e-250:
        term = total = 1.0
        weighted, j = 0.0, 0
        while term > 1e-17 * total:
            j += 1
            term *= y / (x + j)
            total += term
            weighted += j * term
        return math.log(total), weighted / (y * total)  # sum j t_j / (y A)
    log_a = math.log(x) + y - x * math.log(y) + math.lgamma(x) + math.log(p)
    given_wait = math.exp(-math.log(y / x) - log_a) + 1.0 - x / y
    return log_a, min(1.0, max(0.0, given_wait))


def _degenerate(lam: float, theta: float) -> QueueStats:
    """The centres without a queue to solve: nobody calls, or nobody answers
    (then everyone holds until they hang up)."""
    if lam <= 0:
        return QueueStats(0.0, 0.0, 0.0, 0.0)
    return QueueStats(1.0, 60.0 / theta, 1.0, 0.0)


def erlang_a(lam: float, mu: float, theta: float, n: int) -> QueueStats:
    """Stationary M/M/n+M queue (Erlang A) in closed form [garnett2002] [mandelbaum2007].

    With Erlang B's ``B`` for ``n`` agents and ``A`` from ``abandonment_factor``:
    ``P(wait) = B A / (1 + B (A - 1))``; ``P(abandon) = P(wait) P(abandon | wait)``;
    the mean wait is ``P(abandon) / theta`` (Garnett's identity); occupancy is
    the work served, ``lam (1 - P(abandon)) / mu``, per agent.

    Args:
        lam: arrival rate per hour; mu: service rate per agent per hour;
        theta: abandonment rate per hour (1 / mean patience); n: agents.
    """
    if lam <= 0 or n <= 0:
        return _degenerate(lam, theta)
    log_a, given_wait = abandonment_factor(n * mu / theta, lam / theta)
    b = erlang_b(n, lam / mu)
    z = -(math.log(b) + log_a) if b > 0 else math.inf  # log((1 / B A))
    p_wait = 0.0 if z > 700 else 1.0 / (1.0 + (1.0 - b) * math.exp(z))
    p_abandon = p_wait * given_wait
    return QueueStats(
        p_wait=p_wait,
        mean_wait=60.0 * p_abandon / theta,
        p_abandon=p_abandon,
        occupancy=lam * (1.0 - p_abandon) / (mu * n),
    )


def wait_rate(stats: QueueStats, theta: float) -> float:
    """Rate (per minute) of the exponential wait a queued contact would need,
    chosen so that with exponential patience ``theta`` (per hour)
    P(abandon) = ``p_abandon``; then the mean hold time is ``mean_wait``
    (Garnett's identity P(ab) = theta E[W])."""
    theta_min = theta / 60.0
    if stats.p_abandon > 0 and stats.p_wait > 0:
        return theta_min * max(stats.p_wait / stats.p_abandon - 1.0, 1e-9)
    return stats.p_wait / stats.mean_wait if stats.mean_wait > 0 else math.inf


def with_callbacks(
    lam: float, mu: float, theta: float, n: int, offer: float, threshold_minutes: float
) -> tuple[QueueStats, float]:
    """Erlang A centre where callers who would hold longer than the threshold
    are offered a callback and a share ``offer`` take it: they leave the queue
    and are called back in idle time, which cuts the wait of everyone else.

    The callback share is taken from the centre without callbacks (one step of
    the fixed point). Returns the stats of the queue that remains (occupancy
    including the callbacks' work) and the share of contacts called back.
    """
    stats = erlang_a(lam, mu, theta, n)
    if offer <= 0 or stats.p_wait <= 0 or n <= 0:  # nobody to call back
        return stats, 0.0
    share = offer * stats.p_wait * math.exp(-wait_rate(stats, theta) * threshold_minutes)
    queued = erlang_a(lam * (1.0 - share), mu, theta, n)
    occupancy = min(1.0, queued.occupancy + lam * share / (mu * n))
    return QueueStats(queued.p_wait, queued.mean_wait, queued.p_abandon, occupancy), share


def answered_wait(stats: QueueStats, theta: float) -> float:
    """Mean wait of the answered contacts (speed of answer), minutes, under the
    sampler's model of ``draw_contacts``: a contact that must wait needs an
    exponential wait of rate ``nu = wait_rate``, and is answered when that comes
    before its patience (rate ``theta``), after ``1 / (nu + theta)`` on average."""
    if stats.p_wait <= 0 or stats.p_abandon >= 1:
        return 0.0
    nu, th = wait_rate(stats, theta), theta / 60.0
    if not math.isfinite(nu):
        return 0.0
    answered_after_waiting = stats.p_wait * nu / (nu + th)
    return answered_after_waiting / (nu + th) / (1.0 - stats.p_abandon)


def planned_agents(lam: float, mu: float, theta: float, target_seconds: float, most: int = 10_000) -> float:
    """Agents a planner puts on duty for ``lam`` contacts an hour: the fewest
    with which answered contacts wait ``target_seconds`` on average, as a
    fraction between the last whole number that misses the target and the
    first that meets it (a roster alternating between them over the week); at
    least one while the channels are open."""
    if lam <= 0:
        return 1.0
    target = target_seconds / 60.0
    n = max(1, math.floor(lam / mu))
    wait = answered_wait(erlang_a(lam, mu, theta, n), theta)
    if wait <= target:  # already met: come down to the first whole number that misses it
        while n > 1:
            more = wait
            wait = answered_wait(erlang_a(lam, mu, theta, n - 1), theta)
            if wait > target:
                return n - 1 + (wait - target) / (wait - more)
            n -= 1
        return 1.0
    while n < most:
        less = wait
        n += 1
        wait = answered_wait(erlang_a(lam, mu, theta, n), theta)
        if wait <= target:
            return n - 1 + (less - target) / (less - wait)
    return float(most)


@dataclass(frozen=True)
class Hours:
    """One kind of open hour: its share of the week's open hours, contacts an hour and agents."""

    share: float
    lam: float
    agents: int


def open_hours(lam: float, agents: float, peak: float) -> list[Hours]:
    """The week's open hours as four kinds: busy hours get ``1 + peak`` times the
    average contacts, quiet ones ``1 - peak`` (half of the hours each); a
    fractional roster of ``agents`` has ``floor`` agents in part of each and one more in the rest."""
    low = math.floor(agents)
    extra = agents - low
    kinds = []
    for load in (1.0 + peak, 1.0 - peak) if peak > 0 else (1.0,):
        weight = 0.5 if peak > 0 else 1.0
        for n, share in ((low, 1.0 - extra), (low + 1, extra)):
            if share > 0:
                kinds.append(Hours(weight * share, lam * load, n))
    return kinds


@dataclass(frozen=True)
class CentreWeek:
    """A week at the contact centre: each kind of open hour and its steady state."""

    hours: tuple[Hours, ...]
    stats: tuple[QueueStats, ...]
    called_back: tuple[float, ...]  # share of each kind's contacts called back
    contact_share: np.ndarray  # share of the week's contacts arriving in each kind of hour
    occupancy: float  # busy share of the agents' time on duty
    # for draw_contacts, by kind of hour: the inner edges of the cumulative contact
    # share, the probability of waiting and the rate of the wait needed (see wait_rate)
    edges: np.ndarray
    p_wait: np.ndarray
    wait_rate: np.ndarray

    @property
    def p_abandon(self) -> float:
        """Expected share of contacts that hang up."""
        abandon = [s.p_abandon * (1.0 - b) for s, b in zip(self.stats, self.called_back, strict=True)]
        return float(self.contact_share @ np.array(abandon))


def centre_week(
    lam: float,
    mu: float,
    theta: float,
    agents: float,
    peak: float,
    callback_offer: float,
    callback_threshold_minutes: float,
) -> CentreWeek:
    """The steady state of each kind of open hour (see ``open_hours``), with
    callbacks offered as in ``with_callbacks``; ``lam`` is the week's average
    contacts an hour."""
    hours = tuple(open_hours(lam, agents, peak))
    solved = [
        with_callbacks(h.lam, mu, theta, h.agents, callback_offer, callback_threshold_minutes) for h in hours
    ]
    weights = np.array([h.share * h.lam for h in hours])
    total = weights.sum()
    share = weights / total if total > 0 else np.array([h.share for h in hours])
    agent_time = sum(h.share * h.agents for h in hours)
    busy = sum(h.share * h.agents * s.occupancy for h, (s, _) in zip(hours, solved, strict=True))
    stats = tuple(s for s, _ in solved)
    return CentreWeek(
        hours=hours,
        stats=stats,
        called_back=tuple(b for _, b in solved),
        contact_share=share,
        occupancy=busy / agent_time if agent_time > 0 else 0.0,
        edges=np.cumsum(share)[:-1],
        p_wait=np.array([s.p_wait for s in stats]),
        wait_rate=np.array([wait_rate(s, theta) for s in stats]),
    )


@dataclass(frozen=True)
class Contacts:
    """What happened to some contacts: minutes held, hung up, called back."""

    held: np.ndarray
    hung_up: np.ndarray
    called_back: np.ndarray

    @property
    def answered(self) -> np.ndarray:
        return ~self.hung_up


def draw_contacts(
    week: CentreWeek,
    theta: float,
    count: int,
    callback_offer: float,
    callback_threshold: float,
    callback_wait_factor: float,
    rng: np.random.Generator,
) -> Contacts:
    """Draw what happens to ``count`` contacts of the week: each arrives in a kind
    of open hour (by ``contact_share``), waits with that hour's probability, for
    an exponential time of rate ``wait_rate`` if it must, and hangs up when its
    exponential patience (rate ``theta``) runs out first. Those who would wait
    beyond the threshold take a callback with probability ``callback_offer``;
    a callback's delay counts ``callback_wait_factor`` of holding. ``theta`` is
    the one ``week`` was solved with."""
    u = rng.random((4, count))
    kind = (u[0] >= week.edges[:, None]).sum(axis=0)  # the inner edges passed (no branchy search)
    waiting = np.flatnonzero(u[1] < week.p_wait[kind])  # only they need a wait and a patience
    wait = -np.log1p(-u[2, waiting]) / week.wait_rate[kind[waiting]]
    patience = -np.log1p(-u[3, waiting]) * (60.0 / theta)
    gives_up = patience < wait
    needed = np.zeros(count)
    needed[waiting] = wait
    hung_up = np.zeros(count, dtype=bool)
    hung_up[waiting] = gives_up
    held = needed.copy()
    held[waiting[gives_up]] = patience[gives_up]
    if callback_offer > 0:
        called_back = (needed > callback_threshold) & (rng.random(count) < callback_offer)
        hung_up &= ~called_back
        held[called_back] = callback_wait_factor * needed[called_back]
    else:
        called_back = np.zeros(count, dtype=bool)
    return Contacts(held, hung_up, called_back)
