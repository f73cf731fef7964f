"""The support queue: contacts wait for agents; impatient callers hang up.

Three independent pieces, so each checks the others:

* ``erlang_c``: the closed form for M/M/n without abandonment [erlang1917];
* ``erlang_a``: the closed form for M/M/n+M (Erlang A, [garnett2002]
  [mandelbaum2007]); the model uses it each week;
* ``erlang_a_chain``: the same queue's stationary birth-death chain, solved
  numerically: an independent check of ``erlang_a``;
* ``simulate_queue``: a contact-by-contact discrete-event simulation of a
  first-come-first-served centre with impatient callers, for validation.

Rates are per hour; waits are returned in minutes.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np
from scipy.special import gammainc, gammaln


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


def _degenerate(lam: float, theta: float, n: int) -> QueueStats | None:
    """The centres without a queue to solve: nobody calls, or nobody answers
    (then everyone holds until they hang up)."""
    if lam <= 0:
        return QueueStats(0.0, 0.0, 0.0, 0.0)
    if n <= 0:
        return QueueStats(1.0, 60.0 / theta, 1.0, 0.0)
    return None


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
    if (degenerate := _degenerate(lam, theta, n)) is not None:
        return degenerate
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


def erlang_a_chain(lam: float, mu: float, theta: float, n: int) -> QueueStats:
    """Stationary M/M/n+M queue (Erlang A) from its birth-death chain, solved
    numerically: an independent check of ``erlang_a`` (used by the tests), with
    the same arguments."""
    if (degenerate := _degenerate(lam, theta, n)) is not None:
        return degenerate
    extra = max(0.0, (lam - n * mu) / theta) + 12.0 * math.sqrt(lam / theta) + 50.0
    k = np.arange(1, n + int(extra) + 1)
    death = np.minimum(k, n) * mu + np.maximum(k - n, 0) * theta
    logpi = np.concatenate(([0.0], np.cumsum(np.log(lam) - np.log(death))))
    pi = np.exp(logpi - logpi.max())
    pi /= pi.sum()
    states = np.arange(len(pi))
    queue = np.maximum(states - n, 0)
    lq = float(queue @ pi)
    return QueueStats(
        p_wait=float(pi[n:].sum()),
        mean_wait=60.0 * lq / lam,
        p_abandon=min(1.0, theta * lq / lam),
        occupancy=float(np.minimum(states, n) @ pi) / n,
    )


def erlang_c_log_form(lam: float, mu: float, n: int) -> dict[str, float]:
    """Erlang C from its log-gamma closed form: an independent check of ``erlang_c`` (used by the tests)."""
    a = lam / mu
    log_term = n * math.log(a) - gammaln(n + 1) + math.log(n / (n - a))
    ks = np.arange(n)
    log_sum = np.logaddexp.reduce(ks * math.log(a) - gammaln(ks + 1))
    c = 1.0 / (1.0 + math.exp(log_sum - log_term))
    return {"p_wait": c, "mean_wait": 60.0 * c / (n * mu - lam)}


def simulate_queue(
    lam: float,
    mu: float,
    n: int,
    theta: float,
    hours: float,
    rng: np.random.Generator,
    warmup_hours: float = 0.0,
) -> dict[str, np.ndarray]:
    """Discrete-event simulation of a FCFS centre with ``n`` agents, Poisson
    arrivals, exponential handling and (if ``theta > 0``) exponential patience.

    Agents are assigned in arrival order; a caller whose wait would exceed their
    patience hangs up and takes no agent time.

    Returns:
        per contact after the warm-up: ``arrival`` (hours), ``wait`` (minutes,
        the time held, also for those who hang up), ``abandoned`` (bool).
    """
    count = rng.poisson(lam * hours)
    arrival = np.sort(rng.uniform(0.0, hours, count))
    handle = rng.exponential(1.0 / mu, count)
    patience = rng.exponential(1.0 / theta, count) if theta > 0 else np.full(count, np.inf)
    free = [0.0] * n  # heap of times at which agents become free
    wait = np.empty(count)
    abandoned = np.zeros(count, dtype=bool)
    for i, (t, h, pat) in enumerate(zip(arrival.tolist(), handle.tolist(), patience.tolist(), strict=True)):
        start = free[0] if free[0] > t else t
        if start - t > pat:
            wait[i] = pat
            abandoned[i] = True
        else:
            wait[i] = start - t
            heapq.heapreplace(free, start + h)
    keep = arrival >= warmup_hours
    return {"arrival": arrival[keep], "wait": 60.0 * wait[keep], "abandoned": abandoned[keep]}


def batch_mean_se(values: np.ndarray, times: np.ndarray, batches: int = 30) -> tuple[float, float]:
    """Mean and batch-means standard error of a time-ordered simulation output."""
    edges = np.linspace(times.min(), times.max(), batches + 1)
    which = np.clip(np.searchsorted(edges, times, side="right") - 1, 0, batches - 1)
    sums = np.bincount(which, weights=values, minlength=batches)
    counts = np.bincount(which, minlength=batches)
    means = sums[counts > 0] / counts[counts > 0]
    return float(values.mean()), float(means.std(ddof=1) / math.sqrt(len(means)))


def required_agents(load_erlang: float, staffing: float, safety: float) -> int:
    """Agents on duty: square-root staffing ``R + beta sqrt(R)`` [halfin1981]
    scaled by the staffing lever; at least one."""
    if load_erlang <= 0:
        return 1
    return max(1, round(staffing * (load_erlang + safety * math.sqrt(load_erlang))))


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
    if offer <= 0 or stats.p_wait <= 0:
        return stats, 0.0
    share = offer * stats.p_wait * math.exp(-wait_rate(stats, theta) * threshold_minutes)
    queued = erlang_a(lam * (1.0 - share), mu, theta, n)
    occupancy = min(1.0, queued.occupancy + lam * share / (mu * n))
    return QueueStats(queued.p_wait, queued.mean_wait, queued.p_abandon, occupancy), share


def draw_contacts(stats: QueueStats, theta: float, count: int, rng: np.random.Generator):
    """Draw each contact's hold time (minutes) and whether it hangs up,
    consistently with the steady state ``stats``.

    A contact waits with probability ``p_wait``; the time it would need to wait
    is exponential with rate ``wait_rate``, its patience exponential with rate
    ``theta``; it hangs up when patience runs out first.

    Returns:
        (needed wait in minutes, held time in minutes, abandoned flags).
    """
    waits = rng.random(count) < stats.p_wait
    nu = wait_rate(stats, theta)
    needed = np.where(waits, rng.exponential(1.0, count) / nu, 0.0)
    patience = rng.exponential(60.0 / theta, count)
    abandoned = waits & (patience < needed) & (stats.p_abandon > 0)
    held = np.where(abandoned, patience, needed)
    return needed, held, abandoned
