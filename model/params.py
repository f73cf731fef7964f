"""Every model parameter, defined once: meaning, unit, range, default, source.

``SPECS`` is the single source of truth. ``Params`` is the frozen, validated
set of values a model runs with; the dashboard, the experiment runner, the
command line and the generated parameter reference all read ``SPECS``.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, fields, make_dataclass, replace
from typing import Any

from model.departments import DEPARTMENTS


class ParameterError(ValueError):
    """A parameter name or value a user supplied is not valid."""


@dataclass(frozen=True)
class Spec:
    """The definition of one parameter."""

    default: float
    lo: float
    hi: float
    unit: str
    meaning: str
    source: str
    group: str
    integer: bool = False
    lever: bool = False  # a policy lever shown to workshop participants


def _s(default, lo, hi, unit, meaning, source, group, **kw) -> Spec:
    return Spec(float(default), float(lo), float(hi), unit, meaning, source, group, **kw)


_DEPT_SHARES = {
    "executive": 0.02,
    "product": 0.15,
    "operations": 0.30,
    "logistics": 0.08,
    "marketing": 0.08,
    "sales": 0.17,
    "service": 0.05,
    "finance": 0.05,
    "hr": 0.05,
}

SPECS: dict[str, Spec] = {
    # ---- size -------------------------------------------------------------
    "n_employees": _s(
        300,
        3,
        1_000_000,
        "people",
        "Number of employees in a generated organisation.",
        "A mid-sized firm [calibration].",
        "size",
        integer=True,
    ),
    "market_size": _s(
        20_000,
        10,
        10_000_000,
        "people",
        "People in the market: prospects, customers and former customers.",
        "A regional market for a mid-sized firm [calibration].",
        "size",
        integer=True,
    ),
    "initial_customers": _s(
        4_000,
        0,
        10_000_000,
        "people",
        "Active customers at the start (must not exceed the market).",
        "About a fifth of the market [calibration].",
        "size",
        integer=True,
    ),
    # ---- organisation -------------------------------------------------------
    "span_of_control": _s(
        8,
        2,
        100,
        "reports per manager",
        "How many people report to one manager.",
        "Typical spans of 5-10 [calibration].",
        "organisation",
        integer=True,
    ),
    "peer_ties": _s(
        4,
        0,
        50,
        "ties per employee",
        "Informal ties to colleagues in the same team.",
        "Small work groups [calibration].",
        "organisation",
    ),
    "cross_department_ties": _s(
        0.5,
        0,
        20,
        "ties per employee",
        "Informal ties to other departments; low values mean silos.",
        "Silo lever of MODEL.md section 1 [calibration].",
        "organisation",
    ),
    **{
        f"dept_share_{d}": _s(
            v,
            0,
            1,
            "relative weight",
            f"Relative headcount of the {d} department (weights are normalised).",
            "MODEL.md default departments [calibration].",
            "organisation",
        )
        for d, v in _DEPT_SHARES.items()
    },
    # ---- policy levers ------------------------------------------------------
    "leadership_commitment": _s(
        0.5,
        0,
        1,
        "0..1",
        "How much top leadership lives customer focus (1) rather than paying lip service (0).",
        "Culture starts at the top [seed000] [seed004].",
        "levers",
        lever=True,
    ),
    "metric_focus": _s(
        0.5,
        0,
        1,
        "0..1",
        "What is measured and rewarded: 0 = calls per minute and cost, 1 = solving the customer's problem.",
        "Calls-per-minute metrics vs outcome metrics [seed004].",
        "levers",
        lever=True,
    ),
    "empowerment": _s(
        0.4,
        0,
        1,
        "0..1",
        "How often front-line staff may fix a problem themselves, without an approval form.",
        "Empowered staff [seed002] [seed004].",
        "levers",
        lever=True,
    ),
    "training_intensity": _s(
        0.5,
        0,
        1,
        "0..1",
        "How much re-training staff get after onboarding; skills fade without it.",
        "Trained and occasionally re-trained [seed001] [seed004].",
        "levers",
        lever=True,
    ),
    "hiring_culture_fit": _s(
        0.3,
        0,
        1,
        "0..1",
        "Share of a hiring decision based on values rather than CV alone.",
        "Zappos hires for culture [seed004]; selective hiring [harrison1991].",
        "levers",
        lever=True,
    ),
    "employee_care": _s(
        0.5,
        0,
        1,
        "0..1",
        "How well the firm takes care of its employees (workload, respect, benefits).",
        "Marriott: take care of employees and they take care of the customer [seed004] [heskett1994].",
        "levers",
        lever=True,
    ),
    "service_staffing": _s(
        1.0,
        0.1,
        3.0,
        "x needed",
        "Contact-centre agents on duty relative to what answers the forecast contacts in the target time on average (1 = staffed for the load), within the hours the service department's agents can work.",
        "Understaffed service channels [seed000] [seed004]; staffing to a service-level target [gans2003].",
        "levers",
        lever=True,
    ),
    "marketing_promise": _s(
        0.5,
        0,
        1,
        "0..1",
        "What marketing and sales promise: 0.5 = honest, higher = overpromising.",
        "Overpromising raises expectations [seed002].",
        "levers",
        lever=True,
    ),
    "partner_reliability": _s(
        0.95,
        0,
        1,
        "probability",
        "Share of deliveries the logistics partner gets there on time.",
        "Partly outside the firm's control [seed002].",
        "levers",
        lever=True,
    ),
    "bad_practice": _s(
        0.0,
        0,
        1,
        "share of purchases",
        "Deliberate traps (hidden fees, confusing billing, hard-to-cancel contracts): share of purchases that fall into one.",
        "Deliberate bad customer experience [seed004].",
        "levers",
        lever=True,
    ),
    "self_service": _s(
        0.2,
        0,
        0.9,
        "share of questions",
        "Share of routine questions answered by FAQ and self-service instead of an agent.",
        "FAQ cuts waiting [seed004].",
        "levers",
        lever=True,
    ),
    "callback_offer": _s(
        0.0,
        0,
        1,
        "share of callers",
        "Share of callers who would wait past the callback threshold that are offered a callback instead of holding.",
        "Offer a call back after two minutes [seed004].",
        "levers",
        lever=True,
    ),
    # ---- culture dynamics ---------------------------------------------------
    "upward_pull": _s(
        0.015,
        0,
        1,
        "per week",
        "How fast an employee's customer focus moves toward that of the managers above them.",
        "Socialisation from the top [harrison1991] [seed000].",
        "culture",
    ),
    "top_reach": _s(
        0.5,
        0,
        1.0,
        "0..1",
        "Weight of managers further up the chain (the CEO's example) against the direct manager.",
        "Culture trickles down the hierarchy [seed000] [calibration].",
        "culture",
    ),
    "peer_pull": _s(
        0.01,
        0,
        1,
        "per week",
        "How fast customer focus moves toward that of informal peers.",
        "Peer socialisation [harrison1991].",
        "culture",
    ),
    "leadership_anchor": _s(
        0.1,
        0,
        1,
        "per week",
        "How fast executives' own behaviour follows the leadership commitment.",
        "Executives set the tone [seed004] [calibration].",
        "culture",
    ),
    "metric_pull": _s(
        0.01,
        0,
        1,
        "per week",
        "How fast front-line behaviour drifts toward what the metrics reward.",
        "You get what you measure [seed004] [calibration].",
        "culture",
    ),
    "culture_noise": _s(
        0.01,
        0,
        0.5,
        "sd per week",
        "Week-to-week individual variation in customer focus.",
        "Individual variation [harrison1991].",
        "culture",
    ),
    "labour_market_centricity": _s(
        0.4,
        0,
        1,
        "0..1",
        "Average customer focus of people hired from the labour market.",
        "Hires from the labour market [harrison1991] [calibration].",
        "culture",
    ),
    "labour_market_spread": _s(
        0.15,
        0,
        0.5,
        "sd",
        "Spread of customer focus among candidates.",
        "[harrison1991] [calibration].",
        "culture",
    ),
    "corruption_rate": _s(
        0.03,
        0,
        1,
        "per week",
        "How fast deliberate bad practice wears down front-line customer focus.",
        "Bad practice corrupts front-line staff [seed004].",
        "culture",
    ),
    "programme_boost": _s(
        0.6,
        0,
        1,
        "share of gap",
        "Share of the gap to full customer focus closed by a culture programme for those trained.",
        "Culture programmes [seed004] [calibration].",
        "culture",
    ),
    # ---- culture norms -----------------------------------------------------
    "norm_pull": _s(
        0.12,
        0,
        1,
        "per week",
        "How fast an employee's customer focus moves toward their department's norm (conformity).",
        "Norms shared within a unit shape members' behaviour [schein2010] [harrison1991] [calibration].",
        "culture",
    ),
    "norm_rate": _s(
        0.6,
        0,
        1,
        "per week",
        "How fast a department's norm moves toward what its members do, once the change has tipped and leaders reinforce it.",
        "Cultures change over years, not weeks [schein2010] [calibration].",
        "culture",
    ),
    "critical_mass": _s(
        0.25,
        0.01,
        0.99,
        "share of members",
        "Share of a department that must practise a different standard before its norm starts to move.",
        "About 25% in experiments on social conventions [centola2018].",
        "culture",
    ),
    "norm_margin": _s(
        0.08,
        0.01,
        0.5,
        "0..1",
        "How far above (below) the norm someone must behave to count as practising a higher (lower) "
        "standard; also the leaders' lead over the norm at which their reinforcement is full.",
        "[calibration].",
        "culture",
    ),
    "tipping_width": _s(
        0.02,
        0.001,
        0.5,
        "share of members",
        "How sharply a norm tips around the critical mass (the logistic's scale).",
        "[centola2018] [calibration].",
        "culture",
    ),
    "norm_consensus": _s(
        0.005,
        0,
        1,
        "0..1",
        "Weight of the management team's consensus (the mean norm of all departments, one voice each) "
        "in where a department's norm is heading.",
        "Subcultures meet in the management team [schein2010] [calibration].",
        "culture",
    ),
    "tone_at_top": _s(
        0.002,
        0,
        1,
        "per week",
        "How fast every department's norm drifts up toward what the executives themselves do (their customer "
        "focus) when that is above it, whatever they say: 0.002 a week closes a tenth of the gap in a year.",
        "Leaders embed culture by what they do, attend to and reward [schein2010] [seed000] [calibration].",
        "culture",
    ),
    "cynicism": _s(
        0.006,
        0,
        1,
        "per week",
        "How fast department norms drift down toward executives whose own customer focus is below them "
        "(leaders who only talk): faster than ``tone_at_top`` builds them up.",
        "Trust is lost faster than it is built [slovic1993]; lip service breeds cynicism [seed004] [calibration].",
        "culture",
    ),
    "professed_values": _s(
        0.85,
        0,
        1,
        "0..1",
        "Customer focus of the values a firm screens candidates for when it hires for culture fit.",
        "Zappos hires for the customer-centric values it professes [seed004] [calibration].",
        "culture",
    ),
    # ---- skill and training -------------------------------------------------
    "onboarding_weeks": _s(
        4,
        0,
        52,
        "weeks",
        "Length of onboarding training for new hires.",
        "Initially trained [seed004].",
        "training",
        integer=True,
    ),
    "onboarding_gain": _s(
        0.1, 0, 1, "share of gap per week", "Skill gained per onboarding week.", "[calibration].", "training"
    ),
    "training_gain": _s(
        0.02,
        0,
        1,
        "share of gap per week",
        "Skill gained per week at full re-training intensity.",
        "Occasionally re-trained [seed004] [calibration].",
        "training",
    ),
    "skill_decay": _s(
        0.01,
        0,
        1,
        "share per week",
        "Share of skill lost per week without practice and re-training.",
        "Skill decays without training [seed001] [calibration].",
        "training",
    ),
    "initial_skill": _s(
        0.6,
        0,
        1,
        "0..1",
        "Skill of the employees in post when the simulation starts (an ordinary firm's history).",
        "[calibration].",
        "training",
    ),
    "new_hire_skill": _s(0.3, 0, 1, "0..1", "Skill of a new hire on day one.", "[calibration].", "training"),
    # ---- wellbeing and turnover ---------------------------------------------
    "wellbeing_base": _s(
        0.55,
        0,
        1,
        "0..1",
        "Wellbeing an employee settles at with average care and normal workload.",
        "[heskett1994] [calibration].",
        "wellbeing",
    ),
    "care_effect": _s(
        0.4,
        0,
        1,
        "0..1",
        "Wellbeing difference between no employee care and full care (average care is the reference).",
        "Take care of employees [seed004] [heskett1994].",
        "wellbeing",
    ),
    "overload_penalty": _s(
        1.0,
        0,
        5,
        "per unit overload",
        "Wellbeing lost per unit of workload above the comfortable level.",
        "Understaffing loads employees [seed000] [calibration].",
        "wellbeing",
    ),
    "comfortable_occupancy": _s(
        0.8,
        0.3,
        1,
        "share of time busy",
        "Share of time an agent can be busy on contacts before stress sets in.",
        "Call-centre occupancy targets [garnett2002] [calibration].",
        "wellbeing",
    ),
    "bad_practice_strain": _s(
        0.3,
        0,
        1,
        "0..1",
        "Wellbeing lost by front-line staff who must defend deliberate traps.",
        "Abnormal rate of legitimate grievances [seed004].",
        "wellbeing",
    ),
    "layoff_shock": _s(
        0.15,
        0,
        1,
        "0..1",
        "Wellbeing lost by survivors of a layoff round.",
        "Survivor syndrome [calibration].",
        "wellbeing",
    ),
    "wellbeing_rate": _s(
        0.1,
        0,
        1,
        "per week",
        "How fast wellbeing moves toward what conditions warrant.",
        "[calibration].",
        "wellbeing",
    ),
    "base_quit_rate": _s(
        0.003,
        0,
        1.0,
        "per week",
        "Quit hazard at average wellbeing (0.003 per week is about 15% a year).",
        "Typical voluntary turnover [calibration].",
        "wellbeing",
    ),
    "quit_sensitivity": _s(
        5.0,
        0,
        20,
        "per unit wellbeing",
        "How steeply quitting rises as wellbeing falls below average.",
        "Low wellbeing raises quitting [harrison1991] [heskett1994].",
        "wellbeing",
    ),
    "contact_strain": _s(
        0.3,
        0,
        1,
        "per unit occupancy",
        "Wellbeing lost by contact-centre agents per unit of the share of their time spent on contacts "
        "(emotional labour).",
        "Emotional labour wears agents down [grandey2000]; contact centres lose 30-45% of staff a year [calibration].",
        "wellbeing",
    ),
    # ---- service quality ----------------------------------------------------
    "quality_weight_centricity": _s(
        0.6,
        0,
        1,
        "relative weight",
        "Weight of customer focus in the service an employee delivers.",
        "[heskett1994] [calibration].",
        "service_quality",
    ),
    "quality_weight_skill": _s(
        0.4,
        0,
        1,
        "relative weight",
        "Weight of skill in the service an employee delivers.",
        "[calibration].",
        "service_quality",
    ),
    "quality_weight_wellbeing": _s(
        0.2,
        0,
        1,
        "relative weight",
        "Weight of wellbeing in the service an employee delivers.",
        "Happy employees serve better [heskett1994].",
        "service_quality",
    ),
    "quality_weight_empowerment": _s(
        0.2,
        0,
        1,
        "relative weight",
        "Weight of empowerment in the service a front-line employee delivers (able to fix things on the spot).",
        "Touchpoint quality depends on empowerment [seed002] [seed004].",
        "service_quality",
    ),
    "employee_share": _s(
        0.65,
        0,
        1,
        "0..1",
        "Share of a touchpoint's quality that comes from the people serving it (the rest from product and partner).",
        "People make most of a service experience [seed003] [heskett1994] [calibration].",
        "service_quality",
    ),
    # ---- customers ----------------------------------------------------------
    "product_quality": _s(
        0.75,
        0,
        1,
        "0..1",
        "Base quality of the product itself.",
        "Product quality matters most [seed002].",
        "customers",
        lever=True,
    ),
    "purchase_rate": _s(
        0.1,
        0,
        1,
        "probability per week",
        "Chance that an active customer at acceptable satisfaction buys in a given week "
        "(0.1 is about every ten weeks).",
        "About every ten weeks [calibration].",
        "customers",
    ),
    "repurchase_sensitivity": _s(
        3,
        0,
        20,
        "per unit satisfaction",
        "How much more often satisfied customers buy: the chance of buying is multiplied by "
        "exp(sensitivity x (satisfaction - acceptable)).",
        "Satisfied customers repurchase [seed001] [mittal2001]; 3 makes a delighted customer (0.9) "
        "buy about 1.8 times as often as a merely satisfied one (0.7) and an unhappy one (0.4) "
        "less than half as often [calibration].",
        "customers",
    ),
    "problem_base": _s(
        0.01,
        0,
        1,
        "probability",
        "Chance that a touchpoint (product, delivery, right product) goes wrong even at perfect quality.",
        "[calibration].",
        "customers",
    ),
    "problem_slope": _s(
        0.12,
        0,
        1,
        "per unit quality gap",
        "Extra chance that a touchpoint goes wrong per unit of its quality below perfect.",
        "Problems arise more often as quality falls [calibration].",
        "customers",
    ),
    "complaint_rate": _s(
        0.5,
        0,
        1,
        "probability",
        "Share of customers with a problem who contact the firm (the rest stay silent).",
        "About half complain to front-line staff [tarp1986].",
        "customers",
    ),
    "question_rate": _s(
        0.35,
        0,
        1,
        "contacts per customer-week",
        "Routine questions per active customer per week.",
        "[calibration].",
        "customers",
    ),
    "presale_contact_rate": _s(
        0.3,
        0,
        1,
        "probability",
        "Share of would-be buyers who contact the firm before buying.",
        "Pre-sale research and contact [seed000].",
        "customers",
    ),
    "weight_product": _s(
        0.4,
        0,
        1,
        "relative weight",
        "Importance of product quality in a customer's experience.",
        "Importance order [seed002].",
        "customers",
    ),
    "weight_delivery": _s(
        0.25,
        0,
        1,
        "relative weight",
        "Importance of on-time delivery.",
        "Importance order [seed002].",
        "customers",
    ),
    "weight_right_product": _s(
        0.18,
        0,
        1,
        "relative weight",
        "Importance of getting the right product.",
        "Importance order [seed002].",
        "customers",
    ),
    "failure_severity": _s(
        0.5,
        0,
        1,
        "share of value",
        "Share of a touchpoint's value lost when it goes wrong and nobody puts it right (a late delivery "
        "still arrives; a faulty product can still be repaired).",
        "A single failure dents satisfaction, repeated failures sink it [calibration].",
        "customers",
    ),
    "expectation_base": _s(
        0.56,
        0,
        1,
        "0..1",
        "Experience a customer expects when promises are honest.",
        "[seed001] [calibration].",
        "customers",
    ),
    "expectation_spread": _s(
        0.05,
        0,
        0.5,
        "experience units (sd)",
        "How much people differ in what they expect.",
        "Individual differences in expectations [seed001] [calibration].",
        "customers",
    ),
    "promise_effect": _s(
        0.15,
        0,
        2,
        "per unit promise",
        "How much each unit of promise above honest raises expectations.",
        "Overpromising raises expectations [seed002].",
        "customers",
    ),
    "promise_reach": _s(
        2.0,
        0,
        5,
        "per unit promise",
        "How much each unit of promise above honest raises marketing reach.",
        "Bold promises attract prospects [seed002] [calibration].",
        "customers",
    ),
    "acceptable_satisfaction": _s(
        0.75,
        0.5,
        0.85,
        "0..1",
        "Satisfaction when experience exactly meets expectation: acceptable, a passive 7.",
        "Meeting expectations is only acceptable [seed001].",
        "customers",
    ),
    "disconfirmation_slope": _s(
        0.7,
        0,
        5,
        "satisfaction per experience unit",
        "How much satisfaction with a purchase rises (falls) per unit of experience above (below) "
        "what the customer expected.",
        "Satisfaction is linear in disconfirmation [oliver1980] [seed001] [calibration].",
        "customers",
    ),
    "satisfaction_memory": _s(
        0.3,
        0,
        1,
        "0..1",
        "Weight of the latest experience in a customer's running satisfaction.",
        "[calibration].",
        "customers",
    ),
    "score_spread": _s(
        1.5,
        0,
        5,
        "score points (sd)",
        "How much people differ in how readily they give high scores, at equal satisfaction.",
        "Response styles differ between people [baumgartner2001] [calibration].",
        "customers",
    ),
    "wait_tolerance_minutes": _s(
        5,
        0.1,
        120,
        "minutes",
        "Wait at which a contact's handling counts as half spoiled.",
        "No more than 5 minutes on hold [seed004].",
        "customers",
    ),
    "base_churn": _s(
        0.005,
        0,
        0.5,
        "per week",
        "Churn hazard of a customer at acceptable satisfaction.",
        "Mean lifetime = 1 / churn rate [reichheld2003] [calibration].",
        "customers",
    ),
    "churn_sensitivity": _s(
        10,
        0,
        50,
        "per unit satisfaction",
        "How steeply churn rises as satisfaction falls below acceptable.",
        "Dissatisfied customers leave [seed001].",
        "customers",
    ),
    "hidden_fee": _s(
        0.15,
        0,
        1,
        "share of price",
        "Extra charged on a purchase that falls into a trap.",
        "Hidden fees [seed004].",
        "customers",
    ),
    "bad_practice_sting": _s(
        0.2,
        0,
        1,
        "experience units",
        "Experience lost, beyond the price itself, when a customer discovers a trap.",
        "Unpleasant surprises [seed004].",
        "customers",
    ),
    # ---- support queue ------------------------------------------------------
    "patience_minutes": _s(
        10,
        0.5,
        1000000.0,
        "minutes",
        "Mean time a caller holds before hanging up (exponential).",
        "A caller hung up at 16 minutes [seed000]; Erlang A [garnett2002].",
        "queue",
    ),
    "handle_minutes_fast": _s(
        5,
        0.5,
        60,
        "minutes",
        "Handling time when agents are measured on calls per minute.",
        "[seed004] [calibration].",
        "queue",
    ),
    "handle_minutes_thorough": _s(
        8,
        0.5,
        60,
        "minutes",
        "Handling time when agents are measured on solving the problem.",
        "[seed004] [calibration].",
        "queue",
    ),
    "escalation_share": _s(
        0.25,
        0,
        1,
        "probability",
        "Share of problems that need authority beyond an unempowered agent.",
        "Approval forms [seed004] [calibration].",
        "queue",
    ),
    "escalation_minutes": _s(
        6, 0, 120, "minutes", "Extra handling time for an escalated contact.", "[calibration].", "queue"
    ),
    "resolution_floor": _s(
        0.65,
        0,
        1,
        "probability",
        "Share of problems even the least capable agent solves at the first contact (the best solve all).",
        "[calibration].",
        "queue",
    ),
    "repeat_contact_value": _s(
        0.5,
        0,
        1,
        "0..1",
        "Value of a problem solved only at a second contact, relative to one solved at the first.",
        "Each extra contact costs the customer as much again [calibration].",
        "queue",
    ),
    "rush_penalty": _s(
        0.2,
        0,
        1,
        "0..1",
        "Resolution lost when agents are pushed for speed instead of outcomes.",
        "Calls per minute regardless of outcome [seed004].",
        "queue",
    ),
    "contact_hours": _s(
        50,
        1,
        168,
        "hours per week",
        "Hours a week the contact channels are open (e.g. 10 hours a day, 5 days).",
        "Typical opening hours [gans2003] [calibration].",
        "queue",
    ),
    "target_answer_seconds": _s(
        30,
        1,
        600,
        "seconds",
        "Mean wait of answered contacts the roster is planned for (at staffing 1).",
        "The common service-level target, 80% answered in 20-30 s [gans2003].",
        "queue",
    ),
    "agent_hours": _s(
        26,
        1,
        60,
        "hours per week",
        "Hours a full-time agent spends on contacts in a week: a 40-hour week less breaks, training, "
        "meetings and absence (shrinkage of about a third).",
        "Contact-centre shrinkage of 30-35% [gans2003] [calibration].",
        "queue",
    ),
    "peak_load": _s(
        0.3,
        0,
        0.95,
        "share of the mean",
        "How far contacts in the busy half of the opening hours exceed the week's average (and the quiet "
        "half fall short of it); the roster is the same in both.",
        "Arrival rates vary through the day and week [gans2003] [calibration].",
        "queue",
    ),
    "callback_threshold_minutes": _s(
        2,
        0,
        60,
        "minutes",
        "Wait after which a callback is offered.",
        "Offer a callback after two minutes [seed004].",
        "queue",
    ),
    "callback_wait_factor": _s(
        0.3,
        0,
        1,
        "0..1",
        "How much a callback's delay annoys compared with holding.",
        "[calibration].",
        "queue",
    ),
    # ---- word of mouth and acquisition --------------------------------------
    "network_degree": _s(
        10,
        2,
        1_000_000,
        "ties per person",
        "Average number of social ties per person in the market.",
        "Small-world social network [watts1998] [goldenberg2001].",
        "wom",
        integer=True,
    ),
    "network_rewiring": _s(
        0.1,
        0,
        1,
        "probability",
        "Share of ties that are weak ties to random people elsewhere in the market.",
        "Strong and weak ties [goldenberg2001] [watts1998].",
        "wom",
    ),
    "bass_p": _s(
        0.03,
        0,
        1,
        "per year",
        "Innovation: chance a prospect adopts because of marketing alone.",
        "Bass p [bass1969].",
        "wom",
    ),
    "bass_q": _s(
        0.38,
        0,
        5,
        "per year",
        "Imitation: adoption pull when all of a prospect's contacts are customers.",
        "Bass q [bass1969] [goldenberg2001].",
        "wom",
    ),
    "talk_rate": _s(
        0.3,
        0,
        1,
        "probability",
        "Chance that a promoter or detractor talks about a purchase, or a detractor about leaving.",
        "[goldenberg2007] [calibration].",
        "wom",
    ),
    "positive_reach": _s(
        6,
        0,
        100,
        "people",
        "People a promoter tells in their own circle about a good experience (social media adds social_amplification times as many).",
        "9 people in all [amex2011], a third of them reached online at the default amplification [calibration].",
        "wom",
    ),
    "negative_wom_weight": _s(
        16 / 9,
        0,
        10,
        "x positive reach",
        "How much further bad news travels than good news.",
        "16 vs 9 people [amex2011] [goldenberg2007].",
        "wom",
        lever=True,
    ),
    "social_amplification": _s(
        0.5,
        0,
        10,
        "x reach",
        "Extra reach from social media, to people outside one's own circle.",
        "Social media amplifies reach [seed000] [seed004].",
        "wom",
        lever=True,
    ),
    "referral_weight": _s(
        0.2,
        0,
        5,
        "x adopted contact",
        "Pull of one recent recommendation compared with one contact who is a customer.",
        "Promoters refer [reichheld2003] [calibration].",
        "wom",
    ),
    "wom_deterrence": _s(
        0.5,
        0,
        10,
        "per warning",
        "How strongly each recent warning puts a prospect off.",
        "Detractors warn [goldenberg2007].",
        "wom",
    ),
    "wom_expectation": _s(
        0.01,
        0,
        0.2,
        "per message",
        "How much each recommendation (warning) heard lately raises (lowers) a person's expectations.",
        "Expectations are set by word of mouth [seed002].",
        "wom",
    ),
    "wom_memory": _s(
        0.8,
        0,
        0.99,
        "per week",
        "Share of recent word of mouth still remembered a week later.",
        "[calibration].",
        "wom",
    ),
    # ---- money --------------------------------------------------------------
    "price": _s(1000, 0, 1e6, "currency", "Price of one purchase.", "[calibration].", "money"),
    "unit_cost_share": _s(
        0.35, 0, 1, "share of price", "Cost of goods as a share of the base price.", "[calibration].", "money"
    ),
    "premium_share": _s(
        0.7,
        0,
        1,
        "share of promoters",
        "Share of delighted customers (promoters) willing to pay a premium.",
        "70% of consumers [amex2011].",
        "money",
    ),
    "premium": _s(
        0.13,
        0,
        1,
        "share of price",
        "Premium a delighted customer pays.",
        "13% more [amex2011]; about 15% [seed001].",
        "money",
    ),
    "wage": _s(700, 0, 1e6, "currency per week", "Weekly cost of one employee.", "[calibration].", "money"),
    "training_cost": _s(
        0.08,
        0,
        1,
        "share of wage",
        "Cost of full-intensity re-training, as a share of wages.",
        "[calibration].",
        "money",
    ),
    "care_cost": _s(
        0.15,
        0,
        1,
        "share of wage",
        "Cost of full employee care, as a share of wages.",
        "[calibration].",
        "money",
    ),
    "programme_cost": _s(
        3.0,
        0,
        52,
        "weeks of wage per trainee",
        "Cost of a culture programme for each employee trained.",
        "A few days of training and the time away from work [calibration].",
        "money",
    ),
    "hire_cost": _s(
        4,
        0,
        52,
        "weeks of wage",
        "Cost of replacing one employee who quits.",
        "Cost of turnover [heskett1994] [calibration].",
        "money",
    ),
    "agent_hour_cost": _s(
        35,
        0,
        1e4,
        "currency per hour",
        "Cost of a seat for each agent hour on duty, on top of the agent's pay (telephony, systems).",
        "[calibration].",
        "money",
    ),
}

DEPARTMENT_SHARE_NAMES = tuple(f"dept_share_{d}" for d in DEPARTMENTS)

Params = make_dataclass(
    "Params",
    [
        (name, int if spec.integer else float, int(spec.default) if spec.integer else spec.default)
        for name, spec in SPECS.items()
    ],
    frozen=True,
    namespace={
        "__doc__": "Validated, immutable parameter values (see ``SPECS``).",
        "__post_init__": lambda self: validate(self),
        "replace": lambda self, **changes: replace(self, **coerce(changes)),
        "as_dict": lambda self: {f.name: getattr(self, f.name) for f in fields(self)},
    },
)


def closest(name: str) -> str:
    """A hint naming the closest valid parameter names, for error messages."""
    near = difflib.get_close_matches(name, list(SPECS), n=3, cutoff=0.5)
    return f" Did you mean {', '.join(near)}?" if near else ""


def coerce(values: dict[str, Any]) -> dict[str, Any]:
    """Check names and convert values to each parameter's type.

    Raises:
        ParameterError: for an unknown name or a value that is not a number.
    """
    out = {}
    for name, value in values.items():
        spec = SPECS.get(name)
        if spec is None:
            raise ParameterError(f"unknown parameter '{name}'.{closest(name)}")
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ParameterError(f"parameter '{name}' must be a number, got {value!r}")
        try:
            number = float(value)
        except ValueError:
            raise ParameterError(f"parameter '{name}' must be a number, got {value!r}") from None
        if not math.isfinite(number):
            raise ParameterError(f"parameter '{name}' must be a finite number, got {value!r}")
        if spec.integer:
            if number != int(number):
                raise ParameterError(f"parameter '{name}' must be a whole number, got {value!r}")
            number = int(number)
        out[name] = number
    return out


def validate(params) -> None:
    """Check every value against its range and the cross-parameter rules."""
    for name, spec in SPECS.items():
        value = getattr(params, name)
        if spec.integer and value != int(value):
            raise ParameterError(f"parameter '{name}' must be a whole number, got {value!r}")
        if not spec.lo <= value <= spec.hi:
            raise ParameterError(
                f"parameter '{name}' = {value:g} is out of range [{spec.lo:g}, {spec.hi:g}] ({spec.unit})"
            )
    if params.initial_customers > params.market_size:
        raise ParameterError(
            f"initial_customers ({params.initial_customers}) must not exceed market_size ({params.market_size})"
        )
    if sum(getattr(params, n) for n in DEPARTMENT_SHARE_NAMES) <= 0:
        raise ParameterError("at least one dept_share_* weight must be positive")
    if params.network_degree >= params.market_size:
        raise ParameterError("network_degree must be smaller than market_size")


def make_params(values: dict[str, Any] | None = None) -> Params:
    """Build validated ``Params`` from defaults plus ``values``."""
    return Params(**coerce(values or {}))


def levers() -> list[str]:
    """Names of the policy levers, in definition order."""
    return [name for name, spec in SPECS.items() if spec.lever]
