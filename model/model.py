"""The Mesa model: builds the organisation and the market, orders a week's mechanisms.

One step is one week. Within a week:

1. scheduled events fire;
2. the organisation (``_organisation_week``): culture, skill, wellbeing,
   quitting and hiring;
3. the market (``_market_week``): word-of-mouth memory fades; prospects
   consider buying (``_prospects_consider``); customers buy and meet the
   product, delivery and sales touchpoints (``_purchases``);
4. the support queue serves pre-sale questions, complaints, routine questions
   and repeat contacts (``_support_queue``); unanswered would-be customers buy
   elsewhere (``_presale``); complaints are resolved or not (``_recovery``);
5. experience becomes satisfaction, a score and revenue
   (``_experience_and_payment``); customers churn, newcomers join
   (``_churn_and_join``);
6. promoters recommend and detractors warn (``_word_of_mouth``);
7. costs and profit are counted (``_account``) and the metrics recorded.
"""

from __future__ import annotations

import math
import numbers
import operator
from dataclasses import dataclass
from pathlib import Path

import mesa
import numpy as np

from model import culture, service, wom
from model import customers as cx
from model.agents import Customer, Employee
from model.departments import DEPARTMENTS, DEPT_INDEX, FRONTLINE, LEVELS
from model.events import EVENTS, check_event
from model.mesa_adapter import enrol, retire
from model.metrics import METRICS, MetricsCollector, market_metrics, organisation_metrics
from model.network import count_neighbours, small_world
from model.org import EXECUTIVE, Org, generate_org, load_org_chart
from model.params import SPECS, ParameterError, Params, coerce, make_params
from model.sampling import proposals
from model.scenario import Scenario, load_scenario

# The touchpoints of a purchase, in the column order of ``Purchases.scores``.
PURCHASE = ("product", "delivery", "right_product")
# The touchpoints of the contacts the support queue follows one by one.
FOLLOWED = ("presale", "recovery")

# The parameters the culture map is built from (see CultureModel._culture_map).
CULTURE_LEVERS = (
    "upward_pull",
    "peer_pull",
    "top_reach",
    "metric_pull",
    "metric_focus",
    "corruption_rate",
    "bad_practice",
    "leadership_anchor",
    "leadership_commitment",
)

_culture_levers = operator.attrgetter(*CULTURE_LEVERS)


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
    degree: np.ndarray


