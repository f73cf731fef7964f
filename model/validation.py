"""Reference cases: each mechanism, isolated, against its analytic result.

Every analytic value is computed by the project's own formulas; every
simulated value by the mechanism the model uses (or, for the queue, by a
contact-by-contact simulation). Tolerances come from the simulation's own
standard error (batch means or binomial), plus the discretisation error where
a weekly step approximates a continuous-time result.
"""

from __future__ import annotations

import math

import numpy as np

from model import culture, service, wom

Z = 4.0  # tolerance in standard errors: a correct mechanism fails ~1 in 16,000 comparisons


def _row(case: str, quantity: str, analytic: float, simulated: float, tolerance: float) -> dict:
    return {
        "case": case,
        "quantity": quantity,
        "analytic": float(analytic),
        "simulated": float(simulated),
        "tolerance": float(tolerance),
        "passed": bool(abs(simulated - analytic) <= tolerance),
    }


def erlang_c_case(rng: np.random.Generator, hours: float, agents=range(25, 31)) -> list[dict]:
    """M/M/n without abandonment: 360 contacts/h, 240 s handling, 25-30 agents
    (24 agents carry exactly the offered 24 Erlang: no steady state)."""
    lam, mu, rows = 360.0, 15.0, []
    for n in agents:
        exact = service.erlang_c(lam, mu, n)
        # near saturation the queue relaxes slowly (time ~ 1/(mu (sqrt n - sqrt a)^2)): run longer
        stretch = min(6.0, max(1.0, 0.16 / (math.sqrt(n) - math.sqrt(lam / mu)) ** 2))
        sim = service.simulate_queue(lam, mu, n, 0.0, hours * stretch, rng, warmup_hours=hours / 20)
        case = f"erlang_c n={n}"
        waited = (sim["wait"] > 0).astype(float)
        within = (sim["wait"] <= 20 / 60).astype(float)
        for quantity, values, key in (
            ("p_wait", waited, "p_wait"),
            ("mean_wait_minutes", sim["wait"], "mean_wait"),
            ("service_level_20s", within, "service_level"),
        ):
            mean, se = service.batch_mean_se(values, sim["arrival"])
            rows.append(_row(case, quantity, exact[key], mean, Z * se + 1e-3))
    return rows


def erlang_a_case(rng: np.random.Generator, hours: float, agents=range(24, 31)) -> list[dict]:
    """M/M/n+M: the same centre with exponential patience of mean 10 minutes."""
    lam, mu, theta, rows = 360.0, 15.0, 6.0, []
    for n in agents:
        exact = service.erlang_a(lam, mu, theta, n)
        sim = service.simulate_queue(lam, mu, n, theta, hours, rng, warmup_hours=hours / 20)
        case = f"erlang_a n={n}"
        for quantity, values, value in (
            ("p_abandon", sim["abandoned"].astype(float), exact.p_abandon),
            ("mean_wait_minutes", sim["wait"], exact.mean_wait),
        ):
            mean, se = service.batch_mean_se(values, sim["arrival"])
            rows.append(_row(case, quantity, value, mean, Z * se + 1e-3))
    return rows


def bass_case(rng: np.random.Generator, market: int, p: float = 0.03, q: float = 0.38) -> list[dict]:
    """Adoption on a fully mixed market with no churn, weekly steps over 15 years."""
    dt, weeks = 1.0 / wom.WEEKS_PER_YEAR, 15 * 52
    adopted = np.zeros(market, dtype=bool)
    f_sim, f_rec = np.zeros(weeks + 1), np.zeros(weeks + 1)
    for t in range(weeks):
        f = adopted.mean()
        prob = wom.adoption_probability(p, q, f, dt=dt)
        joins = ~adopted & (rng.random(market) < prob)
        adopted |= joins
        f_sim[t + 1] = adopted.mean()
        f_rec[t + 1] = f_rec[t] + (1 - f_rec[t]) * float(wom.adoption_probability(p, q, f_rec[t], dt=dt))
    rows = []
    for year in (5, 10, 15):
        exact = float(wom.bass_cdf(year, p, q))
        se = math.sqrt(exact * (1 - exact) / market)
        discretisation = abs(f_rec[year * 52] - exact)
        rows.append(_row("bass", f"F(year {year})", exact, f_sim[year * 52], Z * se + discretisation + 1e-4))
    # the peak of adoptions is where F crosses (q - p) / 2q: read the crossing off F(t)
    f_star = (q - p) / (2 * q)
    exact_peak = wom.bass_peak_time(p, q)
    crossing = np.argmax(f_sim >= f_star) * dt
    discretisation = abs(np.argmax(f_rec >= f_star) * dt - exact_peak)
    density = (p + q * f_star) * (1 - f_star)  # dF/dt at the peak, per year
    se = math.sqrt(f_star * (1 - f_star) / market) / density
    rows.append(_row("bass", "peak time (years)", exact_peak, crossing, Z * se + discretisation + dt))
    return rows


def culture_case(rng: np.random.Generator, employees: int, steps: int) -> list[dict]:
    """Harrison-Carroll steady state: pull k toward C*, hires around mu_h."""
    k, target, spread, noise = 0.05, 1.0, 0.1, 0.1
    rows = []
    for hires_at, label in ((0.0, "hires around 0"), (target, "selective hiring")):
        for r in (0.02, 0.2):
            c = np.full(employees, target)
            means, variances = [], []
            for t in range(steps):
                c = culture.socialise(c, target, k, noise, rng, bounds=None)
                c = culture.hire(c, rng.random(employees) < r, hires_at, spread, rng, bounds=None)
                if t >= steps // 2:
                    means.append(c.mean())
                    variances.append(c.var())
            times = np.arange(len(means), dtype=float)
            case = f"culture {label} r={r}"
            mean, se = service.batch_mean_se(np.array(means), times, batches=20)
            expected = target + (hires_at - target) * r / (1 - (1 - r) * (1 - k))
            rows.append(_row(case, "mean centricity", expected, mean, Z * se + 1e-3))
            if hires_at == target:
                var, se = service.batch_mean_se(np.array(variances), times, batches=20)
                exact_var = ((1 - r) * noise**2 + r * spread**2) / (1 - (1 - r) * (1 - k) ** 2)
                rows.append(_row(case, "variance", exact_var, var, Z * se + 1e-4))
    return rows


def run_all(seed: int = 2026, quick: bool = False) -> list[dict]:
    """Every reference case, seeded; ``quick`` shortens the simulations
    (the tolerances widen with their standard errors)."""
    rng = np.random.default_rng(seed)
    hours = 300.0 if quick else 2000.0
    return (
        erlang_c_case(rng, hours)
        + erlang_a_case(rng, hours)
        + bass_case(rng, market=20_000 if quick else 200_000)
        + culture_case(rng, employees=2_000 if quick else 10_000, steps=400 if quick else 1_000)
    )


def format_table(rows: list[dict]) -> str:
    """Rows as an aligned text table with a closing count."""
    head = f"{'case':30s} {'quantity':20s} {'analytic':>11s} {'simulated':>11s} {'tolerance':>10s}  result"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['case']:30s} {r['quantity']:20s} {r['analytic']:11.5f} {r['simulated']:11.5f} "
            f"{r['tolerance']:10.5f}  {'pass' if r['passed'] else 'FAIL'}"
        )
    passed = sum(r["passed"] for r in rows)
    lines.append(f"{passed} of {len(rows)} comparisons within tolerance")
    return "\n".join(lines)
