"""The Mesa model: builds the organisation and the market, orders a week's mechanisms.

One step is one week. Within a week:

1. scheduled events fire;
2. the organisation: culture, skill, wellbeing, quitting and hiring;
3. the market: word-of-mouth memory fades, prospects consider buying,
   customers buy and meet the product, delivery and sales touchpoints;
4. the support queue serves pre-sale questions, complaints, routine questions
   and repeat contacts;
5. experiences become satisfaction; customers churn; new customers join;
6. promoters recommend and detractors warn;
7. money is counted and the metrics recorded.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from pathlib import Path

import mesa
import numpy as np

from model import culture, service, wom
from model import customers as cx
from model.agents import Customer, Employee
from model.departments import DEPARTMENTS, DEPT_INDEX, FRONTLINE, TOUCHPOINTS
from model.events import EVENTS, check_event
from model.metrics import METRICS, market_metrics, organisation_metrics
from model.network import neighbours, small_world
from model.org import EXECUTIVE, Org, generate_org, load_org_chart
from model.params import SPECS, ParameterError, Params, coerce, make_params
from model.scenario import Scenario, load_scenario

# Parameters that shape the world when it is built; changing them needs a reset.
STRUCTURAL = frozenset(name for name, spec in SPECS.items() if spec.group in ("size", "organisation")) | {
    "network_degree",
    "network_rewiring",
}


@dataclass
class Staff:
    """The workforce's state, one entry per position of the org chart."""

    centricity: np.ndarray
    wellbeing: np.ndarray
    skill: np.ndarray
    tenure: np.ndarray
    present: np.ndarray  # False for a position left empty by layoffs


@dataclass
class Market:
    """The market's state, one entry per person."""

    status: np.ndarray  # PROSPECT, ACTIVE or CHURNED
    satisfaction: np.ndarray
    expectation_offset: np.ndarray  # personal difference from what the promise sets
    score: np.ndarray  # 0-10 likelihood to recommend
    tenure: np.ndarray  # weeks as a customer
    spend: np.ndarray
    premium_payer: np.ndarray  # would pay a premium when delighted
    recommendations: np.ndarray  # recent recommendations heard (fading)
    warnings: np.ndarray  # recent warnings heard (fading)
    active_contacts: np.ndarray  # contacts who are active customers
    degree: np.ndarray


