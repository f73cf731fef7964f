"""What is measured each step: names, meanings, and pure functions model -> numbers.

``METRICS`` names every column of the per-step table with a one-line meaning
(used by the DataCollector, the dashboard's help texts and the docs).
"""

from __future__ import annotations

import mesa
import numpy as np

from model.customers import ACTIVE, PROSPECT, promoter_shares
from model.departments import DEPARTMENTS, LEVELS

METRICS: dict[str, str] = {
    "culture_mean": "Mean customer-centricity of present employees (0..1).",
    **{
        f"culture_{d}": f"Mean customer-centricity in the {d} department (0..1; empty when nobody is left)."
        for d in DEPARTMENTS
    },
    **{f"culture_level_{lv}": f"Mean customer-centricity of {lv} level employees (0..1)." for lv in LEVELS},
    "norm_mean": "The departments' norms (how things are done there, 0..1), weighted by headcount.",
    "wellbeing_mean": "Mean employee wellbeing (0..1).",
    "skill_mean": "Mean employee skill (0..1).",
    "service_quality": "Mean quality of service delivered by employees (0..1).",
    "employee_turnover": "Employees who quit this week / headcount.",
    "headcount": "Employees in post.",
    "service_turnover": "Service-department employees who quit this week / the department's headcount.",
    "agents": "Contact-centre agents on duty in an average open hour (a roster alternating between whole numbers).",
    "contacts": "Contacts reaching support this week.",
    "speed_of_answer_seconds": "Mean wait of the contacts answered this week (speed of answer), seconds; callbacks not counted.",
    "abandonment_rate": "Share of this week's contacts that hung up before being answered.",
    "first_contact_resolution": "Share of problem contacts solved at the first contact (empty in a week without any).",
    "agent_occupancy": "Share of agent time spent handling contacts.",
    "satisfaction_mean": "Mean satisfaction of active customers (0..1).",
    "nps": "Net Promoter Score of active customers: % promoters - % detractors.",
    "promoters": "Share of active customers scoring 9-10.",
    "detractors": "Share of active customers scoring 0-6.",
    "active_customers": "Customers currently buying.",
    "prospects": "People in the market who have never been customers.",
    "churned": "Former customers (cumulative).",
    "problems": "Purchases this week where something went wrong (a touchpoint or a trap).",
    "complaints": "Purchases this week whose problem the customer contacted the firm about.",
    "churn_rate": "Customers lost this week / active customers at the start of the week.",
    "acquisitions_marketing": "New customers this week won by marketing.",
    "acquisitions_referral": "New customers this week won through their contacts.",
    "lost_presale": "Would-be customers lost this week because nobody answered them.",
    "recommenders": "Promoters who recommended the firm this week.",
    "warners": "Detractors who warned others this week (buying or leaving).",
    "wom_positive": "Recommendations heard this week.",
    "wom_negative": "Warnings heard this week.",
    "delighted_purchases": "Purchases this week by customers scoring 9-10 after it.",
    "premium_purchases": "Purchases this week on which a delighted customer paid a premium.",
    "revenue": "Revenue this week.",
    "cost": "Costs this week (goods, wages, training, care, hiring, support agents).",
    "profit": "Revenue minus cost this week.",
    "cumulative_profit": "Profit since the start.",
}


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
        self._collection_steps.append(model.time)
        metrics = model.metrics
        for name, column in self.model_vars.items():
            column.append(metrics[name])


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
    out["norm_mean"] = float(model.norms @ model.dept_headcount / max(1, model.dept_headcount.sum()))
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
