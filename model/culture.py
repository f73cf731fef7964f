"""How customer-centricity, skill and wellbeing evolve in the workforce.

Pure, vectorised functions over the workforce arrays. Each takes the random
generator it needs as an argument (NetworkX's seed convention); none keeps
state of its own. ``model.model`` orders them within a week.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from model.params import Params
from model.sampling import thinned

# Managers further up than this many levels, and than their weight allows (below
# ``UPWARD_TOLERANCE``), are left out of ``upward_matrix``: a row then costs at most
# ``upward_reach(top_reach)`` entries however deep the chart.
UPWARD_LEVELS = 64
UPWARD_TOLERANCE = 1e-12


def upward_reach(top_reach: float) -> int:
    """How many managers up ``upward_matrix`` looks: at least ``UPWARD_LEVELS``, and
    far enough that the weight left out, ``top_reach`` to that power, is below
    ``UPWARD_TOLERANCE``."""
    if top_reach <= 0.0:
        return UPWARD_LEVELS
    return max(UPWARD_LEVELS, math.ceil(math.log(UPWARD_TOLERANCE) / math.log(top_reach)))


def upward_matrix(parent: np.ndarray, depth: np.ndarray, top_reach: float) -> sp.csr_matrix:
    """The weights of ``upward_view``, solving ``u_i = (1 - top_reach) c[manager] +
    top_reach u[manager]`` with ``u = c`` for the CEO (``parent`` -1, depth 0).

    Row ``i`` holds ``(1 - top_reach) top_reach^(k-1)`` for the manager ``k``
    levels above and, for the CEO at depth ``d``, what is left: ``top_reach^(d-1)``.
    In a chart deeper than ``K = upward_reach(top_reach)`` levels, the manager
    ``K`` levels up stands for everyone above them (takes what is left,
    ``top_reach^(K-1)``), which moves ``u`` by at most ``top_reach^K`` (below
    ``UPWARD_TOLERANCE``): memory stays ``O(n K)``, not ``O(n depth)``.
    Built once per org chart and ``top_reach``.
    """
    n = len(parent)
    reach = upward_reach(top_reach)
    kept = np.where(depth == 0, 1, np.minimum(depth, reach))  # entries per row
    indptr = np.concatenate(([0], np.cumsum(kept)))
    indices = np.empty(indptr[-1], dtype=np.int32 if n < 2**31 else np.int64)
    data = np.empty(indptr[-1])
    top = np.flatnonzero(depth == 0)
    indices[indptr[top]], data[indptr[top]] = top, 1.0
    node = np.flatnonzero(depth > 0)
    above, k = parent[node], 1
    while len(node):  # each row's entry for the manager k levels up
        last = kept[node] == k  # the CEO, or the farthest manager kept
        at = indptr[node + 1] - k  # farthest first: columns ascend (managers precede reports)
        indices[at] = above
        data[at] = np.where(last, 1.0, 1.0 - top_reach) * top_reach ** (k - 1)
        node, above, k = node[~last], parent[above[~last]], k + 1
    matrix = sp.csr_matrix((data, indices, indptr), shape=(n, n))
    matrix.sort_indices()  # canonical, as sums in culture_map expect (a no-op in breadth-first order)
    return matrix


def upward_view(c: np.ndarray, upward: sp.csr_matrix) -> np.ndarray:
    """Centricity each employee sees above them, weighted by hierarchy: the direct
    manager weighs most and every level further up (up to the CEO) a factor
    ``top_reach`` less; the CEO sees their own. ``upward = upward_matrix(...)``."""
    return upward @ c


def peer_matrix(ties: sp.csr_matrix, present: np.ndarray) -> sp.csr_matrix:
    """The weights of ``peer_view``: each row spreads 1 evenly over the present
    informal ties; someone with none weighs only themselves.

    Built once, and again whenever who is present changes (layoffs, outsourcing).
    """
    to_present = ties @ sp.diags(present.astype(float))
    count = np.asarray(to_present.sum(axis=1)).ravel()
    alone = (count == 0).astype(float)
    weights = sp.diags(np.divide(1.0, count, out=np.zeros_like(count), where=count > 0)) @ to_present
    weights = (weights + sp.diags(alone)).tocsr()
    weights.eliminate_zeros()
    return weights


def peer_view(c: np.ndarray, peers: sp.csr_matrix) -> np.ndarray:
    """Mean centricity of each employee's present informal ties (their own where
    they have none), with ``peers = peer_matrix(ties, present)``."""
    return peers @ c


def socialise(
    c: np.ndarray,
    target: np.ndarray | float,
    rate: np.ndarray | float,
    noise_sd: float,
    rng: np.random.Generator,
    bounds: tuple[float, float] | None = (0.0, 1.0),
) -> np.ndarray:
    """One week of pull toward ``target``: ``c + rate (target - c) + noise``.

    ``bounds=None`` leaves the linear dynamics unclipped, as the Harrison-Carroll
    closed form assumes.
    """
    return jitter(c + rate * (target - c), noise_sd, rng, bounds)


def jitter(
    x: np.ndarray, noise_sd: float, rng: np.random.Generator, bounds: tuple[float, float] | None = (0.0, 1.0)
) -> np.ndarray:
    """Add week-to-week individual variation ``noise_sd * N(0, 1)`` to ``x`` in
    place, then clip it to ``bounds`` (unless None); returns ``x``."""
    x += noise_sd * rng.standard_normal(len(x))
    if bounds is None:
        return x
    np.maximum(x, bounds[0], out=x)
    return np.minimum(x, bounds[1], out=x)


def new_hires(
    count: int,
    mean: float,
    spread: float,
    rng: np.random.Generator,
    bounds: tuple[float, float] | None = (0.0, 1.0),
) -> np.ndarray:
    """Centricity of ``count`` new hires: ``mean + spread N(0, 1)``, clipped to ``bounds`` (unless None)."""
    drawn = mean + spread * rng.standard_normal(count)
    return drawn if bounds is None else np.minimum(np.maximum(drawn, bounds[0]), bounds[1])


def hire(
    c: np.ndarray,
    who: np.ndarray,
    mean: float,
    spread: float,
    rng: np.random.Generator,
    bounds: tuple[float, float] | None = (0.0, 1.0),
) -> np.ndarray:
    """A copy of ``c`` with the centricity at ``who`` (a mask or positions) replaced by new hires'."""
    out = c.copy()
    out[who] = new_hires(out[who].size, mean, spread, rng, bounds)
    return out


