"""What is measured each step: names, meanings, and pure functions model -> numbers.

``METRICS`` names every column of the per-step table with its ``Metric``: label,
unit, whether it is a weekly flow or a level, which direction is better, and a
one-line meaning (read by the DataCollector, the dashboard, the docs and reports).
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from model.customers import ACTIVE, DETRACTOR_BAND, PROMOTER_BAND, PROSPECT, promoter_shares
from model.departments import DEPARTMENTS, LEVELS
from model.mesa_adapter import append_row

HIGHER, LOWER = "higher", "lower"
LEADING = DEPARTMENTS.index("executive")
NOT_LEADING = np.arange(len(DEPARTMENTS)) != LEADING


@dataclass(frozen=True)
class Metric:
    """One column of the per-step table: what it means and how to show it."""

    label: str  # a short name for charts, cards and tables
    unit: str
    flow: bool  # counted during the week (nothing yet in row 0), not a level at the week's end
    better: str | None  # HIGHER, LOWER, or None when neither is better in itself
    meaning: str  # one line, for help texts and the docs


def _level(label: str, unit: str, better: str | None, meaning: str) -> Metric:
    return Metric(label, unit, False, better, meaning)


def _flow(label: str, unit: str, better: str | None, meaning: str) -> Metric:
    return Metric(label, unit, True, better, meaning)


METRICS: dict[str, Metric] = {
    "culture_mean": _level(
        "Customer focus", "0..1", HIGHER, "Mean customer-centricity of present employees (0..1)."
    ),
    **{
        f"culture_{d}": _level(
            f"Customer focus: {d}",
            "0..1",
            HIGHER,
            f"Mean customer-centricity in the {d} department (0..1; empty when nobody is left).",
        )
        for d in DEPARTMENTS
    },
    **{
        f"culture_level_{lv}": _level(
            f"Customer focus: {lv} level",
            "0..1",
            HIGHER,
            f"Mean customer-centricity of {lv} level employees (0..1).",
        )
        for lv in LEVELS
    },
    "norm_mean": _level(
        "Norms",
        "0..1",
        HIGHER,
        "The departments' norms (how things are done there, 0..1), weighted by headcount.",
    ),
    "wellbeing_mean": _level("Wellbeing", "0..1", HIGHER, "Mean employee wellbeing (0..1)."),
    "skill_mean": _level("Skill", "0..1", HIGHER, "Mean employee skill (0..1)."),
    "service_quality": _level(
        "Service quality", "0..1", HIGHER, "Mean quality of service delivered by employees (0..1)."
    ),
    "employee_turnover": _flow(
        "Staff turnover", "share per week", LOWER, "Employees who quit this week / headcount."
    ),
    "service_turnover": _flow(
        "Service staff turnover",
        "share per week",
        LOWER,
        "Service-department employees who quit this week / the department's headcount.",
    ),
    "headcount": _level("Headcount", "people", None, "Employees in post."),
    "agents": _flow(
        "Agents on duty",
        "agents",
        None,
        "Contact-centre agents on duty in an average open hour (a roster alternating between whole numbers).",
    ),
    "contacts": _flow("Contacts", "contacts per week", None, "Contacts reaching support this week."),
    "speed_of_answer_seconds": _flow(
        "Wait (s)",
        "seconds",
        LOWER,
        "Mean wait of the contacts answered this week (speed of answer); callbacks not counted.",
    ),
    "abandonment_rate": _flow(
        "Abandonment",
        "share",
        LOWER,
        "Share of this week's contacts that hung up before being answered.",
    ),
    "first_contact_resolution": _flow(
        "First-contact resolution",
        "share",
        HIGHER,
        "Share of problem contacts solved at the first contact (empty in a week without any).",
    ),
    "agent_occupancy": _flow(
        "Agent occupancy", "share", None, "Share of agent time spent handling contacts."
    ),
    "satisfaction_mean": _level(
        "Satisfaction", "0..1", HIGHER, "Mean satisfaction of active customers (0..1)."
    ),
    "nps": _level(
        "NPS",
        "points (-100..100)",
        HIGHER,
        "Net Promoter Score of active customers: % promoters - % detractors.",
    ),
    "promoters": _level("Promoters", "share", HIGHER, f"Share of active customers scoring {PROMOTER_BAND}."),
    "detractors": _level(
        "Detractors", "share", LOWER, f"Share of active customers scoring {DETRACTOR_BAND}."
    ),
    "active_customers": _level("Active customers", "people", HIGHER, "Customers currently buying."),
    "prospects": _level("Prospects", "people", None, "People in the market who have never been customers."),
    "churned": _level("Former customers", "people", LOWER, "Former customers (cumulative)."),
    "problems": _flow(
        "Problems",
        "purchases per week",
        LOWER,
        "Purchases this week where something went wrong (a touchpoint or a trap).",
    ),
    "complaints": _flow(
        "Complaints",
        "purchases per week",
        None,
        "Purchases this week whose problem the customer contacted the firm about.",
    ),
    "churn_rate": _flow(
        "Churn",
        "share per week",
        LOWER,
        "Customers lost this week / active customers at the start of the week.",
    ),
    "acquisitions_marketing": _flow(
        "Won by marketing", "people per week", HIGHER, "New customers this week won by marketing."
    ),
    "acquisitions_referral": _flow(
        "Won by referral", "people per week", HIGHER, "New customers this week won through their contacts."
    ),
    "lost_presale": _flow(
        "Lost unanswered",
        "people per week",
        LOWER,
        "Would-be customers lost this week because nobody answered them.",
    ),
    "recommenders": _flow(
        "Recommenders", "people per week", HIGHER, "Promoters who recommended the firm this week."
    ),
    "warners": _flow(
        "Warners", "people per week", LOWER, "Detractors who warned others this week (buying or leaving)."
    ),
    "wom_positive": _flow(
        "Recommendations heard", "people per week", HIGHER, "Recommendations heard this week."
    ),
    "wom_negative": _flow("Warnings heard", "people per week", LOWER, "Warnings heard this week."),
    "delighted_purchases": _flow(
        "Delighted purchases",
        "purchases per week",
        HIGHER,
        f"Purchases this week by customers scoring {PROMOTER_BAND} after it.",
    ),
    "premium_purchases": _flow(
        "Premiums paid",
        "purchases per week",
        HIGHER,
        "Purchases this week on which a delighted customer paid a premium.",
    ),
    "revenue": _flow("Revenue", "currency per week", HIGHER, "Revenue this week."),
    "cost": _flow(
        "Cost",
        "currency per week",
        LOWER,
        "Costs this week (goods, wages, training, care, hiring, support agents).",
    ),
    "profit": _flow("Profit", "currency per week", HIGHER, "Revenue minus cost this week."),
    "cumulative_profit": _level("Cumulative profit", "currency", HIGHER, "Profit since the start."),
}
FLOWS = frozenset(name for name, metric in METRICS.items() if metric.flow)


class MetricsCollector(mesa.DataCollector):
    """Mesa's DataCollector with one model reporter per metric, read from
    ``model.metrics``. Mesa deep-copies every reported value, a third of a
    default-size step; the metrics are fresh numbers each week, so while the
    reporters are exactly these they are appended as they are."""

    def __init__(self) -> None:
        super().__init__(model_reporters={k: (lambda m, k=k: m.metrics[k]) for k in METRICS})
        self._ours = dict(self.model_reporters)

    def collect(self, model) -> None:
        if self.model_reporters != self._ours or self.agent_reporters or self.agenttype_reporters:
            super().collect(model)  # someone added reporters: Mesa's own way
            return
        append_row(self, model.time, model.metrics)


def mean_or_zero(values: np.ndarray) -> float:
    return float(values.sum() / len(values)) if len(values) else 0.0


def group_means(values: np.ndarray, groups: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Mean of ``values`` per group, given each group's size ``counts`` (NaN for an empty group)."""
    sums = np.bincount(groups, weights=values, minlength=len(counts))
    return np.divide(sums, counts, out=np.full(len(counts), np.nan), where=counts > 0)