@dataclass
class Purchases:
    """This week's purchases and what happened at their touchpoints."""

    buyers: np.ndarray
    scores: np.ndarray  # (k, 3) product, delivery, right-product quality
    failed: np.ndarray  # (k, 3) which touchpoints went wrong
    trapped: np.ndarray  # hit by a hidden fee or trap
    problem: np.ndarray  # anything went wrong
    complains: np.ndarray  # contacted support about it


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
            if rng < 0:
                raise ParameterError(f"the seed must be a whole number >= 0, got {rng}")
        self._stepping = False
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
        self._one_off_costs = 0.0  # charged this week by events and actions (see ``charge``)
        self._repeat_contacts = 0
        self._forecast_load = None
        self.occupancy = 0.0
        self.flows = dict.fromkeys(METRICS, 0.0)
        self.flows["first_contact_resolution"] = np.nan  # nothing to resolve before the first week
        self.metrics: dict[str, float] = {}
        self.datacollector = MetricsCollector()
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
            skill=np.full(n, p.initial_skill),
            tenure=rng.geometric(max(p.base_quit_rate, 1e-6), n)
            - 1,  # steady state of a constant quit hazard
            present=np.ones(n, dtype=bool),
        )
        self.frontline_dept = np.isin(np.arange(len(DEPARTMENTS)), [DEPT_INDEX[d] for d in FRONTLINE]).astype(
            float
        )
        self.frontline = self.frontline_dept[self.org.dept]
        self.in_service = (np.arange(len(DEPARTMENTS)) == DEPT_INDEX["service"]).astype(float)
        self.positions = np.bincount(self.org.dept, minlength=len(DEPARTMENTS))
        # a list, not a numpy object array: the garbage collector cannot see through
        # an object array, so the cycle model -> agents -> model would never be freed
        self.employee_at: list[Employee | None] = enrol(self, Employee, range(n))
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
            degree=degree,
        )
        self.customer_at = enrol(self, Customer, range(n))  # by position in the market arrays

    # ------------------------------------------------------ steering API
    def set_params(self, **changes) -> None:
        """Change parameters of the running model (takes effect from the next step).

        Raises:
            ParameterError: unknown name, bad value, or a structural parameter.
        """
        changes = coerce(changes)
        fixed = sorted(name for name in changes if SPECS[name].structural)
        if fixed:
            raise ParameterError(f"{', '.join(fixed)} shape(s) the world when it is built; reset to change")
        self.p = self.p.replace(**changes)

    @property
    def weeks_done(self) -> int:
        """Weeks completed so far (inside ``step`` the week under way does not count)."""
        return self.steps - 1 if self._stepping else self.steps

    def fire(self, kind: str, **options) -> None:
        """Fire an event now (see ``model.events``), logged at ``weeks_done``."""
        check_event(kind, options)
        EVENTS[kind](self, **options)
        self.event_log.append({"step": self.weeks_done, "type": kind, **options})

    def charge(self, amount: float) -> None:
        """Book a one-off cost (a programme, an investment) into the week under way,
        or into the next week when called between steps."""
        if not math.isfinite(amount) or amount < 0:
            raise ParameterError(f"a cost must be a finite amount >= 0, got {amount!r}")
        self._one_off_costs += float(amount)

    def schedule_at(self, step: int, kind: str, **options) -> None:
        """Fire an event after ``step`` completed weeks."""
        check_event(kind, options)
        if step < self.weeks_done:
            raise ParameterError(
                f"event {kind} at step {step} is in the past (now {self.weeks_done}); use fire()"
            )
        self.schedule.setdefault(int(step), []).append((kind, options))

    def expectations(self, who: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Current expectation of an experience, for everyone or for ``who``: set
        by the promise, personal differences and word of mouth heard lately."""
        mk, p = self.market, self.p
        heard = p.wom_expectation * (mk.recommendations[who] - mk.warnings[who])
        return np.minimum(np.maximum(cx.expectation_anchor(p) + mk.expectation_offset[who] + heard, 0.0), 1.0)

    def replace_employees(self, positions: np.ndarray) -> None:
        """New people take ``positions`` (new Mesa agents)."""
        at = positions.tolist()
        retire(self, [self.employee_at[i] for i in at])
        for i, agent in zip(at, enrol(self, Employee, at), strict=True):
            self.employee_at[i] = agent

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
        self.all_present = bool(present.all())
        self.members = [np.flatnonzero(present & (self.org.dept == d)) for d in range(len(DEPARTMENTS))]
        self.server_pools = {group: cx.server_pool(group, self.members) for group in (PURCHASE, FOLLOWED)}
        filled = np.array([len(m) for m in self.members])
        self.present_at = np.flatnonzero(present)
        self.dept_headcount = filled
        self.level_headcount = np.bincount(self.org.level[present], minlength=len(LEVELS))
        # others' work each present person carries, by department
        self.vacancy_load = (
            np.divide(self.positions, filled, out=np.ones(len(filled)), where=filled > 0) - 1.0
        )
        self.peers = culture.peer_matrix(self.org.ties, present)
        self.executive = present & (self.org.level == EXECUTIVE)
        self.executives = np.flatnonzero(self.executive)
        self._culture_key = None  # the culture map must be rebuilt (see _culture_map)

    # ------------------------------------------------------------ the week
    def step(self) -> None:
        self._stepping = True
        for kind, options in self.schedule.pop(self.weeks_done, []):
            self.fire(kind, **options)
        self.flows = dict.fromkeys(METRICS, 0.0)
        self._organisation_week()
        self._market_week()
        self._record()
        self._stepping = False

    def _organisation_week(self) -> None:
        p, st, org, rng = self.p, self.staff, self.org, self.rng
        st.centricity = culture.culture_week(
            st.centricity, self._culture_map(), st.present, p.culture_noise, rng
        )
        st.skill = culture.skill_week(st.skill, st.tenure, p)
        target = culture.wellbeing_target(self._overload(), self.frontline_dept, p)  # by department
        st.wellbeing = culture.wellbeing_week(st.wellbeing, target[org.dept], p.wellbeing_rate)

        leavers = culture.quitters(st.wellbeing, None if self.all_present else st.present, p, rng)
        if len(leavers) and leavers[0] == 0:
            leavers = leavers[1:]  # the CEO leaves only through a new_ceo event
        if self.all_present:
            st.tenure += 1
        else:
            st.tenure[st.present] += 1
        if len(leavers):
            self._hire(leavers)
        headcount = org.size if self.all_present else int(st.present.sum())
        self.flows["employee_turnover"] = len(leavers) / headcount if headcount else 0.0
        self.flows["hires"] = len(leavers)
        self.quality = culture.service_quality(st.centricity, st.skill, st.wellbeing, self.frontline, p)

    def _hire(self, positions: np.ndarray) -> None:
        """New people, hired for culture fit as far as ``hiring_culture_fit`` says,
        take ``positions``: new agents, untrained, at base wellbeing."""
        p, st = self.p, self.staff
        mean = culture.hire_mean(
            p.labour_market_centricity, p.hiring_culture_fit, st.centricity[self.executives].mean()
        )
        st.centricity[positions] = culture.new_hires(len(positions), mean, p.labour_market_spread, self.rng)
        st.skill[positions] = p.new_hire_skill
        st.wellbeing[positions] = p.wellbeing_base
        st.tenure[positions] = 0
        self.replace_employees(positions)

    def _culture_map(self) -> tuple:
        """``culture.culture_map``, rebuilt only when its levers or who is present change."""
        p = self.p
        key = _culture_levers(p)
        if key != self._culture_key:
            upward = culture.upward_matrix(self.org.parent, self.org.depth, p.top_reach)
            self._culture = culture.culture_map(upward, self.peers, self.executive, self.frontline, p)
            self._culture_key = key
        return self._culture

    def _overload(self) -> np.ndarray:
        """Workload above comfortable, by department: support agents' occupancy
        for the service department, plus the work of empty positions for everyone."""
        p = self.p
        busy = max(0.0, self.occupancy - p.comfortable_occupancy) / max(1e-9, 1.0 - p.comfortable_occupancy)
        return self.vacancy_load + busy * self.in_service

    def _market_week(self) -> None:
        mk, p = self.market, self.p
        mk.recommendations *= p.wom_memory
        mk.warnings *= p.wom_memory
        customer = mk.status == cx.ACTIVE
        active = np.flatnonzero(customer)
        prospects = np.flatnonzero(mk.status == cx.PROSPECT)
        candidates, by_marketing, asks = self._prospects_consider(prospects, customer)
        buy = self._purchases(active)
        n_ask = int(asks.sum())
        agents, held, hung_up = self._support_queue(n_ask, buy, len(active))
        n_complain = len(held) - n_ask
        answered_by = self._served(FOLLOWED, max(n_ask, n_complain))  # who answers, by touchpoint
        adopters = self._presale(candidates, by_marketing, asks, hung_up[:n_ask], answered_by[:n_ask, 0])
        resolution = self._recovery(buy, held[n_ask:], hung_up[n_ask:], answered_by[:n_complain, 1])
        revenue, scores = self._experience_and_payment(buy, resolution)
        leaving = self._churn_and_join(active, adopters)
        self._word_of_mouth(buy.buyers, scores, leaving)
        self._account(len(buy.buyers), agents, revenue)

    def _prospects_consider(self, prospects: np.ndarray, customer: np.ndarray):
        """Prospects consider buying: marketing (Bass p) and their contacts (Bass
        q, ``customer`` marking who is one), pulled by recommendations, put off
        by warnings. Returns the candidates, whether marketing won each, and who
        asks before buying."""
        p, mk, rng = self.p, self.market, self.rng
        bass_p = p.bass_p * max(0.0, 1.0 + p.promise_reach * (p.marketing_promise - 0.5))

        # the largest probability: all contacts customers, the most recommendations, no warnings
        most = mk.recommendations.max(initial=0.0)
        bound = wom.adoption_probability(bass_p, p.bass_q, 1.0, most, 0.0, p.referral_weight)
        maybe, u = proposals(len(prospects), bound, rng)  # thinning: exact probabilities for these only
        who = prospects[maybe]
        share = count_neighbours(self.network, who, customer) / np.maximum(mk.degree[who], 1)
        recs = mk.recommendations[who]
        chosen = u < wom.adoption_probability(
            bass_p, p.bass_q, share, recs, mk.warnings[who], p.referral_weight, p.wom_deterrence
        )
        candidates = who[chosen]
        by_marketing = rng.random(len(candidates)) < wom.marketing_share(
            bass_p, p.bass_q, share[chosen], recs[chosen], p.referral_weight
        )
        asks = rng.random(len(candidates)) < p.presale_contact_rate
        return candidates, by_marketing, asks

    def _purchases(self, active: np.ndarray) -> Purchases:
        """Customers buy, the satisfied more often, and meet the product, delivery
        and sales touchpoints; some touchpoints go wrong, some purchases hit a
        trap, and a share ``complaint_rate`` of those with a problem complain
        [tarp1986]."""
        p, rng = self.p, self.rng
        buying = cx.purchase_probability(self.market.satisfaction[active], p)
        buyers = active[rng.random(len(active)) < buying]
        k, es = len(buyers), p.employee_share
        base = np.array([p.product_quality, p.partner_reliability, 1.0])  # in PURCHASE order
        scores = cx.touchpoint_score(base, self._served(PURCHASE, k), es)
        failed = cx.failures(scores, p, rng)
        trapped = rng.random(k) < p.bad_practice  # hidden fees and traps [seed004]
        problem = failed.any(axis=1) | trapped
        complains = problem & (rng.random(k) < p.complaint_rate)
        return Purchases(buyers, scores, failed, trapped, problem, complains)

    def _support_queue(self, n_ask: int, buy: Purchases, n_active: int):
        """The week's contacts meet the agents on duty (Erlang A steady state);
        each followed contact (pre-sale, complaint) gets its hold time, hang-up
        or callback. Returns agents on duty, hold times and hang-ups."""
        p, rng, f = self.p, self.rng, self.flows
        n_complain = int(buy.complains.sum())
        questions = int(rng.binomial(n_active, p.question_rate * (1.0 - p.self_service)))
        contacts = n_ask + n_complain + questions + self._repeat_contacts
        problem_share = (n_complain + self._repeat_contacts) / contacts if contacts else 0.0
        handle = cx.handle_minutes(problem_share, p)
        lam, mu, theta = contacts / p.contact_hours, 60.0 / handle, 60.0 / p.patience_minutes
        forecast = lam / mu if self._forecast_load is None else self._forecast_load
        self._forecast_load = lam / mu  # next week's plan is made on this week's load
        agents = min(
            service.required_agents(forecast, p.service_staffing, p.staffing_safety),
            max(1, len(self.members[DEPT_INDEX["service"]])),  # no more agents than service staff
        )
        if self.steps <= self.breakdown[0]:  # the week under way is within the breakdown
            agents = max(1, round(agents * self.breakdown[1]))
        stats, called_back = service.with_callbacks(
            lam, mu, theta, agents, p.callback_offer, p.callback_threshold_minutes
        )
        self.occupancy = stats.occupancy
        needed, held, hung_up = service.draw_contacts(stats, theta, n_ask + n_complain, rng)
        callback = (needed > p.callback_threshold_minutes) & (rng.random(len(needed)) < p.callback_offer)
        hung_up &= ~callback
        held = np.where(callback, p.callback_wait_factor * needed, held)
        f.update(
            agents=agents,
            contacts=contacts,
            agent_occupancy=stats.occupancy,
            avg_wait_minutes=stats.mean_wait * (1.0 - called_back),
            abandonment_rate=stats.p_abandon * (1.0 - called_back),
        )
        return agents, held, hung_up

    def _presale(self, candidates, by_marketing, asks, ask_hung, staff) -> np.ndarray:
        """Candidates who asked and were not answered buy elsewhere [seed000];
        answered ones are converted by good sales ``staff`` (the quality of
        whoever answers each). Returns the adopters."""
        f = self.flows
        n_ask = len(ask_hung)
        draw = self.rng.random(n_ask)
        converts = draw < cx.touchpoint_score(1.0, staff, self.p.employee_share)
        won = np.ones(len(candidates), dtype=bool)
        won[asks] = ~ask_hung & converts
        f["lost_presale"] = int(ask_hung.sum())
        f["acquisitions_marketing"] = int((won & by_marketing).sum())
        f["acquisitions_referral"] = int((won & ~by_marketing).sum())
        return candidates[won]

    def _recovery(self, buy: Purchases, held: np.ndarray, hung_up: np.ndarray, staff) -> np.ndarray:
        """How well each purchase's problem was handled (1 when there was none):
        silent sufferers stay unresolved [tarp1986]; complaints are solved at the
        first contact (more often by better ``staff``) or after another one
        (worth ``repeat_contact_value``), less what the wait spoiled; unresolved
        callers contact again next week."""
        p = self.p
        n_complain = len(held)
        fcr = self.rng.random(n_complain) < cx.first_contact_resolution(staff, p)
        solved_first = ~hung_up & fcr
        value = np.where(hung_up, 0.0, np.where(solved_first, 1.0, p.repeat_contact_value))
        resolution = np.ones(len(buy.buyers))
        resolution[buy.problem] = 0.0
        resolution[buy.complains] = value * (1.0 - cx.wait_spoil(held, p.wait_tolerance_minutes))
        self._repeat_contacts = int((~hung_up & ~fcr).sum())
        self.flows["first_contact_resolution"] = (
            float(solved_first.sum() / n_complain) if n_complain else np.nan
        )
        return resolution

    def _experience_and_payment(self, buy: Purchases, resolution: np.ndarray) -> tuple[float, np.ndarray]:
        """Experience against expectation becomes satisfaction and a 0-10 score;
        delighted customers may pay a premium, trapped ones a hidden fee.
        Returns the revenue and the buyers' new scores."""
        p, mk, buyers = self.p, self.market, buy.buyers
        lived = cx.experience(buy.scores, buy.failed, resolution, 1.0 - buy.trapped, p)
        lived -= p.bad_practice_sting * buy.trapped
        m = p.satisfaction_memory
        felt = cx.satisfaction(lived, self.expectations(buyers), p)
        satisfaction = (1 - m) * mk.satisfaction[buyers] + m * felt
        mk.satisfaction[buyers] = satisfaction
        mk.score[buyers] = scores = cx.recommendation_score(satisfaction)
        premium = (scores >= cx.PROMOTER_MIN) & mk.premium_payer[buyers]
        paid = p.price * (1.0 + p.premium * premium + p.hidden_fee * buy.trapped)
        mk.spend[buyers] += paid
        return float(paid.sum()), scores

    def _churn_and_join(self, active: np.ndarray, adopters: np.ndarray) -> np.ndarray:
        """Dissatisfied customers churn; newcomers join. Returns those leaving."""
        p, mk = self.p, self.market
        leaving = active[cx.churners(mk.satisfaction[active], p, self.rng)]
        mk.status[leaving] = cx.CHURNED
        mk.tenure[active] += 1  # a week more for everyone active this week
        mk.status[adopters] = cx.ACTIVE
        mk.satisfaction[adopters] = p.acceptable_satisfaction
        mk.score[adopters] = cx.recommendation_score(np.array([p.acceptable_satisfaction]))[0]
        mk.tenure[adopters] = 0
        self.flows["churn_rate"] = len(leaving) / len(active) if len(active) else 0.0
        return leaving

    def _word_of_mouth(self, buyers: np.ndarray, scores: np.ndarray, leaving: np.ndarray) -> None:
        """Promoters (``scores`` of ``cx.PROMOTER_MIN`` or more) recommend; detractors
        (``cx.DETRACTOR_MAX`` or less), also those leaving, warn; bad news reaches
        further [amex2011] and social media adds reach."""
        p, mk, rng = self.p, self.market, self.rng
        talk = rng.random(len(buyers)) < p.talk_rate
        fans = buyers[talk & (scores >= cx.PROMOTER_MIN)]
        critics = buyers[talk & (scores <= cx.DETRACTOR_MAX)]
        more = leaving[(mk.score[leaving] <= cx.DETRACTOR_MAX) & (rng.random(len(leaving)) < p.talk_rate)]
        if len(more):
            critics = np.union1d(critics, more)  # once each, whether they bought or left
        heard_good, heard_bad = wom.spread(
            [(fans, p.positive_reach), (critics, p.positive_reach * p.negative_wom_weight)],
            p.social_amplification,
            self.network,
            rng,
        )
        np.add.at(mk.recommendations, heard_good, 1.0)
        np.add.at(mk.warnings, heard_bad, 1.0)
        self.flows["wom_positive"], self.flows["wom_negative"] = len(heard_good), len(heard_bad)

    def _account(self, purchases: int, agents: int, revenue: float) -> None:
        """This week's costs and profit."""
        p, f = self.p, self.flows
        wages = int(self.staff.present.sum()) * p.wage
        cost = (
            p.unit_cost_share * p.price * purchases
            + wages * (1.0 + p.training_cost * p.training_intensity + p.care_cost * p.employee_care)
            + f["hires"] * p.hire_cost * p.wage
            + agents * p.contact_hours * p.agent_hour_cost
            + self._one_off_costs
        )
        self._one_off_costs = 0.0
        self.cumulative_profit += revenue - cost
        f.update(revenue=revenue, cost=cost, profit=revenue - cost, cumulative_profit=self.cumulative_profit)

    def _served(self, touchpoints: tuple[str, ...], count: int) -> np.ndarray:
        """Quality served at ``count`` contacts, one column for each of ``touchpoints``
        (``PURCHASE`` or ``FOLLOWED``)."""
        return cx.serving_quality(self.server_pools[touchpoints], count, self.quality, self.rng)

    def _record(self) -> None:
        self.metrics = {**self.flows, **organisation_metrics(self), **market_metrics(self)}
        self.metrics["cumulative_profit"] = self.cumulative_profit
        self.datacollector.collect(self)
