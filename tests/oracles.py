"""Test oracles for the support queue: independent computations the model never runs.

* ``erlang_c_log_form``: Erlang C from its log-gamma closed form;
* ``simulate_queue``: a contact-by-contact discrete-event simulation of a
  first-come-first-served centre with impatient callers.

They check ``model.service``'s closed forms from outside; ``run.py validate``
compares the model itself with the published formulas (``model.validation``).
"""

from __future__ import annotations

import heapq
import math

import numpy as np
from scipy.special import gammaln


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
