"""The Mesa model: builds the organisation and the market, orders a week's mechanisms.

One step is one week. ``step`` reads top to bottom:

1. scheduled events fire;
2. the organisation (``_organisation_week``): culture and the departments'
   norms, skill, wellbeing, quitting and hiring;
3. the market: word-of-mouth memory fades; prospects consider buying
   (``_prospects_consider``); customers buy and meet the product, delivery and
   sales touchpoints (``_purchases``);
4. the contact centre answers pre-sale questions, complaints, routine
   questions and repeat contacts (``_support``); unanswered would-be customers
   buy elsewhere (``_presale``); complaints are resolved or not (``_recovery``);
5. experience becomes satisfaction, a score and revenue (``_experience``);
   customers churn, newcomers join (``_churn_and_join``);
6. promoters recommend and detractors warn (``_word_of_mouth``);
7. costs and profit are counted (``_account``) and the week recorded.

Sub-steps hand each other small dataclasses; what a week leaves for the next
one, beyond the workforce, the market and the norms, is ``Carry``.
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
from model.org import EXECUTIVE, STAFF, Org, generate_org, load_org_chart
from model.params import SPECS, ParameterError, Params, coerce, make_params
from model.sampling import proposals
from model.scenario import Scenario, load_scenario

# The touchpoints of a purchase, in the column order of ``Purchases.scores``.
PURCHASE = ("product", "delivery", "right_product")
# The touchpoints of the contacts the contact centre follows one by one.
FOLLOWED = ("presale", "recovery")
SERVICE = DEPT_INDEX["service"]
EXECUTIVE_DEPT = DEPT_INDEX["executive"]

# The parameters the culture map is built from (see CultureModel._culture_map).
CULTURE_LEVERS = (
    "upward_pull",
    "peer_pull",
    "norm_pull",
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
    score_bias: np.ndarray  # personal habit in giving 0-10 scores, points
    score: np.ndarray  # 0-10 likelihood to recommend
    tenure: np.ndarray  # weeks as a customer
    spend: np.ndarray
    premium_payer: np.ndarray  # would pay a premium when delighted
    recommendations: np.ndarray  # recent recommendations heard (fading)
    warnings: np.ndarray  # recent warnings heard (fading)
    degree: np.ndarray


@dataclass
class Carry:
    """What one week leaves for the next, besides the workforce, market and norms."""

    forecast_contacts: float | None = None  # last week's contacts: what the roster is planned on
    repeat_contacts: int = 0  # callers whose problem is still open: they call again
    occupancy: float = 0.0  # the agents' busy share of their time on duty, felt in wellbeing
    one_off_costs: float = 0.0  # booked by events and actions (``charge``), paid in the week's account
    breakdown_until: int = 0  # a service breakdown lasts while ``steps`` is at most this
    breakdown_capacity: float = 1.0  # share of the roster able to work during it


@dataclass
class Staffing:
    """The week's turnover."""

    leavers: np.ndarray  # positions whose employee quit (and were refilled)
    headcount: int
    service_leavers: int
    service_headcount: int


@dataclass
class Prospects:
    """Prospects who decided to buy this week."""

    candidates: np.ndarray
    by_marketing: np.ndarray  # marketing (not a contact) won them
    asks: np.ndarray  # they contact the firm first


@dataclass
class Purchases:
    """This week's purchases and what happened at their touchpoints."""

    buyers: np.ndarray
    scores: np.ndarray  # (k, 3) product, delivery, right-product quality
    failed: np.ndarray  # (k, 3) which touchpoints went wrong
    trapped: np.ndarray  # hit by a hidden fee or trap
    problem: np.ndarray  # anything went wrong
    complains: np.ndarray  # contacted the firm about it


@dataclass
class Support:
    """The contact centre's week: the roster and what happened to each kind of contact."""

    agents: float  # agents on duty in an average open hour
    paid_hours: float  # agent hours paid for
    centre: service.CentreWeek
    presale: service.Contacts
    complaints: service.Contacts
    routine: service.Contacts  # routine questions and repeat contacts

    @property
    def contacts(self) -> int:
        return len(self.presale.held) + len(self.complaints.held) + len(self.routine.held)


@dataclass
class Sales:
    """Would-be customers won and lost this week."""

    adopters: np.ndarray
    by_marketing: int
    by_referral: int
    lost_presale: int


@dataclass
class Recovery:
    """How each purchase's problem was handled (1 when there was none)."""

    value: np.ndarray
    solved_first: int
    answered_problems: int
    repeat_contacts: int


