"""Word of mouth and acquisition over the customers' social network.

Acquisition is network Bass diffusion [bass1969] [goldenberg2001]: a prospect
adopts with hazard ``p + q A`` where ``A`` is the share of their contacts who
are customers (on a fully mixed market, the adopted share F). Recent
recommendations add to the imitation pull; recent warnings put prospects off
[goldenberg2007].
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from model.network import random_neighbours

WEEKS_PER_YEAR = 52.0


def adoption_probability(
    p: float,
    q: float,
    adopted_share: np.ndarray | float,
    recommendations: np.ndarray | float = 0.0,
    warnings: np.ndarray | float = 0.0,
    referral_weight: float = 0.0,
    deterrence: float = 0.0,
    dt: float = 1.0 / WEEKS_PER_YEAR,
) -> np.ndarray:
    """Probability of adopting within a step of ``dt`` years.

    ``1 - exp(-h dt)`` with ``h = (p + q (A + referral_weight R)) exp(-deterrence W)``
    follows the Bass ODE (not its discrete recursion) when R = W = 0.
    """
    hazard = (p + q * (adopted_share + referral_weight * recommendations)) * np.exp(-deterrence * warnings)
    return -np.expm1(-hazard * dt)


def marketing_share(p: float, q: float, adopted_share, recommendations, referral_weight) -> np.ndarray:
    """Share of an adoption's hazard due to marketing (the rest: referral)."""
    imitation = q * (adopted_share + referral_weight * recommendations)
    if p > 0:  # then every total is positive
        return p / (p + imitation)
    total = p + imitation
    return np.where(total > 0, p / np.where(total > 0, total, 1.0), 1.0)


def bass_cdf(t: np.ndarray | float, p: float, q: float) -> np.ndarray:
    """Closed-form Bass adoption F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t})."""
    e = np.exp(-(p + q) * np.asarray(t, dtype=float))
    return (1.0 - e) / (1.0 + (q / p) * e)


def bass_peak_time(p: float, q: float) -> float:
    """Time of peak adoption, ln(q/p)/(p+q)."""
    return math.log(q / p) / (p + q)


def spread(
    groups: Sequence[tuple[np.ndarray, float]],
    amplification: float,
    graph: sp.csr_matrix,
    rng: np.random.Generator,
) -> list[np.ndarray]:
    """Recipients of word of mouth (with repeats), one array for each group of
    ``(senders, reach)``.

    Each sender tells Poisson(``reach``) of their own contacts and, through
    social media, Poisson(``reach * amplification``) random people in the
    market. The groups are drawn together: one pass over the network for all.
    """
    counts = [rng.poisson(reach, len(senders)) for senders, reach in groups]
    told = np.repeat(np.concatenate([senders for senders, _ in groups]), np.concatenate(counts))
    near = random_neighbours(graph, told, rng)
    far_counts = [int(rng.poisson(reach * amplification * len(senders))) for senders, reach in groups]
    far = rng.integers(0, graph.shape[0], sum(far_counts))
    out, i, j = [], 0, 0
    for told_by_group, far_count in zip(counts, far_counts, strict=True):
        mine = near[i : i + int(told_by_group.sum())]
        out.append(np.concatenate((mine[mine >= 0], far[j : j + far_count])))
        i, j = i + len(mine), j + far_count
    return out
