"""Customers: touchpoint quality, experience, satisfaction, loyalty and churn.

Pure vectorised functions; ``model.model`` runs the journey in order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.departments import DEPT_INDEX, TOUCHPOINTS
from model.params import Params
from model.sampling import thinned

PROSPECT, ACTIVE, CHURNED = 0, 1, 2

# The 0-10 likelihood to recommend and its NPS bands [reichheld2003]: promoters
# score PROMOTER_MIN or more, detractors DETRACTOR_MAX or less, passives in between.
SCORE_MAX = 10
PROMOTER_MIN = 9
DETRACTOR_MAX = 6
PROMOTER_BAND = f"{PROMOTER_MIN}-{SCORE_MAX}"
PASSIVE_BAND = f"{DETRACTOR_MAX + 1}-{PROMOTER_MIN - 1}"
# Meeting expectations is only "acceptable" [seed001]: a passive, the middle of
# the passive band (7.5 of 10). Satisfaction is measured from there; it is a
# definition of the scale, not a constant to calibrate.
ACCEPTABLE = (DETRACTOR_MAX + PROMOTER_MIN) / 2 / SCORE_MAX


@dataclass(frozen=True)
class ServerPool:
    """Who may serve one or several touchpoints (one column each).

    Each column's members sit in consecutive department blocks. A uniform
    ``u`` falls in a column's block ``b`` when it passes ``b`` of the column's
    inner block edges (its blocks' cumulative shares of contacts), and picks
    member ``floor(u * scale + shift)`` of that block, spreading the block's
    share evenly over its members: an inverse-CDF draw with one uniform per
    contact and touchpoint, exact up to floating-point rounding at the edges
    (the last member is repeated once at the end, so rounding up there stays
    in range).
    """

    members: np.ndarray  # every column's members, column after column, then the last again
    inner: np.ndarray  # (blocks - 1, columns) inner block edges; 1 pads a column with fewer blocks
    scale: np.ndarray  # (blocks, columns) members per unit of u in each block
    shift: np.ndarray  # (blocks, columns) so that each block starts at its edge and its position


def server_pool(touchpoints: tuple[str, ...], members: list[np.ndarray]) -> ServerPool:
    """Who may serve each of ``touchpoints``: each department that owns one serves
    its share in ``TOUCHPOINTS`` of contacts, spread evenly over its present
    members; empty departments are skipped, and if all are empty anyone present serves."""
    columns = []
    for touchpoint in touchpoints:
        owners = TOUCHPOINTS[touchpoint]
        blocks = [
            (members[DEPT_INDEX[d]], w) for d, w in owners.items() if w > 0 and len(members[DEPT_INDEX[d]])
        ]
        columns.append(blocks or [(np.concatenate(members), 1.0)])
    width = max(len(blocks) for blocks in columns)
    inner = np.ones((width - 1, len(columns)))
    scale, shift = np.zeros((width, len(columns))), np.zeros((width, len(columns)))
    start = 0
    for j, blocks in enumerate(columns):
        sizes = np.array([len(block) for block, _ in blocks], dtype=float)
        shares = np.array([w for _, w in blocks], dtype=float) / sum(w for _, w in blocks)
        edges = np.concatenate(([0.0], np.cumsum(shares)))
        inner[: len(blocks) - 1, j] = edges[1:-1]
        scale[: len(blocks), j] = sizes / shares
        shift[: len(blocks), j] = (
            start + np.concatenate(([0.0], np.cumsum(sizes)[:-1])) - edges[:-1] * sizes / shares
        )
        start += int(sizes.sum())
    everyone = np.concatenate([block for blocks in columns for block, _ in blocks])
    return ServerPool(np.concatenate((everyone, everyone[-1:])), inner, scale, shift)


def serving_quality(
    pool: ServerPool, count: int, quality: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Quality delivered at ``count`` contacts, ``(count, columns)``: at each touchpoint
    of ``pool`` each contact is served by an employee drawn from its column."""
    if len(pool.members) == 0:
        return np.zeros((count, pool.scale.shape[1]))
    u = rng.random((count, pool.scale.shape[1]))
    if len(pool.inner) == 0:  # one department block per column
        at = u * pool.scale[0]
        at += pool.shift[0]
    elif len(pool.inner) == 1:
        second = u >= pool.inner[0]
        at = u * np.where(second, pool.scale[1], pool.scale[0])
        at += np.where(second, pool.shift[1], pool.shift[0])
    else:
        block = sum((u >= edge).astype(np.intp) for edge in pool.inner) * pool.scale.shape[1]
        block += np.arange(pool.scale.shape[1])
        at = u * pool.scale.ravel()[block]
        at += pool.shift.ravel()[block]
    return quality[pool.members[at.astype(np.intp)]]


def touchpoint_score(base: float | np.ndarray, staff: np.ndarray, employee_share: float) -> np.ndarray:
    """Quality of a touchpoint: the base (product, partner) blended with the staff serving it."""
    return (1.0 - employee_share) * base + employee_share * staff


def failures(
    scores: np.ndarray, partner_reliability: float, p: Params, rng: np.random.Generator
) -> np.ndarray:
    """Whether each touchpoint of each purchase goes wrong, ``(k, 3)`` in
    ``PURCHASE`` order: with chance ``problem_base + problem_slope (1 - score)``;
    a delivery also when the logistics partner is late, as a share
    ``1 - partner_reliability`` of its deliveries are."""
    prob = np.minimum(np.maximum(p.problem_base + p.problem_slope * (1.0 - scores), 0.0), 1.0)
    prob[:, 1] = 1.0 - partner_reliability * (1.0 - prob[:, 1])
    return rng.random(scores.shape) < prob


def experience(
    scores: np.ndarray, failed: np.ndarray, recovery: np.ndarray, trapped: np.ndarray, p: Params
) -> np.ndarray:
    """Experience of each purchase, 0..1: its touchpoints weighted by importance
    (product > delivery > right product [seed002]). A touchpoint that went wrong
    loses a share ``failure_severity`` of its value, less what recovery won back
    (``recovery``: 1 for a problem solved at once, 0 for one nobody solved); a
    trap costs ``bad_practice_sting`` once.

    Args:
        scores: (k, 3) product, delivery and right-product scores.
        failed: (k, 3) which of them went wrong.
        recovery: how well each purchase's problem was handled (1 when there was none).
        trapped: which purchases fell into a trap.
    """
    w = np.array([p.weight_product, p.weight_delivery, p.weight_right_product])
    total = w.sum()
    kept = 1.0 - p.failure_severity * (1.0 - recovery)
    lived = (
        np.where(failed, scores * kept[:, None], scores) @ (w / total)
        if total > 0
        else np.full(len(scores), 0.5)
    )
    return lived - p.bad_practice_sting * trapped


def expectation_anchor(p: Params) -> float:
    """Expectation set by what marketing and sales promise [seed002]."""
    return p.expectation_base + p.promise_effect * (p.marketing_promise - 0.5)


def satisfaction(experience_: np.ndarray, expectation: np.ndarray, p: Params) -> np.ndarray:
    """Satisfaction with one experience, 0..1: linear in how far it beat or fell
    short of expectation [oliver1980]; exactly meeting expectations gives the
    merely acceptable level [seed001]."""
    felt = ACCEPTABLE + p.disconfirmation_slope * (experience_ - expectation)
    np.maximum(felt, 0.0, out=felt)
    return np.minimum(felt, 1.0, out=felt)


DETRACTOR_BAND = f"0-{DETRACTOR_MAX}"


def recommendation_score(sat: np.ndarray | float, bias: np.ndarray | float = 0.0) -> np.ndarray:
    """0-``SCORE_MAX`` likelihood to recommend [reichheld2003]: ``SCORE_MAX`` times
    satisfaction plus the person's own scoring habit ``bias`` (points; people
    differ in how readily they give a 9 or a 10 [baumgartner2001]), rounded."""
    return np.minimum(np.maximum(np.rint(SCORE_MAX * sat + bias), 0.0), SCORE_MAX).astype(np.int8)


def promoter_shares(scores: np.ndarray) -> tuple[float, float]:
    """Shares of promoters and detractors (see ``PROMOTER_MIN``, ``DETRACTOR_MAX``) among scores."""
    if len(scores) == 0:
        return 0.0, 0.0
    counts = np.bincount(scores, minlength=SCORE_MAX + 1)
    promoters, detractors = counts[PROMOTER_MIN:].sum(), counts[: DETRACTOR_MAX + 1].sum()
    return float(promoters / len(scores)), float(detractors / len(scores))


def nps(scores: np.ndarray) -> float:
    """Net Promoter Score: % promoters - % detractors."""
    promoters, detractors = promoter_shares(scores)
    return 100.0 * (promoters - detractors)


def purchase_probability(sat: np.ndarray, p: Params) -> np.ndarray:
    """Weekly chance of buying: ``purchase_rate exp(sensitivity (S - acceptable))``,
    at most 1: satisfied customers come back more often [mittal2001]."""
    rate = p.purchase_rate * np.exp(p.repurchase_sensitivity * (sat - ACCEPTABLE))
    return np.minimum(rate, 1.0, out=rate)


def churn_probability(sat: np.ndarray, p: Params) -> np.ndarray:
    """Weekly churn: hazard ``base_churn exp(sensitivity (acceptable - S))``."""
    hazard = p.base_churn * np.exp(p.churn_sensitivity * (ACCEPTABLE - sat))
    return -np.expm1(-hazard)


def churners(sat: np.ndarray, p: Params, rng: np.random.Generator) -> np.ndarray:
    """Who churns, as positions (ascending) in ``sat``: each with probability
    ``churn_probability(sat)`` (by thinning, since few churn in any one week)."""
    if not len(sat):
        return np.empty(0, dtype=np.int64)
    return thinned(len(sat), churn_probability(sat.min(), p), lambda i: churn_probability(sat[i], p), rng)


def wait_spoil(held_minutes: np.ndarray, tolerance: float) -> np.ndarray:
    """Share of a contact's value spoiled by waiting: half at the tolerance."""
    return held_minutes / (held_minutes + tolerance)


def first_contact_resolution(staff: np.ndarray, p: Params) -> np.ndarray:
    """Probability an answered problem is solved at the first contact: better
    staff solve more; rushing for calls per minute and escalations that an
    unempowered agent must hand on lower it [seed004]."""
    ability = p.resolution_floor + (1.0 - p.resolution_floor) * staff
    rush = 1.0 - p.rush_penalty * (1.0 - p.metric_focus)
    authority = 1.0 - p.escalation_share * (1.0 - p.empowerment)
    return ability * rush * authority


def handle_minutes(problem_share: float, p: Params) -> float:
    """Mean handling time: thorough agents take longer; unempowered agents
    spend extra time escalating problems."""
    base = p.handle_minutes_fast + p.metric_focus * (p.handle_minutes_thorough - p.handle_minutes_fast)
    return base + problem_share * p.escalation_share * (1.0 - p.empowerment) * p.escalation_minutes