@dataclass
class Payment:
    revenue: float
    scores: np.ndarray  # the buyers' new 0-10 scores
    premium_purchases: int
    delighted_purchases: int


@dataclass
class Talk:
    recommenders: int
    warners: int
    heard_good: int
    heard_bad: int


@dataclass
class Week:
    """Everything a week's sub-steps handed each other: kept as ``model.week``."""

    staffing: Staffing
    prospects: Prospects
    purchases: Purchases
    support: Support
    sales: Sales
    recovery: Recovery
    payment: Payment
    churned: int
    active: int  # customers at the start of the week
    talk: Talk
    cost: float


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
        self.carry = Carry()
        self.cumulative_profit = 0.0
        self.metrics: dict[str, float] = {}
        self.week: Week | None = None  # the last week's sub-step results
        self.datacollector = MetricsCollector()
        self._record(dict.fromkeys(METRICS, 0.0) | {"first_contact_resolution": np.nan})

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
        # the people in post have been socialised: they vary around the norm they
        # share (the labour market's mean) only as much as week-to-week variation keeps up
        settled = culture.settled_spread(p)
        c = np.clip(p.labour_market_centricity + settled * rng.standard_normal(n), 0, 1)
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
        self.in_service = (np.arange(len(DEPARTMENTS)) == SERVICE).astype(float)
        self.positions = np.bincount(self.org.dept, minlength=len(DEPARTMENTS))
        # a list, not a numpy object array: the garbage collector cannot see through
        # an object array, so the cycle model -> agents -> model would never be freed
        self.employee_at: list[Employee | None] = enrol(self, Employee, range(n))
        self._refresh_members()
        # the way things are done in each department starts as what its people do
        self.norms = np.array([c[m].mean() if len(m) else p.labour_market_centricity for m in self.members])
        self.quality = culture.service_quality(c, self.staff.skill, self.staff.wellbeing, self.frontline, p)

    def _build_market(self) -> None:
        p, n, rng = self.p, self.p.market_size, self.rng
        self.network = small_world(n, p.network_degree, p.network_rewiring, rng)
        status = np.zeros(n, dtype=np.int8)
        status[rng.choice(n, size=p.initial_customers, replace=False)] = cx.ACTIVE
        degree = np.diff(self.network.indptr)
        bias = p.score_spread * rng.standard_normal(n)
        self.market = Market(
            status=status,
            satisfaction=np.full(n, cx.ACCEPTABLE),
            expectation_offset=p.expectation_spread * rng.standard_normal(n),
            score_bias=bias,
            score=cx.recommendation_score(np.full(n, cx.ACCEPTABLE), bias),
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
        self.carry.one_off_costs += float(amount)

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
        self.members_below_top = np.flatnonzero(present & ~self.executive)
        self.dept_below_top = self.org.dept[self.members_below_top]
        # the contact centre's agents: the service department's staff (its managers if it has none)
        service = self.members[SERVICE]
        staff_level = service[self.org.level[service] == STAFF]
        self.agent_pool = staff_level if len(staff_level) else service
        self._culture_key = None  # the culture map must be rebuilt (see _culture_map)

    # ------------------------------------------------------------ the week
    def step(self) -> None:
        self._stepping = True
        for kind, options in self.schedule.pop(self.weeks_done, []):
            self.fire(kind, **options)
        staffing = self._organisation_week()
        mk, p = self.market, self.p
        mk.recommendations *= p.wom_memory
        mk.warnings *= p.wom_memory
        customer = mk.status == cx.ACTIVE
        active = np.flatnonzero(customer)
        prospects = self._prospects_consider(np.flatnonzero(mk.status == cx.PROSPECT), customer)
        buy = self._purchases(active)
        support = self._support(prospects, buy, len(active))
        presale_staff, recovery_staff = self._answering(
            len(support.presale.held), len(support.complaints.held)
        )
        sales = self._presale(prospects, support.presale, presale_staff)
        recovery = self._recovery(buy, support.complaints, recovery_staff)
        payment = self._experience(buy, recovery)
        leaving = self._churn_and_join(active, sales.adopters)
        talk = self._word_of_mouth(buy.buyers, payment.scores, leaving)
        cost = self._account(staffing, buy, support, payment)
        self.week = Week(
            staffing, prospects, buy, support, sales, recovery, payment, len(leaving), len(active), talk, cost
        )
        self._record(week_flows(self.week))
        self._stepping = False

    def _organisation_week(self) -> Staffing:
        """Culture and norms, skill, wellbeing, quitting and hiring."""
        p, st, org, rng = self.p, self.staff, self.org, self.rng
        felt = (p.norm_pull * self.norms)[org.dept]
        felt[self.executives] = 0.0  # executives set the tone; they do not conform to it
        st.centricity = culture.culture_week(
            st.centricity, self._culture_map(), felt, st.present, p.culture_noise, rng
        )
        leaders = float(st.centricity[self.executives].mean()) if len(self.executives) else 0.0
        who = self.members_below_top  # a norm is what members practise; their leaders back it or not
        self.norms = culture.norms_week(
            self.norms, st.centricity[who], self.dept_below_top, EXECUTIVE_DEPT, leaders, p
        )
        st.skill = culture.skill_week(st.skill, st.tenure, p)
        target = culture.wellbeing_target(  # by department
            self._overload(), self.carry.occupancy * self.in_service, self.frontline_dept, p
        )
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
        self.quality = culture.service_quality(st.centricity, st.skill, st.wellbeing, self.frontline, p)
        return Staffing(
            leavers=leavers,
            headcount=org.size if self.all_present else int(np.count_nonzero(st.present)),
            service_leavers=int(np.count_nonzero(org.dept[leavers] == SERVICE)),
            service_headcount=len(self.members[SERVICE]),
        )

    def _hire(self, positions: np.ndarray) -> None:
        """New people, hired for customer-centric values as far as
        ``hiring_culture_fit`` says, take ``positions``: new agents, untrained,
        at base wellbeing."""
        p, st = self.p, self.staff
        mean = culture.hire_mean(p.labour_market_centricity, p.hiring_culture_fit, p.professed_values)
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
        """Workload above comfortable, by department: agents' occupancy beyond
        comfortable for the service department, plus the work of empty
        positions for everyone."""
        p = self.p
        busy = max(0.0, self.carry.occupancy - p.comfortable_occupancy) / max(
            1e-9, 1.0 - p.comfortable_occupancy
        )
        return self.vacancy_load + busy * self.in_service

    def _prospects_consider(self, prospects: np.ndarray, customer: np.ndarray) -> Prospects:
        """Prospects consider buying: marketing (Bass p) and their contacts (Bass
        q, ``customer`` marking who is one), pulled by recommendations, put off
        by warnings; some contact the firm before buying."""
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
        return Prospects(candidates, by_marketing, asks)

    def _purchases(self, active: np.ndarray) -> Purchases:
        """Customers buy, the satisfied more often, and meet the product, delivery
        and sales touchpoints; some touchpoints go wrong, some purchases hit a
        trap, and a share ``complaint_rate`` of those with a problem complain
        [tarp1986]."""
        p, rng = self.p, self.rng
        buying = cx.purchase_probability(self.market.satisfaction[active], p)
        buyers = active[rng.random(len(active)) < buying]
        k, es = len(buyers), p.employee_share
        base = np.array([p.product_quality, 1.0, 1.0])  # in PURCHASE order; delivery: see failures
        scores = cx.touchpoint_score(base, self._served(PURCHASE, k), es)
        failed = cx.failures(scores, p.partner_reliability, p, rng)
        trapped = rng.random(k) < p.bad_practice  # hidden fees and traps [seed004]
        problem = failed.any(axis=1) | trapped
        complains = problem & (rng.random(k) < p.complaint_rate)
        return Purchases(buyers, scores, failed, trapped, problem, complains)

    def _support(self, prospects: Prospects, buy: Purchases, n_active: int) -> Support:
        """The contact centre's week: the planner rosters agents for last week's
        load (``service_staffing`` times what answers in ``target_answer_seconds``
        on average), within the hours the present agents can work; every contact
        this week is drawn: held, hung up or called back."""
        p, rng, carry = self.p, self.rng, self.carry
        n_ask, n_complain = int(np.count_nonzero(prospects.asks)), int(np.count_nonzero(buy.complains))
        questions = int(rng.binomial(n_active, p.question_rate * (1.0 - p.self_service)))
        n_routine = questions + carry.repeat_contacts
        contacts = n_ask + n_complain + n_routine
        problem_share = (n_complain + carry.repeat_contacts) / contacts if contacts else 0.0
        mu = 60.0 / cx.handle_minutes(problem_share, p)
        theta = 60.0 / p.patience_minutes
        forecast = contacts if carry.forecast_contacts is None else carry.forecast_contacts
        carry.forecast_contacts = contacts  # next week's roster is planned on this week's load
        planned = p.service_staffing * service.planned_agents(
            forecast / p.contact_hours, mu, theta, p.target_answer_seconds
        )
        seats = (
            len(self.agent_pool) * p.agent_hours / p.contact_hours
        )  # the agents' hours, spread over the week
        agents = min(planned, seats)
        paid_hours = agents * p.contact_hours
        if self.steps <= carry.breakdown_until:  # the week under way is within a breakdown
            agents *= carry.breakdown_capacity
        centre = service.centre_week(
            contacts / p.contact_hours,
            mu,
            theta,
            agents,
            p.peak_load,
            p.callback_offer,
            p.callback_threshold_minutes,
        )
        carry.occupancy = centre.occupancy

        def draw(count: int) -> service.Contacts:
            return service.draw_contacts(
                centre,
                theta,
                count,
                p.callback_offer,
                p.callback_threshold_minutes,
                p.callback_wait_factor,
                rng,
            )

        return Support(agents, paid_hours, centre, draw(n_ask), draw(n_complain), draw(n_routine))

    def _presale(self, prospects: Prospects, contacts: service.Contacts, staff: np.ndarray) -> Sales:
        """Candidates who asked and were not answered buy elsewhere [seed000];
        answered ones are converted by good sales ``staff`` (the quality of
        whoever answers each)."""
        converts = self.rng.random(len(staff)) < cx.touchpoint_score(1.0, staff, self.p.employee_share)
        won = np.ones(len(prospects.candidates), dtype=bool)
        won[prospects.asks] = contacts.answered & converts
        return Sales(
            adopters=prospects.candidates[won],
            by_marketing=int(np.count_nonzero(won & prospects.by_marketing)),
            by_referral=int(np.count_nonzero(won & ~prospects.by_marketing)),
            lost_presale=int(np.count_nonzero(contacts.hung_up)),
        )

    def _recovery(self, buy: Purchases, contacts: service.Contacts, staff: np.ndarray) -> Recovery:
        """How well each purchase's problem was handled (1 when there was none):
        silent sufferers stay unresolved [tarp1986]; complaints are solved at the
        first contact (more often by better ``staff``) or after another one
        (worth ``repeat_contact_value``), less what the wait spoiled; unresolved
        callers contact again next week."""
        p = self.p
        fcr = self.rng.random(len(staff)) < cx.first_contact_resolution(staff, p)
        answered = contacts.answered
        solved_first = answered & fcr
        value = np.where(answered, np.where(solved_first, 1.0, p.repeat_contact_value), 0.0)
        resolution = np.ones(len(buy.buyers))
        resolution[buy.problem] = 0.0
        resolution[buy.complains] = value * (1.0 - cx.wait_spoil(contacts.held, p.wait_tolerance_minutes))
        repeat = int(np.count_nonzero(answered & ~fcr))
        self.carry.repeat_contacts = repeat
        return Recovery(
            resolution, int(np.count_nonzero(solved_first)), int(np.count_nonzero(answered)), repeat
        )

    def _experience(self, buy: Purchases, recovery: Recovery) -> Payment:
        """Experience against expectation becomes satisfaction and a 0-10 score;
        delighted customers may pay a premium, trapped ones a hidden fee."""
        p, mk, buyers = self.p, self.market, buy.buyers
        lived = cx.experience(buy.scores, buy.failed, recovery.value, buy.trapped, p)
        m = p.satisfaction_memory
        felt = cx.satisfaction(lived, self.expectations(buyers), p)
        satisfaction = (1 - m) * mk.satisfaction[buyers] + m * felt
        mk.satisfaction[buyers] = satisfaction
        mk.score[buyers] = scores = cx.recommendation_score(satisfaction, mk.score_bias[buyers])
        delighted = scores >= cx.PROMOTER_MIN
        premium = delighted & mk.premium_payer[buyers]
        paid = p.price * (1.0 + p.premium * premium + p.hidden_fee * buy.trapped)
        mk.spend[buyers] += paid
        return Payment(
            float(paid.sum()), scores, int(np.count_nonzero(premium)), int(np.count_nonzero(delighted))
        )

    def _churn_and_join(self, active: np.ndarray, adopters: np.ndarray) -> np.ndarray:
        """Dissatisfied customers churn; newcomers join. Returns those leaving."""
        p, mk = self.p, self.market
        leaving = active[cx.churners(mk.satisfaction[active], p, self.rng)]
        mk.status[leaving] = cx.CHURNED
        mk.tenure[active] += 1  # a week more for everyone active this week
        mk.status[adopters] = cx.ACTIVE
        mk.satisfaction[adopters] = cx.ACCEPTABLE
        mk.score[adopters] = cx.recommendation_score(cx.ACCEPTABLE, mk.score_bias[adopters])
        mk.tenure[adopters] = 0
        return leaving

    def _word_of_mouth(self, buyers: np.ndarray, scores: np.ndarray, leaving: np.ndarray) -> Talk:
        """Promoters recommend; detractors, also those leaving, warn; bad news
        reaches further [amex2011] and social media adds reach."""
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
        return Talk(len(fans), len(critics), len(heard_good), len(heard_bad))

    def _account(self, staffing: Staffing, buy: Purchases, support: Support, payment: Payment) -> float:
        """This week's cost; adds the week's profit to the running total. Agents
        are paid for the hours rostered, everyone else a full wage."""
        p, carry = self.p, self.carry
        full_time = staffing.headcount - len(self.agent_pool)
        wages = (full_time + support.paid_hours / p.agent_hours) * p.wage
        cost = (
            p.unit_cost_share * p.price * len(buy.buyers)
            + wages * (1.0 + p.training_cost * p.training_intensity + p.care_cost * p.employee_care)
            + len(staffing.leavers) * p.hire_cost * p.wage
            + support.paid_hours * p.agent_hour_cost
            + carry.one_off_costs
        )
        carry.one_off_costs = 0.0
        self.cumulative_profit += payment.revenue - cost
        return cost

    def _answering(self, questions: int, complaints: int) -> tuple[np.ndarray, np.ndarray]:
        """Quality of whoever answers each pre-sale question and each complaint
        (sales and marketing, service), drawn in one stacked pass."""
        both = self._served(FOLLOWED, max(questions, complaints))
        return both[:questions, 0], both[:complaints, 1]

    def _served(self, touchpoints: tuple[str, ...], count: int) -> np.ndarray:
        """Quality served at ``count`` contacts, one column for each of ``touchpoints``
        (``PURCHASE`` or ``FOLLOWED``)."""
        return cx.serving_quality(self.server_pools[touchpoints], count, self.quality, self.rng)

    def _record(self, flows: dict[str, float]) -> None:
        self.metrics = {**flows, **organisation_metrics(self), **market_metrics(self)}
        self.metrics["cumulative_profit"] = self.cumulative_profit
        self.datacollector.collect(self)


def week_flows(week: Week) -> dict[str, float]:
    """The week's flow metrics (see ``model.metrics.METRICS``) from what its sub-steps returned."""
    staffing, support, sales, buy, recovery, payment, talk = (
        week.staffing,
        week.support,
        week.sales,
        week.purchases,
        week.recovery,
        week.payment,
        week.talk,
    )
    drawn = [support.presale, support.complaints, support.routine]
    hung_up = sum(int(np.count_nonzero(c.hung_up)) for c in drawn)
    answered_waits = np.concatenate([c.held[~(c.hung_up | c.called_back)] for c in drawn])
    contacts = support.contacts
    return {
        "employee_turnover": len(staffing.leavers) / staffing.headcount if staffing.headcount else 0.0,
        "service_turnover": (
            staffing.service_leavers / staffing.service_headcount if staffing.service_headcount else 0.0
        ),
        "agents": support.agents,
        "contacts": contacts,
        "speed_of_answer_seconds": 60.0 * float(answered_waits.mean()) if len(answered_waits) else 0.0,
        "abandonment_rate": hung_up / contacts if contacts else 0.0,
        "agent_occupancy": support.centre.occupancy,
        "first_contact_resolution": (
            recovery.solved_first / recovery.answered_problems if recovery.answered_problems else np.nan
        ),
        "problems": int(np.count_nonzero(buy.problem)),
        "complaints": int(np.count_nonzero(buy.complains)),
        "churn_rate": week.churned / week.active if week.active else 0.0,
        "acquisitions_marketing": sales.by_marketing,
        "acquisitions_referral": sales.by_referral,
        "lost_presale": sales.lost_presale,
        "recommenders": talk.recommenders,
        "warners": talk.warners,
        "wom_positive": talk.heard_good,
        "wom_negative": talk.heard_bad,
        "delighted_purchases": payment.delighted_purchases,
        "premium_purchases": payment.premium_purchases,
        "revenue": payment.revenue,
        "cost": week.cost,
        "profit": payment.revenue - week.cost,
    }
