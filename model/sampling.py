"""Thinning: Bernoulli draws where few succeed, computed only where they might.

Who, among ``n`` people, succeeds this week (quits, churns, adopts), when each
succeeds independently with a probability ``prob(i)`` of at most ``bound``, a
few percent? The plain rule draws ``u_i`` uniform for everyone and keeps
``u_i < prob(i)``. Thinning gets the same distribution with far fewer draws:
first the people with ``u_i < bound``, a Bernoulli(``bound``) subset found from
geometric gaps between them; then, for each of those, ``u_i`` uniform on
``(0, bound)``, keeping those below their exact probability. Each person is
still chosen with probability exactly ``prob(i)``, independently of the
others; ``prob`` is computed only for the few candidates. Above ``DENSE``,
or for fewer than ``SMALL`` people, drawing one uniform per person is
cheaper, and is what is done.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

# Relative slack on the bound, so the last bit of rounding in a vectorised exp
# can never put an exact probability above it (any larger bound is as exact).
ROUNDING_SLACK = 1e-9
# Above this bound, or among fewer people than SMALL, one uniform per person
# costs less than the geometric gaps (whose set-up is a dozen numpy calls).
DENSE = 0.2
SMALL = 2000


def bernoulli_positions(n: int, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Sorted positions of the successes among ``n`` independent Bernoulli(``rate``)
    trials, drawn as geometric gaps between successes."""
    if n <= 0 or rate <= 0.0:
        return np.empty(0, dtype=np.int64)
    if rate >= 1.0:
        return np.arange(n)
    expected = n * rate
    chunk = int(expected + 4.0 * math.sqrt(expected)) + 16  # usually one round of draws
    parts, last = [], -1
    while last < n:  # a success may still fall before n
        # a gap beyond n ends the search either way; capping it keeps the sums from overflowing
        positions = last + np.cumsum(np.minimum(rng.geometric(rate, chunk), n + 1))
        parts.append(positions)
        last = int(positions[-1])
    positions = np.concatenate(parts)
    return positions[: np.searchsorted(positions, n)]


def proposals(n: int, bound: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The first stage of ``thinned``: positions ``i`` with ``u_i < bound`` and their
    ``u_i``. Keeping those with ``u_i < probability(i)`` chooses each ``i < n``
    with probability ``probability(i)``, independently, if it never exceeds ``bound``."""
    bound = min(1.0, bound * (1.0 + ROUNDING_SLACK))
    if bound > DENSE or n < SMALL:
        u = rng.random(n)
        maybe = np.flatnonzero(u < bound)
        return maybe, u[maybe]
    maybe = bernoulli_positions(n, bound, rng)
    return maybe, bound * rng.random(len(maybe))  # uniform below the bound, as u is given u < bound


def thinned(
    n: int,
    bound: float,
    probability: Callable[[np.ndarray | slice], np.ndarray],
    rng: np.random.Generator,
) -> np.ndarray:
    """Indices ``i < n`` (ascending) chosen each with probability ``probability(i)``,
    independently, given ``probability(i) <= bound`` for all ``i``. Where thinning
    does not pay (see ``proposals``), the plain rule: ``probability(slice(None))``
    for everyone and one uniform each; otherwise ``probability`` is called once,
    on the candidates only."""
    if n < SMALL or bound * (1.0 + ROUNDING_SLACK) > DENSE:
        return np.flatnonzero(rng.random(n) < probability(slice(None)))
    maybe, u = proposals(n, bound, rng)
    return maybe[u < probability(maybe)]
