"""Reference cases: the model, with the rest switched off, against analytic results.

Every simulated value comes from ``CultureModel`` itself, configured so that
only one mechanism acts (MODEL.md section 5); every analytic value from a
published formula or the exact solution of the model it stands on. The
tolerance is ``Z`` standard errors of the simulated value (binomial or
independent draws where they are independent, batch means over weeks where
they are not), and nothing else: a wrong mechanism cannot hide behind it.
``tests/test_validation.py`` breaks the adoption rule, the queue and the
culture update in turn and checks that the comparison then fails.
"""

from __future__ import annotations

import csv
import math
import tempfile
from pathlib import Path

import numpy as np
from scipy import stats

from model import customers as cx
from model import service, wom
from model.model import CultureModel

Z = 4.0  # tolerance in standard errors: a correct mechanism fails ~1 in 16,000 comparisons

# Everything off that is not the mechanism under test: no purchases, no word of
# mouth, no churn, no acquisition, no contacts, no quitting.
QUIET = {
    "purchase_rate": 0.0,
    "talk_rate": 0.0,
    "base_churn": 0.0,
    "churn_sensitivity": 0.0,
    "bass_p": 0.0,
    "bass_q": 0.0,
    "question_rate": 0.0,
    "presale_contact_rate": 0.0,
    "base_quit_rate": 0.0,
}


def _row(
    case: str, quantity: str, analytic: float, simulated: float, se: float, df: int | None = None
) -> dict:
    """One comparison. A standard error estimated from ``df + 1`` replications or
    batches is itself uncertain: its tolerance is the Student-t quantile with the
    same tail probability as ``Z`` standard errors, so a correct mechanism still
    fails about one comparison in 16,000 however few the batches."""
    tolerance = (Z if df is None else float(stats.t.isf(stats.norm.sf(Z), df))) * se
    return {
        "case": case,
        "quantity": quantity,
        "analytic": float(analytic),
        "simulated": float(simulated),
        "tolerance": float(tolerance),
        "passed": bool(abs(simulated - analytic) <= tolerance),
    }


def erlang_a_reference(lam: float, mu: float, theta: float, n: int) -> service.QueueStats:
    """Stationary M/M/n+M queue from its birth-death chain, solved numerically
    (``theta = 0``: no abandonment, M/M/n): the exact solution of the queue
    Erlang C and Erlang A stand on, computed independently of their closed forms."""
    if lam <= 0:
        return service.QueueStats(0.0, 0.0, 0.0, 0.0)
    if theta <= 0 and lam >= n * mu:
        raise ValueError("no steady state without abandonment at this load")
    tail = (12.0 * math.sqrt(lam / theta) + max(0.0, (lam - n * mu) / theta)) if theta > 0 else 0.0
    extra = int(tail + 50 + (60.0 * lam / (n * mu - lam) if theta <= 0 else 0.0))
    k = np.arange(1, n + extra + 1)
    death = np.minimum(k, n) * mu + np.maximum(k - n, 0) * theta
    logpi = np.concatenate(([0.0], np.cumsum(np.log(lam) - np.log(death))))
    pi = np.exp(logpi - logpi.max())
    pi /= pi.sum()
    states = np.arange(len(pi))
    lq = float(np.maximum(states - n, 0) @ pi)
    return service.QueueStats(
        p_wait=float(pi[n:].sum()),
        mean_wait=60.0 * lq / lam,
        p_abandon=min(1.0, theta * lq / lam),
        occupancy=float(np.minimum(states, n) @ pi) / n,
    )


