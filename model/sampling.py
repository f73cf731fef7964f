"""Thinning: Bernoulli draws where few succeed, computed only where they might.

``u < prob(i)`` for uniform ``u`` is decided by the same ``u`` whatever else is
computed, so testing ``u < bound`` first, for any ``bound`` at least the
largest probability, then the exact rule on the few below it, draws exactly
the same individuals as the plain rule, at the cost of one comparison for the
rest. Used for quitting, churning and adopting, where a week's probabilities
are a few percent.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# Relative slack on the bound, so the last bit of rounding in a vectorised exp
# can never put an exact probability above it (any larger bound is as exact).
ROUNDING_SLACK = 1e-9


def thinned(u: np.ndarray, bound: float, probability: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Indices ``i`` with ``u[i] < probability(i)``, given ``bound >= probability(i)`` for all ``i``.

    ``probability`` is called once, on the indices where ``u < bound``.
    """
    maybe = np.flatnonzero(u < bound * (1.0 + ROUNDING_SLACK))
    return maybe[u[maybe] < probability(maybe)]