def hire_mean(labour_mean: float, culture_fit: float, target: float) -> float:
    """Mean centricity of hires: hiring for culture fit moves it toward ``target``."""
    return labour_mean + culture_fit * (target - labour_mean)


def culture_map(
    upward: sp.csr_matrix, peers: sp.csr_matrix, executive: np.ndarray, frontline: np.ndarray, p: Params
) -> tuple[sp.csr_matrix, np.ndarray]:
    """The deterministic part of a culture week as one affine map ``c -> M c + b``.

    Executives follow leadership commitment: ``c + anchor (commitment - c)``.
    Everyone else is pulled toward those above (``upward``, see
    ``upward_matrix``) and those around (``peers``, see ``peer_matrix``);
    front-line behaviour drifts toward what the metrics reward and is worn down
    by bad practice: ``c + a (up - c) + b (peers - c) + front line (m (focus - c) - k c)``.
    Built once per org chart, presence and lever setting, so that a week is
    one sparse product.
    """
    frontline_pull = (p.metric_pull + p.corruption_rate * p.bad_practice) * frontline
    keep = 1.0 - p.upward_pull - p.peer_pull - frontline_pull
    offset = (p.metric_pull * p.metric_focus) * frontline
    keep[executive] = 1.0 - p.leadership_anchor
    offset[executive] = p.leadership_anchor * p.leadership_commitment
    pulled = sp.diags((~executive).astype(float)) @ (p.upward_pull * upward + p.peer_pull * peers)
    matrix = (pulled + sp.diags(keep)).tocsr()
    matrix.eliminate_zeros()
    return matrix, offset


