"""How customer-centricity, skill and wellbeing evolve in the workforce.

Pure, vectorised functions over the workforce arrays. Each takes the random
generator it needs as an argument (NetworkX's seed convention); none keeps
state of its own. ``model.model`` orders them within a week.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

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
    ``UPWARD_TOLERANCE`` (all of them when ``top_reach`` is 1: then only the CEO weighs)."""
    if top_reach <= 0.0:
        return UPWARD_LEVELS
    if top_reach >= 1.0:  # nothing fades with distance: every manager up to the CEO counts
        return 2**62
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


def settled_spread(p: Params) -> float:
    """Spread of customer focus around a shared target that week-to-week
    variation keeps up against the weekly pulls toward those above, peers and
    the norm: the stationary standard deviation of ``c' = (1 - k) c + noise``,
    ``culture_noise / sqrt(1 - (1 - k)^2)`` with ``k`` the sum of the pulls."""
    k = min(p.upward_pull + p.peer_pull + p.norm_pull, 1.0)
    return p.culture_noise / math.sqrt(1.0 - (1.0 - k) ** 2) if k > 0 else p.labour_market_spread


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


def hire_mean(labour_mean: float, culture_fit: float, professed: float) -> float:
    """Mean centricity of hires: screening on values (a share ``culture_fit`` of
    the decision) moves it from the labour market's mean toward the
    customer-centric values the firm professes [seed004, Zappos]."""
    return labour_mean + culture_fit * (professed - labour_mean)


def culture_map(
    upward: sp.csr_matrix, peers: sp.csr_matrix, executive: np.ndarray, frontline: np.ndarray, p: Params
) -> tuple[sp.csr_matrix, np.ndarray]:
    """The part of a culture week that does not depend on the norms, as one
    affine map ``c -> M c + b``; ``culture_week`` adds the pull of the norms.

    Executives follow leadership commitment: ``c + anchor (commitment - c)``.
    Everyone else is pulled toward those above (``upward``, see
    ``upward_matrix``), those around (``peers``, see ``peer_matrix``) and their
    department's norm (``norm_pull``); front-line behaviour drifts toward what
    the metrics reward and is worn down by bad practice:
    ``c + a (up - c) + b (peers - c) + e (norm - c) + front line (m (focus - c) - k c)``.
    Built once per org chart, presence and lever setting, so that a week is
    one sparse product.
    """
    frontline_pull = (p.metric_pull + p.corruption_rate * p.bad_practice) * frontline
    keep = 1.0 - p.upward_pull - p.peer_pull - p.norm_pull - frontline_pull
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
    norm_felt: np.ndarray,
    present: np.ndarray,
    noise_sd: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """One week of culture: the affine map ``weekly = culture_map(...)``, the
    pull of each employee's department norm (``norm_felt``: ``norm_pull`` times
    the norm, 0 for executives) and individual variation; empty positions keep their value."""
    matrix, offset = weekly
    new = matrix @ c
    new += offset
    new += norm_felt
    new = jitter(new, noise_sd, rng)
    return new if present.all() else np.where(present, new, c)


def norms_week(
    norms: np.ndarray, c: np.ndarray, dept: np.ndarray, leading: int, leaders: float, p: Params
) -> np.ndarray:
    """One week of the departments' norms: the way things are done in each
    department [schein2010], moving slowly toward what its members do.

    A norm moves only when a critical mass of its members practise a different
    standard [centola2018] (a share ``critical_mass`` of them more than
    ``norm_margin`` above it, or below it, the gate opening smoothly over
    ``tipping_width``) and only as far and as fast as the leaders reinforce it
    (the executives' own customer focus ``leaders`` above the norm for a rise,
    below it for a fall). It then moves ``norm_rate`` of the way toward the
    standard that critical mass practises (their mean). Department heads also
    align their department with the management team: each week the norm moves
    ``norm_consensus`` of the way toward the mean norm of all departments (one
    voice each), as far as the leaders back a move that way. Over the years,
    every norm drifts toward the leaders' own customer focus: at
    ``tone_at_top`` a week when they set a higher standard, at ``cynicism``
    when they set a lower one (trust is lost faster than it is built
    [slovic1993]). The executive department has no norm here: its members set
    the tone. Empty departments keep their norm.

    Args:
        norms: one norm per department.
        c, dept: the present members' customer focus and departments (not the
            executives and department heads: they lead, and back a norm or not).
        leading: the executive department's index.
        leaders: the executives' mean customer focus.
    """
    k = len(norms)
    size = np.bincount(dept, minlength=k)
    teams = (size > 0) & (np.arange(k) != leading)
    if not teams.any():
        return norms.copy()
    n = norms.copy()
    own = n[dept]
    higher, lower = c > own + p.norm_margin, c < own - p.norm_margin
    dept_high, dept_low = dept[higher], dept[lower]
    n_high = np.bincount(dept_high, minlength=k)
    n_low = np.bincount(dept_low, minlength=k)
    share = np.divide(1.0, size, out=np.zeros(k), where=size > 0)
    # the side whose practice, backed by the leaders, pulls harder sets the direction
    up = np.where(n_high > 0, expit((n_high * share - p.critical_mass) / p.tipping_width), 0.0) * _backed(
        leaders - n, p
    )
    down = np.where(n_low > 0, expit((n_low * share - p.critical_mass) / p.tipping_width), 0.0) * _backed(
        n - leaders, p
    )
    high_mean = np.divide(
        np.bincount(dept_high, weights=c[higher], minlength=k), n_high, out=n.copy(), where=n_high > 0
    )
    low_mean = np.divide(
        np.bincount(dept_low, weights=c[lower], minlength=k), n_low, out=n.copy(), where=n_low > 0
    )
    rising = (up >= down) & (up > 0)
    n += p.norm_rate * np.where(rising, up * (high_mean - n), down * (low_mean - n))
    # heads align their departments with the management team, in the direction leaders back
    consensus = norms[teams].mean()
    backed = np.where(consensus > n, _backed(leaders - n, p), _backed(n - leaders, p))
    n += p.norm_consensus * backed * (consensus - n)
    # and over the years what leaders do, not what they say, becomes how things are done:
    # slowly when they set a higher standard, faster when they set a lower one
    n += np.where(leaders > n, p.tone_at_top, p.cynicism) * (leaders - n)
    return np.where(teams, n, norms)


def _backed(lead: np.ndarray, p: Params) -> np.ndarray:
    """How fully leaders back a change that is ``lead`` ahead of the norm in their direction (0..1)."""
    return np.minimum(np.maximum(lead / p.norm_margin, 0.0), 1.0)


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


def wellbeing_target(
    overload: np.ndarray, contact_load: np.ndarray, frontline: np.ndarray, p: Params
) -> np.ndarray:
    """Wellbeing that current conditions warrant, by department: care lifts it;
    overload, hours on the phones (``contact_load``: the agents' busy share of
    their time, emotional labour [grandey2000]) and defending deliberate traps
    wear it down."""
    target = -p.overload_penalty * overload
    target -= p.contact_strain * contact_load
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