def _contact_centre(agents: int, patience_minutes: float, directory: Path, **params) -> CultureModel:
    """A firm that is only a contact centre: ``agents`` people answering 360 routine
    questions an hour for 40 hours a week, 4 minutes each, all on duty (the roster
    asks for more than the agents' hours allow, so all of them work every hour)."""
    chart = directory / f"centre_{agents}.csv"
    with chart.open("w", newline="") as f:
        rows = csv.writer(f)
        rows.writerow(["id", "manager_id", "department"])
        rows.writerow([0, "", "executive"])
        rows.writerow([1, 0, "service"])
        rows.writerows([i, 1, "service"] for i in range(2, agents + 2))
    market = 20_000
    return CultureModel(
        rng=params.pop("seed"),
        org_chart=chart,
        **{
            **QUIET,
            "market_size": market,
            "initial_customers": market,
            "network_degree": 2,
            "question_rate": 360 * 40 / market,
            "self_service": 0.0,
            "contact_hours": 40.0,
            "agent_hours": 40.0,
            "service_staffing": 3.0,
            "handle_minutes_fast": 4.0,
            "handle_minutes_thorough": 4.0,
            "escalation_share": 0.0,
            "patience_minutes": patience_minutes,
            "peak_load": 0.0,
            "callback_offer": 0.0,
            **params,
        },
    )