def culture_week(
    c: np.ndarray,
    weekly: tuple[sp.csr_matrix, np.ndarray],
    present: np.ndarray,
    noise_sd: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """One week of culture: the affine map ``weekly = culture_map(...)`` plus
    individual variation; empty positions keep their value."""
    matrix, offset = weekly
    new = matrix @ c
    new += offset
    new = jitter(new, noise_sd, rng)
    return new if present.all() else np.where(present, new, c)


def skill_week(s: np.ndarray, tenure: np.ndarray, p: Params) -> np.ndarray:
    """Onboarding and re-training raise skill toward 1; it decays without practice:
    ``s + (onboarding + training) (1 - s) - decay s``."""
    # linear in s from (onboarding +) training at s = 0 to 1 - decay at s = 1, so within
    # [0, 1] for skill in [0, 1]; only newcomers, whose gains may add up to more than 1, need a cap
    training = p.training_gain * p.training_intensity
    new = (1.0 - training - p.skill_decay) * s
    new += training
    newcomers = np.flatnonzero(tenure < p.onboarding_weeks)
    new[newcomers] = np.minimum(new[newcomers] + p.onboarding_gain * (1.0 - s[newcomers]), 1.0)
    return new


def wellbeing_target(overload: np.ndarray, frontline: np.ndarray, p: Params) -> np.ndarray:
    """Wellbeing that current conditions warrant: care lifts it, overload and
    defending deliberate traps wear it down."""
    target = -p.overload_penalty * overload
    target += p.wellbeing_base + p.care_effect * (p.employee_care - 0.5)
    target -= (p.bad_practice_strain * p.bad_practice) * frontline
    np.maximum(target, 0.0, out=target)
    return np.minimum(target, 1.0, out=target)


def wellbeing_week(w: np.ndarray, target: np.ndarray, rate: float) -> np.ndarray:
    """Wellbeing moves a share ``rate`` of the way to its target each week."""
    return w + rate * (target - w)


def quit_probability(w: np.ndarray, p: Params) -> np.ndarray:
    """Weekly quit probability: hazard ``base * exp(sensitivity (base_w - w))``."""
    hazard = p.base_quit_rate * np.exp(p.quit_sensitivity * (p.wellbeing_base - w))
    return -np.expm1(-hazard)


def quitters(w: np.ndarray, present: np.ndarray | None, p: Params, rng: np.random.Generator) -> np.ndarray:
    """Positions (ascending) whose employee quits this week: each present one
    (everyone if ``present`` is None) with probability ``quit_probability(w)``
    (by thinning, since few quit in any one week)."""
    if not len(w):
        return np.empty(0, dtype=np.int64)
    bound = quit_probability(w.min(), p)  # empty positions too: a looser bound
    if present is None:  # everyone is present
        return thinned(len(w), bound, lambda i: quit_probability(w[i], p), rng)
    return thinned(len(w), bound, lambda i: np.where(present[i], quit_probability(w[i], p), 0.0), rng)


def service_quality(
    c: np.ndarray, s: np.ndarray, w: np.ndarray, frontline: np.ndarray, p: Params
) -> np.ndarray:
    """Quality of the service each employee delivers, 0..1: a weighted mean of
    customer focus, skill and wellbeing, and for front-line staff also of
    empowerment (the authority to fix a problem on the spot)."""
    wc, ws, ww = p.quality_weight_centricity, p.quality_weight_skill, p.quality_weight_wellbeing
    weighted = wc * c
    weighted += ws * s
    weighted += ww * w
    we = p.quality_weight_empowerment
    weighted += (we * p.empowerment) * frontline
    total = (wc + ws + ww) + we * frontline
    if wc + ws + ww > 0:  # every total is positive
        weighted /= total
        return weighted
    return np.divide(weighted, total, out=np.full(len(c), 0.5), where=total > 0)