class CultureModel(mesa.Model):
    """A firm whose customer-centric culture spreads from the top, and its market.

    Args:
        scenario: a bundled scenario name, a path to a scenario TOML, or a
            ``Scenario``; its parameters and events apply first.
        rng: seed or numpy Generator; all randomness flows from it. Without
            one, a seed is drawn and kept in ``model.seed``.
        org_chart: optional CSV or GraphML org chart to use instead of a
            generated organisation.
        **params: parameter values (see ``model.params.SPECS``), overriding the
            scenario's.
    """

    def __init__(
        self,
        scenario: str | Path | Scenario | None = None,
        *,
        rng: int | np.random.Generator | None = None,
        org_chart: str | Path | None = None,
        **params,
    ) -> None:
        if rng is None:  # draw a seed, so that even this run can be reproduced
            rng = int(np.random.SeedSequence().entropy % 2**63)
        if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
            rng = int(rng)
        super().__init__(rng=rng)
        if scenario is not None and not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario)
        self.preset = scenario
        values = dict(scenario.parameters) if scenario else {}
        values.update(coerce(params))
        self.p: Params = make_params(values)
        self.seed = rng if isinstance(rng, int) else None  # recorded with every output
        self.schedule: dict[int, list[tuple[str, dict]]] = {}
        self.event_log: list[dict] = []
        for event in scenario.events if scenario else ():
            self.schedule_at(event.step, event.type, **event.options)

        self.org: Org = self._build_org(org_chart)
        self._build_staff()
        self._build_market()
        self.breakdown: tuple[int, float] = (0, 1.0)  # (until step, capacity)
        self.cumulative_profit = 0.0
        self._repeat_contacts = 0
        self._forecast_load = None
        self.occupancy = 0.0
        self.flows = {k: 0.0 for k in METRICS}
        self.metrics: dict[str, float] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={k: (lambda m, k=k: m.metrics[k]) for k in METRICS}
        )
        self._record()

    # ------------------------------------------------------------ building
    def _build_org(self, org_chart) -> Org:
        p = self.p
        if org_chart is not None:
            return load_org_chart(org_chart, p.peer_ties, p.cross_department_ties, self.rng)
        shares = {d: getattr(p, f"dept_share_{d}") for d in DEPARTMENTS}
        return generate_org(
            p.n_employees, shares, p.span_of_control, p.peer_ties, p.cross_department_ties, self.rng
        )

    def _build_staff(self) -> None:
        p, n, rng = self.p, self.org.size, self.rng
        execs = self.org.level == EXECUTIVE
        c = np.clip(p.labour_market_centricity + p.labour_market_spread * rng.standard_normal(n), 0, 1)
        c[execs] = p.leadership_commitment
        self.staff = Staff(
            centricity=c,
            wellbeing=np.full(n, p.wellbeing_base),
            skill=np.clip(0.6 + 0.1 * rng.standard_normal(n), 0, 1),
            tenure=rng.integers(p.onboarding_weeks, 520, n, endpoint=True),
            present=np.ones(n, dtype=bool),
        )
        self.frontline = np.isin(self.org.dept, [DEPT_INDEX[d] for d in FRONTLINE]).astype(float)
        self.positions = np.bincount(self.org.dept, minlength=len(DEPARTMENTS))
        self.employee_at = np.empty(n, dtype=object)
        self.employee_at[:] = list(Employee.create_agents(self, n, list(range(n))))
        self._refresh_members()
        self.quality = culture.service_quality(c, self.staff.skill, self.staff.wellbeing, self.frontline, p)

    def _build_market(self) -> None:
        p, n, rng = self.p, self.p.market_size, self.rng
        self.network = small_world(n, p.network_degree, p.network_rewiring, rng)
        status = np.zeros(n, dtype=np.int8)
        status[rng.choice(n, size=p.initial_customers, replace=False)] = cx.ACTIVE
        degree = np.diff(self.network.indptr)
        self.market = Market(
            status=status,
            satisfaction=np.full(n, p.acceptable_satisfaction),
            expectation_offset=p.expectation_spread * rng.standard_normal(n),
            score=cx.recommendation_score(np.full(n, p.acceptable_satisfaction)),
            tenure=np.zeros(n, dtype=np.int64),
            spend=np.zeros(n),
            premium_payer=rng.random(n) < p.premium_share,
            recommendations=np.zeros(n),
            warnings=np.zeros(n),
            active_contacts=(self.network @ (status == cx.ACTIVE).astype(np.float32)).astype(np.int64),
            degree=degree,
        )
        self.customer_at = Customer.create_agents(self, n, np.arange(n))

    # ------------------------------------------------------ steering API
    def set_params(self, **changes) -> None:
        """Change parameters of the running model (takes effect from the next step).

        Raises:
            ParameterError: unknown name, bad value, or a structural parameter.
        """
        changes = coerce(changes)
        fixed = sorted(set(changes) & STRUCTURAL)
        if fixed:
            raise ParameterError(f"{', '.join(fixed)} shape(s) the world when it is built; reset to change")
        self.p = self.p.replace(**changes)

    def fire(self, kind: str, **options) -> None:
        """Fire an event now (see ``model.events``) and log it at the current step."""
        check_event(kind, options)
        EVENTS[kind](self, **options)
        self.event_log.append({"step": self.steps, "type": kind, **options})

    def schedule_at(self, step: int, kind: str, **options) -> None:
        """Fire an event after ``step`` completed weeks."""
        check_event(kind, options)
        if step < self.steps:
            raise ParameterError(f"event {kind} at step {step} is in the past (now {self.steps}); use fire()")
        self.schedule.setdefault(int(step), []).append((kind, options))

    def expectations(self, who: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Current expectation of an experience, for everyone or for ``who``: set
        by the promise, personal differences and word of mouth heard lately."""
        mk, p = self.market, self.p
        heard = p.wom_expectation * (mk.recommendations[who] - mk.warnings[who])
        return np.clip(cx.expectation_anchor(p) + mk.expectation_offset[who] + heard, 0.0, 1.0)

    def replace_employees(self, positions: np.ndarray) -> None:
        """New people take ``positions`` (new Mesa agents)."""
        for agent in self.employee_at[positions]:
            agent.remove()
        self.employee_at[positions] = list(Employee.create_agents(self, len(positions), positions.tolist()))

    def vacate(self, positions: np.ndarray) -> None:
        """Leave ``positions`` empty (layoffs, outsourcing)."""
        for i in positions.tolist():
            if i == 0:
                continue  # the CEO's chair is never left empty
            self.employee_at[i].remove()
            self.employee_at[i] = None
            self.staff.present[i] = False
        self._refresh_members()

    def _refresh_members(self) -> None:
        """Recompute what depends on who is present (after layoffs or outsourcing)."""
        present = self.staff.present
        self.members = [np.flatnonzero(present & (self.org.dept == d)) for d in range(len(DEPARTMENTS))]
        self.server_pools = {t: cx.server_pool(t, self.members) for t in TOUCHPOINTS}
        self.tie_weight = self.org.ties @ present.astype(float)
        self.executive = present & (self.org.level == EXECUTIVE)

    # ------------------------------------------------------------ the week
    def step(self) -> None:
        for kind, options in self.schedule.pop(self.steps - 1, []):
            self.fire(kind, **options)
        self.flows = dict.fromkeys(METRICS, 0.0)
        self._organisation_week()
        self._market_week()
        self._record()

    def _organisation_week(self) -> None:
        p, st, org, rng = self.p, self.staff, self.org, self.rng
        st.centricity = culture.culture_week(
            st.centricity,
            levels=org.levels,
            executive=self.executive,
            present=st.present,
            frontline=self.frontline,
            ties=org.ties,
            tie_weight=self.tie_weight,
            p=p,
            rng=rng,
        )
        st.skill = culture.skill_week(st.skill, st.tenure, p)
        target = culture.wellbeing_target(self._overload(), self.frontline, p)
        st.wellbeing = culture.wellbeing_week(st.wellbeing, target, p.wellbeing_rate)

        quits = st.present & (rng.random(org.size) < culture.quit_probability(st.wellbeing, p))
        quits[0] = False  # the CEO leaves only through a new_ceo event
        mean = culture.hire_mean(
            p.labour_market_centricity, p.hiring_culture_fit, st.centricity[self.executive].mean()
        )
        st.centricity = culture.hire(st.centricity, quits, mean, p.labour_market_spread, rng)
        st.skill[quits] = p.new_hire_skill
        st.wellbeing[quits] = p.wellbeing_base
        st.tenure[st.present] += 1
        st.tenure[quits] = 0
        self.replace_employees(np.flatnonzero(quits))
        headcount = int(st.present.sum())
        self.flows["employee_turnover"] = quits.sum() / headcount if headcount else 0.0
        self.flows["hires"] = int(quits.sum())
        self.quality = culture.service_quality(st.centricity, st.skill, st.wellbeing, self.frontline, p)

    def _overload(self) -> np.ndarray:
        """Workload above comfortable: support agents' occupancy for the service
        department, plus the work of empty positions for everyone."""
        p = self.p
        filled = np.array([len(m) for m in self.members])
        vacancy = np.divide(self.positions, filled, out=np.ones(len(filled)), where=filled > 0) - 1.0
        over = vacancy[self.org.dept]
        busy = max(0.0, self.occupancy - p.comfortable_occupancy) / max(1e-9, 1.0 - p.comfortable_occupancy)
        return over + busy * (self.org.dept == DEPT_INDEX["service"])

    def _market_week(self) -> None:
        p, mk, rng, f = self.p, self.market, self.rng, self.flows
        mk.recommendations *= p.wom_memory
        mk.warnings *= p.wom_memory
        active = np.flatnonzero(mk.status == cx.ACTIVE)
        prospects = np.flatnonzero(mk.status == cx.PROSPECT)

        # prospects consider buying: marketing (Bass p) and contacts (Bass q)
        bass_p = p.bass_p * max(0.0, 1.0 + p.promise_reach * (p.marketing_promise - 0.5))
        share = mk.active_contacts[prospects] / np.maximum(mk.degree[prospects], 1)
        recs, warns = mk.recommendations[prospects], mk.warnings[prospects]
        prob = wom.adoption_probability(
            bass_p, p.bass_q, share, recs, warns, p.referral_weight, p.wom_deterrence
        )
        chosen = rng.random(len(prospects)) < prob
        candidates = prospects[chosen]
        by_marketing = rng.random(len(candidates)) < wom.marketing_share(
            bass_p, p.bass_q, share[chosen], recs[chosen], p.referral_weight
        )
        asks = rng.random(len(candidates)) < p.presale_contact_rate

        # customers buy and meet product, delivery and sales
        buyers = active[rng.random(len(active)) < p.purchase_rate]
        k = len(buyers)
        es = p.employee_share
        scores = np.column_stack(
            [
                cx.touchpoint_score(p.product_quality, self._served("product", k), es),
                cx.touchpoint_score(p.partner_reliability, self._served("delivery", k), es),
                cx.touchpoint_score(1.0, self._served("right_product", k), es),
            ]
        )
        failed = cx.failures(scores, p, rng)
        trapped = rng.random(k) < p.bad_practice  # hidden fees and traps [seed004]
        problem = failed.any(axis=1) | trapped
        complains = problem & (rng.random(k) < p.complaint_rate)

        # the support queue
        n_ask, n_complain = int(asks.sum()), int(complains.sum())
        questions = int(rng.binomial(len(active), p.question_rate * (1.0 - p.self_service)))
        contacts = n_ask + n_complain + questions + self._repeat_contacts
        problem_share = (n_complain + self._repeat_contacts) / contacts if contacts else 0.0
        handle = cx.handle_minutes(problem_share, p)
        lam, mu, theta = contacts / p.contact_hours, 60.0 / handle, 60.0 / p.patience_minutes
        load = lam / mu
        forecast = load if self._forecast_load is None else self._forecast_load
        self._forecast_load = load
        agents = min(
            service.required_agents(forecast, p.service_staffing, p.staffing_safety),
            max(1, len(self.members[DEPT_INDEX["service"]])),  # no more agents than service staff
        )
        if self.steps <= self.breakdown[0]:
            agents = max(1, round(agents * self.breakdown[1]))
        stats = service.erlang_a(lam, mu, theta, agents)
        self.occupancy = stats.occupancy
        needed, held, hung_up = service.draw_contacts(stats, theta, n_ask + n_complain, rng)
        callback = (needed > p.callback_threshold_minutes) & (rng.random(len(needed)) < p.callback_offer)
        hung_up &= ~callback
        held = np.where(callback, p.callback_wait_factor * needed, held)

        # pre-sale contacts: unanswered ones buy elsewhere [seed000]
        ask_hung = hung_up[:n_ask]
        converts = rng.random(n_ask) < cx.touchpoint_score(1.0, self._served("presale", n_ask), es)
        won = np.ones(len(candidates), dtype=bool)
        won[asks] = ~ask_hung & converts
        adopters = candidates[won]
        f["lost_presale"] = int(ask_hung.sum())
        f["acquisitions_marketing"] = int((won & by_marketing).sum())
        f["acquisitions_referral"] = int((won & ~by_marketing).sum())

        # complaints: answered, solved first time or after another contact
        c_hung, c_held = hung_up[n_ask:], held[n_ask:]
        fcr = rng.random(n_complain) < cx.first_contact_resolution(self._served("recovery", n_complain), p)
        solved_first = ~c_hung & fcr
        value = np.where(c_hung, 0.0, np.where(solved_first, 1.0, 0.5))  # a second contact halves it
        resolution = np.ones(k)
        resolution[problem] = 0.0  # silent sufferers stay unresolved [tarp1986]
        resolution[complains] = value * (1.0 - cx.wait_spoil(c_held, p.wait_tolerance_minutes))
        self._repeat_contacts = int((~c_hung & ~fcr).sum())
        f.update(
            agents=agents,
            contacts=contacts,
            agent_occupancy=stats.occupancy,
            avg_wait_minutes=float(held.mean()) if len(held) else stats.mean_wait,
            abandonment_rate=float(hung_up.mean()) if len(hung_up) else stats.p_abandon,
            first_contact_resolution=float(solved_first.sum() / n_complain) if n_complain else 1.0,
        )

        # experience -> satisfaction -> score
        lived = cx.experience(scores, failed, resolution, 1.0 - trapped, p) - p.bad_practice_sting * trapped
        expected = self.expectations(buyers)
        m = p.satisfaction_memory
        mk.satisfaction[buyers] = (1 - m) * mk.satisfaction[buyers] + m * cx.satisfaction(lived, expected, p)
        mk.score[buyers] = cx.recommendation_score(mk.satisfaction[buyers])

        # money from purchases
        promoter = mk.score[buyers] >= 9
        premium = promoter & mk.premium_payer[buyers]
        paid = p.price * (1.0 + p.premium * premium + p.hidden_fee * trapped)
        mk.spend[buyers] += paid
        revenue = float(paid.sum())

        # churn, then newcomers join
        leaving = active[rng.random(len(active)) < cx.churn_probability(mk.satisfaction[active], p)]
        mk.status[leaving] = cx.CHURNED
        mk.tenure[active] += 1  # a week more for everyone active this week
        mk.status[adopters] = cx.ACTIVE
        mk.satisfaction[adopters] = p.acceptable_satisfaction
        mk.score[adopters] = cx.recommendation_score(mk.satisfaction[adopters])
        mk.tenure[adopters] = 0
        np.add.at(mk.active_contacts, neighbours(self.network, adopters), 1)
        np.add.at(mk.active_contacts, neighbours(self.network, leaving), -1)
        f["churn_rate"] = len(leaving) / len(active) if len(active) else 0.0

        # word of mouth: promoters recommend, detractors (also those leaving) warn
        talk = rng.random(k) < p.talk_rate
        fans = buyers[talk & promoter]
        critics = buyers[talk & (mk.score[buyers] <= 6)]
        critics = np.union1d(
            critics, leaving[(mk.score[leaving] <= 6) & (rng.random(len(leaving)) < p.talk_rate)]
        )
        heard_good = wom.spread(fans, p.positive_reach, p.social_amplification, self.network, rng)
        heard_bad = wom.spread(
            critics, p.positive_reach * p.negative_wom_weight, p.social_amplification, self.network, rng
        )
        np.add.at(mk.recommendations, heard_good, 1.0)
        np.add.at(mk.warnings, heard_bad, 1.0)
        f["wom_positive"], f["wom_negative"] = len(heard_good), len(heard_bad)

        # costs
        headcount = int(self.staff.present.sum())
        wages = headcount * p.wage
        cost = (
            p.unit_cost_share * p.price * k
            + wages * (1.0 + p.training_cost * p.training_intensity + p.care_cost * p.employee_care)
            + f["hires"] * p.hire_cost * p.wage
            + agents * p.contact_hours * p.agent_hour_cost
        )
        self.cumulative_profit += revenue - cost
        f.update(revenue=revenue, cost=cost, profit=revenue - cost, cumulative_profit=self.cumulative_profit)

    def _served(self, touchpoint: str, count: int) -> np.ndarray:
        return cx.serving_quality(self.server_pools[touchpoint], count, self.quality, self.rng)

    def _record(self) -> None:
        self.metrics = {**self.flows, **organisation_metrics(self), **market_metrics(self)}
        self.metrics["cumulative_profit"] = self.cumulative_profit
        self.datacollector.collect(self)