DEPT_KEYS = [f"culture_{d}" for d in DEPARTMENTS]
LEVEL_KEYS = [f"culture_level_{lv}" for lv in LEVELS]


def organisation_metrics(model) -> dict[str, float]:
    """Culture, wellbeing and headcount from the workforce arrays, over present employees."""
    st, org = model.staff, model.org
    who = slice(None) if model.all_present else model.present_at  # a view, not a copy, when all are
    c = st.centricity[who]
    by_dept = group_means(c, org.dept[who], model.dept_headcount)
    out = dict(zip(DEPT_KEYS, by_dept.tolist(), strict=True))
    out.update(zip(LEVEL_KEYS, group_means(c, org.level[who], model.level_headcount).tolist(), strict=True))
    out["culture_mean"] = mean_or_zero(c)
    teams = model.dept_headcount * NOT_LEADING  # the executives set the tone, not a norm
    in_teams = teams.sum()
    out["norm_mean"] = float(model.norms @ teams / in_teams) if in_teams else 0.0
    out["wellbeing_mean"] = mean_or_zero(st.wellbeing[who])
    out["skill_mean"] = mean_or_zero(st.skill[who])
    out["service_quality"] = mean_or_zero(model.quality[who])
    out["headcount"] = len(c)
    return out


def market_metrics(model) -> dict[str, float]:
    """Customer stocks and active customers' satisfaction and scores from the market arrays."""
    mk = model.market
    active = np.flatnonzero(mk.status == ACTIVE)  # indices: faster to gather with than a mask
    prospects = int(np.count_nonzero(mk.status == PROSPECT))
    promoters, detractors = promoter_shares(mk.score[active])
    return {
        "satisfaction_mean": mean_or_zero(mk.satisfaction[active]),
        "nps": 100.0 * (promoters - detractors),
        "promoters": promoters,
        "detractors": detractors,
        "active_customers": len(active),
        "prospects": prospects,
        "churned": len(mk.status) - len(active) - prospects,
    }
