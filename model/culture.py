"""How customer-centricity, skill and wellbeing evolve in the workforce.

Pure, vectorised functions over the workforce arrays. Each takes the random
generator it needs as an argument (NetworkX's seed convention); none keeps
state of its own. ``model.model`` orders them within a week.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def upward_view(c: np.ndarray, levels: list[tuple[np.ndarray, np.ndarray]], top_reach: float) -> np.ndarray:
    """Centricity each employee sees above them, weighted by hierarchy.

    ``u_i = (1 - top_reach) * c[manager] + top_reach * u[manager]``: the direct
    manager weighs most and every level further up (up to the CEO) a factor
    ``top_reach`` less. The CEO sees their own centricity. ``levels`` lists
    (employees, their managers) depth by depth from the top (``Org.levels``).
    """
    u = c.copy()
    for nodes, managers in levels:
        u[nodes] = (1.0 - top_reach) * c[managers] + top_reach * u[managers]
    return u


def peer_view(c: np.ndarray, present: np.ndarray, ties: sp.csr_matrix, weight: np.ndarray) -> np.ndarray:
    """Mean centricity of each employee's present informal ties (their own
    where they have none); ``weight`` is ``ties @ present``, the number of them."""
    total = ties @ (c * present)
    return np.divide(total, weight, out=c.copy(), where=weight > 0)


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
    unit_rate = np.isscalar(rate) and rate == 1.0
    out = np.array(target, dtype=float, copy=True) if unit_rate else c + rate * (target - c)
    out += noise_sd * rng.standard_normal(len(c))
    return out if bounds is None else np.clip(out, *bounds, out=out)


def hire(
    c: np.ndarray,
    mask: np.ndarray,
    mean: float,
    spread: float,
    rng: np.random.Generator,
    bounds: tuple[float, float] | None = (0.0, 1.0),
) -> np.ndarray:
    """Replace the centricity of the employees in ``mask`` by new hires' values."""
    out = c.copy()
    drawn = mean + spread * rng.standard_normal(int(mask.sum()))
    out[mask] = drawn if bounds is None else np.clip(drawn, *bounds)
    return out


def hire_mean(labour_mean: float, culture_fit: float, target: float) -> float:
    """Mean centricity of hires: hiring for culture fit moves it toward ``target``."""
    return labour_mean + culture_fit * (target - labour_mean)


def culture_week(
    c: np.ndarray,
    *,
    levels: list[tuple[np.ndarray, np.ndarray]],
    executive: np.ndarray,
    present: np.ndarray,
    frontline: np.ndarray,
    ties: sp.csr_matrix,
    tie_weight: np.ndarray,
    p,
    rng: np.random.Generator,
) -> np.ndarray:
    """One week of culture: executives follow leadership commitment; everyone
    else is pulled toward the managers above and toward peers; front-line
    behaviour drifts toward what the metrics reward and is worn down by bad
    practice."""
    up = upward_view(c, levels, p.top_reach)
    peers = peer_view(c, present, ties, tie_weight)
    drift = (
        p.upward_pull * (up - c)
        + p.peer_pull * (peers - c)
        + frontline * (p.metric_pull * (p.metric_focus - c) - p.corruption_rate * p.bad_practice * c)
    )
    drift[executive] = p.leadership_anchor * (p.leadership_commitment - c[executive])
    new = socialise(c, c + drift, 1.0, p.culture_noise, rng)  # rate 1: the drift is the whole pull
    return new if present.all() else np.where(present, new, c)


def skill_week(s: np.ndarray, tenure: np.ndarray, p) -> np.ndarray:
    """Onboarding and re-training raise skill toward 1; it decays without practice."""
    onboarding = (tenure < p.onboarding_weeks) * p.onboarding_gain
    gain = (onboarding + p.training_gain * p.training_intensity) * (1.0 - s)
    return np.clip(s + gain - p.skill_decay * s, 0.0, 1.0)


def wellbeing_target(overload: np.ndarray, frontline: np.ndarray, p) -> np.ndarray:
    """Wellbeing that current conditions warrant: care lifts it, overload and
    defending deliberate traps wear it down."""
    target = (
        p.wellbeing_base
        + p.care_effect * (p.employee_care - 0.5)
        - p.overload_penalty * overload
        - p.bad_practice_strain * p.bad_practice * frontline
    )
    return np.clip(target, 0.0, 1.0)


def wellbeing_week(w: np.ndarray, target: np.ndarray, rate: float) -> np.ndarray:
    """Wellbeing moves a share ``rate`` of the way to its target each week."""
    return w + rate * (target - w)


def quit_probability(w: np.ndarray, p) -> np.ndarray:
    """Weekly quit probability: hazard ``base * exp(sensitivity (base_w - w))``."""
    hazard = p.base_quit_rate * np.exp(p.quit_sensitivity * (p.wellbeing_base - w))
    return -np.expm1(-hazard)


def quitters(w: np.ndarray, present: np.ndarray, u: np.ndarray, p) -> np.ndarray:
    """Who quits this week: present employees with ``u < quit_probability(w)``.

    Exactly that rule, computed only where ``u`` is below the largest
    probability (thinning), since few employees quit in any one week.
    """
    if not present.any():
        return np.zeros(len(w), dtype=bool)
    bound = quit_probability(np.array([w[present].min()]), p)[0]
    maybe = np.flatnonzero(present & (u < bound))
    out = np.zeros(len(w), dtype=bool)
    out[maybe[u[maybe] < quit_probability(w[maybe], p)]] = True
    return out


def service_quality(c: np.ndarray, s: np.ndarray, w: np.ndarray, frontline: np.ndarray, p) -> np.ndarray:
    """Quality of the service each employee delivers, 0..1: a weighted mean of
    customer focus, skill and wellbeing, and for front-line staff also of
    empowerment (the authority to fix a problem on the spot)."""
    wc, ws, ww = p.quality_weight_centricity, p.quality_weight_skill, p.quality_weight_wellbeing
    we = p.quality_weight_empowerment * frontline
    total = wc + ws + ww + we
    weighted = wc * c + ws * s + ww * w + we * p.empowerment
    return np.divide(weighted, total, out=np.full(len(c), 0.5), where=total > 0)