def _drawn_waits(model: CultureModel, weeks: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Hold times (minutes) and hang-ups of the contacts the model drew, week by week."""
    drawn = []
    for _ in range(weeks):
        model.step()
        routine = model.week.support.routine
        drawn.append((routine.held, routine.hung_up))
    return drawn


def _weekly(drawn: list, statistic) -> tuple[float, float, int]:
    """Mean over all contacts of ``statistic(held, hung_up)``, its standard error
    from the spread of the weekly means (each week's centre runs at that week's
    load, so contacts of one week are not independent of each other)."""
    values = [statistic(held, hung_up) for held, hung_up in drawn]
    counts = np.array([len(held) for held, _ in drawn], dtype=float)
    means = np.array([v.mean() for v in values])
    mean = float(np.concatenate(values).mean())
    se = float(np.sqrt(np.sum(counts**2 * (means - mean) ** 2)) / counts.sum())
    return mean, se, len(drawn) - 1


def erlang_c_case(seed: int, weeks: int, agents=range(25, 31)) -> list[dict]:
    """M/M/n without abandonment (patience of a million minutes): 360 contacts an
    hour, 240 s handling, 25-30 agents (24 carry exactly the offered 24 Erlang)."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in agents:
            model = _contact_centre(n, 1e6, Path(tmp), seed=seed + n)
            drawn = _drawn_waits(model, weeks)
            exact = service.erlang_c(360.0, 15.0, n)
            chain = erlang_a_reference(360.0, 15.0, 0.0, n)
            case = f"erlang_c n={n}"
            waited = _weekly(drawn, lambda held, _: (held > 0).astype(float))
            wait = _weekly(drawn, lambda held, _: held)
            within = _weekly(drawn, lambda held, _: (held <= 20 / 60).astype(float))
            rows.append(_row(case, "p_wait", exact["p_wait"], *waited))
            rows.append(_row(case, "p_wait (chain)", chain.p_wait, *waited))
            rows.append(_row(case, "mean_wait_minutes", exact["mean_wait"], *wait))
            rows.append(_row(case, "service_level_20s", exact["service_level"], *within))
    return rows


def erlang_a_case(seed: int, weeks: int, agents=range(24, 31)) -> list[dict]:
    """M/M/n+M: the same centre with exponential patience of mean 10 minutes;
    the reference is the queue's birth-death chain; Garnett's identity
    P(abandon) = theta E[wait] is checked on the contacts drawn."""
    theta = 6.0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in agents:
            model = _contact_centre(n, 60.0 / theta, Path(tmp), seed=seed + 100 + n)
            drawn = _drawn_waits(model, weeks)
            exact = erlang_a_reference(360.0, 15.0, theta, n)
            case = f"erlang_a n={n}"
            rows.append(
                _row(case, "p_abandon", exact.p_abandon, *_weekly(drawn, lambda _, hung: hung.astype(float)))
            )
            rows.append(
                _row(case, "mean_wait_minutes", exact.mean_wait, *_weekly(drawn, lambda held, _: held))
            )
            # theta E[W] (per hour x hours) against the share that hung up, on the same contacts
            identity = _weekly(drawn, lambda held, hung: hung.astype(float) - theta * held / 60.0)
            rows.append(_row(case, "P(abandon) - theta E[wait]", 0.0, *identity))
    return rows


def bass_case(seed: int, market: int, replications: int, p: float = 0.03, q: float = 0.38) -> list[dict]:
    """Acquisition on a fully mixed market (everyone tied to everyone) with no
    churn and no word of mouth, weekly steps over 15 years: Bass diffusion."""
    weeks = 15 * 52
    adopted = np.zeros((replications, weeks + 1))
    for r in range(replications):
        model = CultureModel(
            rng=seed + r,
            **{
                **QUIET,
                "n_employees": 20,
                "market_size": market,
                "initial_customers": 0,
                "network_degree": market - 1,
                "network_rewiring": 0.0,
                "bass_p": p,
                "bass_q": q,
                "marketing_promise": 0.5,
            },
        )
        for t in range(weeks):
            model.step()
            adopted[r, t + 1] = model.metrics["active_customers"] / market
    f = adopted.mean(axis=0)
    n = market * replications
    rows = []
    for year in (5, 10, 15):
        exact = float(wom.bass_cdf(year, p, q))
        rows.append(_row("bass", f"F(year {year})", exact, f[year * 52], math.sqrt(exact * (1 - exact) / n)))
    # the peak of adoptions is where F crosses (q - p) / 2q: read the crossing off F(t)
    f_star = (q - p) / (2 * q)
    crossing = float(np.argmax(f >= f_star)) / 52
    density = (p + q * f_star) * (1 - f_star)  # dF/dt at the peak, per year
    se = math.hypot(
        math.sqrt(f_star * (1 - f_star) / n) / density, 1 / 52 / math.sqrt(12)
    )  # + rounding to a week
    rows.append(_row("bass", "peak time (years)", wom.bass_peak_time(p, q), crossing, se))
    return rows


def culture_case(seed: int, employees: int, weeks: int, replications: int) -> list[dict]:
    """Harrison-Carroll steady state: everyone pulled at rate k toward the CEO's
    customer focus C* (the CEO weighing fully, executives anchored at C*),
    no peers, norms or metrics; quitting at a constant rate r, hires around mu_h.
    Each replication's second half is averaged; the standard error comes from
    the spread between replications (the CEO's own weekly variation moves
    everyone's target together, so weeks of one run are not independent)."""
    k, target, spread, noise = 0.05, 0.5, 0.05, 0.02
    rows = []
    for hires_at, label in ((0.3, "hires around 0.3"), (target, "selective hiring")):
        for r in (0.02, 0.2):
            means, variances = [], []
            for rep in range(replications):
                model = CultureModel(
                    rng=seed + 1000 * rep + int(100 * r) + int(10 * hires_at),
                    **{
                        **QUIET,
                        "n_employees": employees,
                        "market_size": 10,
                        "initial_customers": 0,
                        "network_degree": 2,
                        "top_reach": 1.0,
                        "leadership_anchor": 1.0,
                        "leadership_commitment": target,
                        "upward_pull": k,
                        "peer_pull": 0.0,
                        "norm_pull": 0.0,
                        "metric_pull": 0.0,
                        "corruption_rate": 0.0,
                        "culture_noise": noise,
                        "base_quit_rate": -math.log1p(-r),
                        "quit_sensitivity": 0.0,
                        "hiring_culture_fit": 0.0,
                        "labour_market_centricity": hires_at,
                        "labour_market_spread": spread,
                    },
                )
                socialised = model.org.level != 0  # everyone but the executives, who are anchored
                run_means, run_vars = [], []
                for t in range(weeks):
                    model.step()
                    if t >= weeks // 2:
                        c = model.staff.centricity[socialised]
                        run_means.append(c.mean())
                        run_vars.append(c.var())
                means.append(np.mean(run_means))
                variances.append(np.mean(run_vars))
            case = f"culture {label} r={r}"
            expected = target + (hires_at - target) * r / (1 - (1 - r) * (1 - k))
            rows.append(_row(case, "mean centricity", expected, *_between(means)))
            if hires_at == target:
                exact_var = ((1 - r) * noise**2 + r * spread**2) / (1 - (1 - r) * (1 - k) ** 2)
                rows.append(_row(case, "variance", exact_var, *_between(variances)))
    return rows


def _between(values: list[float]) -> tuple[float, float, int]:
    """Mean of independent replications' values, its standard error and degrees of freedom."""
    v = np.asarray(values, dtype=float)
    return float(v.mean()), float(v.std(ddof=1) / math.sqrt(len(v))), len(v) - 1


def lifetime_case(seed: int, customers: int, weeks: int, hazard: float = 0.01) -> list[dict]:
    """A constant churn hazard and nothing else: mean customer lifetime = 1 / churn rate."""
    model = CultureModel(
        rng=seed,
        **{
            **QUIET,
            "n_employees": 20,
            "market_size": customers,
            "initial_customers": customers,
            "base_churn": hazard,
        },
    )
    exposure, left = 0, 0
    for _ in range(weeks):
        active = model.metrics["active_customers"]
        model.step()
        exposure += active
        left += active - model.metrics["active_customers"]
    rate = left / exposure
    expected = -math.expm1(-hazard)  # weekly churn probability of the hazard
    se_rate = math.sqrt(expected * (1 - expected) / exposure)
    return [
        _row("lifetime", "weekly churn rate", expected, rate, se_rate),
        _row("lifetime", "mean lifetime (weeks)", 1 / expected, 1 / rate, se_rate / rate**2),
    ]


def nps_case(seed: int) -> list[dict]:
    """The model's NPS metric against its definition, counted from the scores
    themselves: % promoters (9-10) - % detractors (0-6)."""
    model = CultureModel(rng=seed, n_employees=40, market_size=2000, initial_customers=800)
    for _ in range(20):
        model.step()
    scores = model.market.score[model.market.status == cx.ACTIVE]
    counted = 100.0 * (np.mean(scores >= 9) - np.mean(scores <= 6))
    return [_row("nps", "NPS of active customers", counted, model.metrics["nps"], 1e-9 / Z)]


def run_all(seed: int = 2026, quick: bool = False) -> list[dict]:
    """Every reference case, seeded; ``quick`` runs fewer weeks and
    replications (the tolerances widen with their standard errors)."""
    return (
        erlang_c_case(seed, weeks=12 if quick else 60)
        + erlang_a_case(seed, weeks=12 if quick else 60)
        + bass_case(seed, market=1_000 if quick else 2_000, replications=3 if quick else 8)
        + culture_case(
            seed,
            employees=200 if quick else 1_500,
            weeks=200 if quick else 600,
            replications=10 if quick else 16,
        )
        + lifetime_case(seed, customers=5_000 if quick else 50_000, weeks=52)
        + nps_case(seed)
    )


def format_table(rows: list[dict]) -> str:
    """Rows as an aligned text table with a closing count."""
    head = f"{'case':30s} {'quantity':26s} {'analytic':>11s} {'simulated':>11s} {'tolerance':>10s}  result"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['case']:30s} {r['quantity']:26s} {r['analytic']:11.5f} {r['simulated']:11.5f} "
            f"{r['tolerance']:10.5f}  {'pass' if r['passed'] else 'FAIL'}"
        )
    passed = sum(r["passed"] for r in rows)
    lines.append(f"{passed} of {len(rows)} comparisons within tolerance")
    return "\n".join(lines)
