"""Every model parameter, defined once: meaning, unit, range, default, source, kind.

``Params`` is the frozen, validated set of values a model runs with. Each of its
fields is written out with its type, so editors and linters see it, and defined
by ``param(...)``: its default, range, unit, meaning, source, group and ``Kind``
(a policy lever, a structural parameter that needs a rebuild, or a calibration
constant). ``SPECS`` reads those definitions back, one ``Spec`` per field; the
model, the dashboard, the experiment runner, the command line and the generated
parameter reference all read ``SPECS``.
"""

from __future__ import annotations

import difflib
import math
import re
import typing
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from typing import Any

from model.departments import DEPARTMENTS


class ParameterError(ValueError):
    """A parameter name or value a user supplied is not valid."""


class Kind(StrEnum):
    """What a parameter is for, and so who may change it when."""

    LEVER = "lever"  # a policy lever: shown to workshop participants, may move mid-run
    STRUCTURAL = "structural"  # shapes the world when it is built: a change needs a new model
    CALIBRATION = "calibration"  # a constant of the mechanisms, calibrated; may move mid-run


LEVER, STRUCTURAL, CALIBRATION = Kind.LEVER, Kind.STRUCTURAL, Kind.CALIBRATION
LEVERS_GROUP = "levers"  # the reference's group of every lever, and of nothing else


@dataclass(frozen=True)
class Spec:
    """The definition of one parameter (``integer`` comes from its field's type)."""

    default: float
    lo: float
    hi: float
    unit: str
    meaning: str
    source: str
    group: str
    kind: Kind
    integer: bool = False
    label: str = ""  # a plain name for people (workshop levers have one)
    ends: tuple[str, str] = ("", "")  # what the lowest and highest values mean, in plain words

    @property
    def lever(self) -> bool:
        """A policy lever shown to workshop participants."""
        return self.kind is LEVER

    @property
    def structural(self) -> bool:
        """Shapes the world when it is built: changing it needs a new model."""
        return self.kind is STRUCTURAL


def param(
    *,
    default: float,
    lo: float,
    hi: float,
    unit: str,
    meaning: str,
    source: str,
    kind: Kind,
    group: str | None = None,
    label: str = "",
    ends: tuple[str, str] = ("", ""),
) -> Any:
    """A ``Params`` field defined by its ``Spec``; a lever's group is ``LEVERS_GROUP``.
    ``label`` and ``ends`` are the words a workshop reads (every lever has them).

    Raises:
        TypeError: a lever given another group, or another kind given none.
    """
    if (kind is LEVER) != (group is None) or group == LEVERS_GROUP:
        raise TypeError(f"a lever takes no group; other kinds need one, not '{LEVERS_GROUP}'")
    spec = Spec(
        float(default),
        float(lo),
        float(hi),
        unit,
        meaning,
        source,
        group or LEVERS_GROUP,
        kind,
        False,
        label,
        ends,
    )
    return field(default=default, metadata={"spec": spec})


@dataclass(frozen=True)
class Params:
    """Validated, immutable parameter values: one field per parameter (see ``SPECS``)."""

    # ---- size -------------------------------------------------------------
    n_employees: int = param(
        default=300,
        lo=3,
        hi=1_000_000,
        unit="people",
        meaning="Number of employees in a generated organisation.",
        source="A mid-sized firm [calibration].",
        group="size",
        kind=STRUCTURAL,
    )
    market_size: int = param(
        default=20_000,
        lo=10,
        hi=10_000_000,
        unit="people",
        meaning="People in the market: prospects, customers and former customers.",
        source="A regional market for a mid-sized firm [calibration].",
        group="size",
        kind=STRUCTURAL,
    )
    initial_customers: int = param(
        default=4_000,
        lo=0,
        hi=10_000_000,
        unit="people",
        meaning="Active customers at the start (must not exceed the market).",
        source="About a fifth of the market [calibration].",
        group="size",
        kind=STRUCTURAL,
    )

    # ---- organisation -------------------------------------------------------
    span_of_control: int = param(
        default=8,
        lo=2,
        hi=100,
        unit="reports per manager",
        meaning="How many people report to one manager.",
        source="Typical spans of 5-10 [calibration].",
        group="organisation",
        kind=STRUCTURAL,
    )
    peer_ties: float = param(
        default=4.0,
        lo=0,
        hi=50,
        unit="ties per employee",
        meaning="Informal ties to colleagues in the same team.",
        source="Small work groups [calibration].",
        group="organisation",
        kind=STRUCTURAL,
    )
    cross_department_ties: float = param(
        default=0.5,
        lo=0,
        hi=20,
        unit="ties per employee",
        meaning="Informal ties to other departments; low values mean silos.",
        source="Silo lever of MODEL.md section 1 [calibration].",
        group="organisation",
        kind=STRUCTURAL,
    )
    dept_share_executive: float = param(
        default=0.02,
        lo=0,
        hi=1,
        unit="relative weight",
        meaning="Relative headcount of the executive department (weights are normalised).",
        source="MODEL.md default departments [calibration].",
        group="organisation",
        kind=STRUCTURAL,
    )
    dept_share_product: float = param(
        default=0.15,
        lo=0,
        hi=1,
        unit="relative weight",
        meaning="Relative headcount of the product department (weights are normalised).",
        source="MODEL.md default departments [calibration].",
        group="organisation",
        kind=STRUCTURAL,
    )
    dept_share_operations: float = param(
        default=0.3,
        lo=0.0,
        hi=1.0,
        unit="relative weight",
        meaning="Relative headcount of the operations department (weights are normalised).",
        source="MODEL.md default departments [calibration].",
        group="organisation",
        kind=STRUCTURAL,
    )
    dept_share_logistics: float = param(
        default=0.08,
        lo=0,
        hi=1,
        unit="relative weight",
        meaning="Relative headcount of the logistics department (weights are normalised).",
        source="MODEL.md default departments [calibration].",
        group="organisation",
        kind=STRUCTURAL,
    )
    dept_share_marketing: float = param(
        default=0.08,
        lo=0,
        hi=1,
        unit="relative weight",
        meaning="Relative headcount of the marketing department (weights are normalised).",
        source="MODEL.md default departments [calibration].",
        group="organisation",
        kind=STRUCTURAL,
    )
    dept_share_sales: float = param(
        default=0.17,
        lo=0.0,
        hi=1.0,
        unit="relative weight",
        meaning="Relative headcount of the sales department (weights are normalised).",
        source="MODEL.md default departments [calibration].",
        group="organisation",
        kind=STRUCTURAL,
    )
    dept_share_service: float = param(
        default=0.05,
        lo=0.0,
        hi=1.0,
        unit="relative weight",
        meaning="Relative headcount of the service department (weights are normalised).",
        source="MODEL.md default departments [calibration].",
        group="organisation",
        kind=STRUCTURAL,
    )
    dept_share_finance: float = param(
        default=0.05,
        lo=0,
        hi=1,
        unit="relative weight",
        meaning="Relative headcount of the finance department (weights are normalised).",
        source="MODEL.md default departments [calibration].",
        group="organisation",
        kind=STRUCTURAL,
    )
    dept_share_hr: float = param(
        default=0.05,
        lo=0,
        hi=1,
        unit="relative weight",
        meaning="Relative headcount of the hr department (weights are normalised).",
        source="MODEL.md default departments [calibration].",
        group="organisation",
        kind=STRUCTURAL,
    )

    # ---- policy levers ------------------------------------------------------
    leadership_commitment: float = param(
        default=0.5,
        lo=0,
        hi=1,
        unit="0..1",
        meaning="How much top leadership lives customer focus (1) rather than paying lip service (0).",
        source="Culture starts at the top [seed000] [seed004].",
        kind=LEVER,
        label="Leadership commitment",
        ends=("lip service", "walks the talk"),
    )
    metric_focus: float = param(
        default=0.5,
        lo=0,
        hi=1,
        unit="0..1",
        meaning="What is measured and rewarded: 0 = calls per minute and cost, 1 = solving the customer's problem.",
        source="Calls-per-minute metrics vs outcome metrics [seed004].",
        kind=LEVER,
        label="What staff are measured on",
        ends=("calls per minute", "problems solved"),
    )
    empowerment: float = param(
        default=0.4,
        lo=0,
        hi=1,
        unit="0..1",
        meaning="How often front-line staff may fix a problem themselves, without an approval form.",
        source="Empowered staff [seed002] [seed004].",
        kind=LEVER,
        label="Freedom to fix problems",
        ends=("every fix needs approval", "staff fix it on the spot"),
    )
    training_intensity: float = param(
        default=0.5,
        lo=0,
        hi=1,
        unit="0..1",
        meaning="How much re-training staff get after onboarding; skills fade without it.",
        source="Trained and occasionally re-trained [seed001] [seed004].",
        kind=LEVER,
        label="Re-training",
        ends=("none after onboarding", "regular refreshers"),
    )
    hiring_culture_fit: float = param(
        default=0.3,
        lo=0,
        hi=1,
        unit="0..1",
        meaning="Share of a hiring decision based on values rather than CV alone.",
        source="Zappos hires for culture [seed004]; selective hiring [harrison1991].",
        kind=LEVER,
        label="Hiring for values",
        ends=("CV only", "values decide"),
    )
    employee_care: float = param(
        default=0.5,
        lo=0,
        hi=1,
        unit="0..1",
        meaning="How well the firm takes care of its employees (workload, respect, benefits).",
        source="Marriott: take care of employees and they take care of the customer [seed004] [heskett1994].",
        kind=LEVER,
        label="Care for employees",
        ends=("neglected", "well looked after"),
    )
    service_staffing: float = param(
        default=1.0,
        lo=0.1,
        hi=3.0,
        unit="x needed",
        meaning="Contact-centre agents on duty relative to what answers the forecast contacts in the target time on average (1 = staffed for the load), within the hours the service department's agents can work.",
        source="Understaffed service channels [seed000] [seed004]; staffing to a service-level target [gans2003].",
        kind=LEVER,
        label="Support staff on duty",
        ends=("a tenth of what is needed", "three times what is needed"),
    )
    marketing_promise: float = param(
        default=0.5,
        lo=0,
        hi=1,
        unit="0..1",
        meaning="What marketing and sales promise: 0.5 = honest, higher = overpromising.",
        source="Overpromising raises expectations [seed002].",
        kind=LEVER,
        label="What marketing promises",
        ends=("understates", "overpromises (0.5 is honest)"),
    )
    partner_reliability: float = param(
        default=0.95,
        lo=0.0,
        hi=1.0,
        unit="probability",
        meaning="Share of deliveries the logistics partner gets there on time.",
        source="Partly outside the firm's control [seed002].",
        kind=LEVER,
        label="Delivery partner on time",
        ends=("never on time", "always on time"),
    )
    bad_practice: float = param(
        default=0.0,
        lo=0,
        hi=1,
        unit="share of purchases",
        meaning="Deliberate traps (hidden fees, confusing billing, hard-to-cancel contracts): share of purchases that fall into one.",
        source="Deliberate bad customer experience [seed004].",
        kind=LEVER,
        label="Hidden fees and traps",
        ends=("none", "in every purchase"),
    )
    self_service: float = param(
        default=0.2,
        lo=0,
        hi=0.9,
        unit="share of questions",
        meaning="Share of routine questions answered by FAQ and self-service instead of an agent.",
        source="FAQ cuts waiting [seed004].",
        kind=LEVER,
        label="Self-service answers",
        ends=("none", "9 in 10 routine questions"),
    )
    callback_offer: float = param(
        default=0.0,
        lo=0,
        hi=1,
        unit="share of callers",
        meaning="Share of callers who would wait past the callback threshold that are offered a callback instead of holding.",
        source="Offer a call back after two minutes [seed004].",
        kind=LEVER,
        label="Callback instead of waiting",
        ends=("never offered", "offered to every long wait"),
    )

    # ---- culture dynamics ---------------------------------------------------
    upward_pull: float = param(
        default=0.006,
        lo=0.0,
        hi=1.0,
        unit="per week",
        meaning="How fast an employee's customer focus moves toward that of the managers above them.",
        source="Socialisation from the top [harrison1991] [seed000].",
        group="culture",
        kind=CALIBRATION,
    )
    top_reach: float = param(
        default=0.5,
        lo=0.0,
        hi=1.0,
        unit="0..1",
        meaning="Weight of managers further up the chain (the CEO's example) against the direct manager.",
        source="Culture trickles down the hierarchy [seed000] [calibration].",
        group="culture",
        kind=CALIBRATION,
    )
    peer_pull: float = param(
        default=0.004,
        lo=0.0,
        hi=1.0,
        unit="per week",
        meaning="How fast customer focus moves toward that of informal peers.",
        source="Peer socialisation [harrison1991].",
        group="culture",
        kind=CALIBRATION,
    )
    leadership_anchor: float = param(
        default=0.1,
        lo=0,
        hi=1,
        unit="per week",
        meaning="How fast executives' own behaviour follows the leadership commitment.",
        source="Executives set the tone [seed004] [calibration].",
        group="culture",
        kind=CALIBRATION,
    )
    metric_pull: float = param(
        default=0.01,
        lo=0.0,
        hi=1.0,
        unit="per week",
        meaning="How fast front-line behaviour drifts toward what the metrics reward.",
        source="You get what you measure [seed004] [calibration].",
        group="culture",
        kind=CALIBRATION,
    )
    culture_noise: float = param(
        default=0.01,
        lo=0,
        hi=0.5,
        unit="sd per week",
        meaning="Week-to-week individual variation in customer focus.",
        source="Individual variation [harrison1991].",
        group="culture",
        kind=CALIBRATION,
    )
    labour_market_centricity: float = param(
        default=0.4,
        lo=0,
        hi=1,
        unit="0..1",
        meaning="Average customer focus of people hired from the labour market.",
        source="Hires from the labour market [harrison1991] [calibration].",
        group="culture",
        kind=CALIBRATION,
    )
    labour_market_spread: float = param(
        default=0.15,
        lo=0,
        hi=0.5,
        unit="sd",
        meaning="Spread of customer focus among candidates.",
        source="[harrison1991] [calibration].",
        group="culture",
        kind=CALIBRATION,
    )
    corruption_rate: float = param(
        default=0.03,
        lo=0,
        hi=1,
        unit="per week",
        meaning="How fast deliberate bad practice wears down front-line customer focus.",
        source="Bad practice corrupts front-line staff [seed004].",
        group="culture",
        kind=CALIBRATION,
    )
    programme_boost: float = param(
        default=0.7,
        lo=0.0,
        hi=1.0,
        unit="share of gap",
        meaning="Share of the gap to full customer focus closed by a culture programme for those trained.",
        source="Culture programmes [seed004] [calibration].",
        group="culture",
        kind=CALIBRATION,
    )

    norm_pull: float = param(
        default=0.08,
        lo=0.0,
        hi=1.0,
        unit="per week",
        meaning="How fast an employee's customer focus moves toward their department's norm (conformity).",
        source="Norms shared within a unit shape members' behaviour [schein2010] [harrison1991] [calibration].",
        group="culture",
        kind=CALIBRATION,
    )

    norm_rate: float = param(
        default=1.0,
        lo=0.0,
        hi=1.0,
        unit="per week",
        meaning="Share of the way a department's norm moves in a week toward the standard a critical mass of its members practises, when the leaders back it.",
        source="Conventions flip abruptly once a critical mass practises a new one [centola2018]; 1 = within the week [calibration].",
        group="culture",
        kind=CALIBRATION,
    )

    critical_mass: float = param(
        default=0.25,
        lo=0.01,
        hi=0.99,
        unit="share of members",
        meaning="Share of a department that must practise a different standard before its norm starts to move.",
        source="About 25% in experiments on social conventions [centola2018].",
        group="culture",
        kind=CALIBRATION,
    )

    norm_margin: float = param(
        default=0.08,
        lo=0.01,
        hi=0.5,
        unit="0..1",
        meaning="How far above (below) the norm someone must behave to count as practising a higher (lower) standard; also the leaders' lead over the norm at which their reinforcement is full.",
        source="[calibration].",
        group="culture",
        kind=CALIBRATION,
    )

    tipping_width: float = param(
        default=0.005,
        lo=0.001,
        hi=0.5,
        unit="share of members",
        meaning="How sharply a norm tips around the critical mass (the logistic's scale).",
        source="[centola2018] [calibration].",
        group="culture",
        kind=CALIBRATION,
    )

    norm_consensus: float = param(
        default=0.02,
        lo=0.0,
        hi=1.0,
        unit="0..1",
        meaning="Weight of the management team's consensus (the mean norm of all departments, one voice each) in where a department's norm is heading.",
        source="Subcultures meet in the management team [schein2010] [calibration].",
        group="culture",
        kind=CALIBRATION,
    )

    tone_at_top: float = param(
        default=0.001,
        lo=0.0,
        hi=1.0,
        unit="per week",
        meaning="How fast every department's norm drifts up toward what the executives themselves do (their customer focus) when that is above it, whatever they say: 0.001 a week closes about a twentieth of the gap in a year.",
        source="Leaders embed culture by what they do, attend to and reward [schein2010] [seed000] [calibration].",
        group="culture",
        kind=CALIBRATION,
    )

    cynicism: float = param(
        default=0.006,
        lo=0.0,
        hi=1.0,
        unit="per week",
        meaning="How fast department norms drift down toward executives whose own customer focus is below them (leaders who only talk): faster than ``tone_at_top`` builds them up.",
        source="Trust is lost faster than it is built [slovic1993]; lip service breeds cynicism [seed004] [calibration].",
        group="culture",
        kind=CALIBRATION,
    )

    professed_values: float = param(
        default=0.85,
        lo=0.0,
        hi=1.0,
        unit="0..1",
        meaning="Customer focus of the values a firm screens candidates for when it hires for culture fit.",
        source="Zappos hires for the customer-centric values it professes [seed004] [calibration].",
        group="culture",
        kind=CALIBRATION,
    )

    # ---- skill and training -------------------------------------------------
    onboarding_weeks: int = param(
        default=4,
        lo=0,
        hi=52,
        unit="weeks",
        meaning="Length of onboarding training for new hires.",
        source="Initially trained [seed004].",
        group="training",
        kind=CALIBRATION,
    )
    onboarding_gain: float = param(
        default=0.1,
        lo=0,
        hi=1,
        unit="share of gap per week",
        meaning="Skill gained per onboarding week.",
        source="[calibration].",
        group="training",
        kind=CALIBRATION,
    )
    training_gain: float = param(
        default=0.02,
        lo=0,
        hi=1,
        unit="share of gap per week",
        meaning="Skill gained per week at full re-training intensity.",
        source="Occasionally re-trained [seed004] [calibration].",
        group="training",
        kind=CALIBRATION,
    )
    skill_decay: float = param(
        default=0.01,
        lo=0,
        hi=1,
        unit="share per week",
        meaning="Share of skill lost per week without practice and re-training.",
        source="Skill decays without training [seed001] [calibration].",
        group="training",
        kind=CALIBRATION,
    )
    initial_skill: float = param(
        default=0.6,
        lo=0,
        hi=1,
        unit="0..1",
        meaning="Skill of the employees in post when the simulation starts (an ordinary firm's history).",
        source="[calibration].",
        group="training",
        kind=CALIBRATION,
    )
    new_hire_skill: float = param(
        default=0.3,
        lo=0,
        hi=1,
        unit="0..1",
        meaning="Skill of a new hire on day one.",
        source="[calibration].",
        group="training",
        kind=CALIBRATION,
    )

    # ---- wellbeing and turnover ---------------------------------------------
    wellbeing_base: float = param(
        default=0.55,
        lo=0,
        hi=1,
        unit="0..1",
        meaning="Wellbeing an employee settles at with average care and normal workload.",
        source="[heskett1994] [calibration].",
        group="wellbeing",
        kind=CALIBRATION,
    )
    care_effect: float = param(
        default=0.4,
        lo=0,
        hi=1,
        unit="0..1",
        meaning="Wellbeing difference between no employee care and full care (average care is the reference).",
        source="Take care of employees [seed004] [heskett1994].",
        group="wellbeing",
        kind=CALIBRATION,
    )
    overload_penalty: float = param(
        default=1.0,
        lo=0,
        hi=5,
        unit="per unit overload",
        meaning="Wellbeing lost per unit of workload above the comfortable level.",
        source="Understaffing loads employees [seed000] [calibration].",
        group="wellbeing",
        kind=CALIBRATION,
    )
    comfortable_occupancy: float = param(
        default=0.8,
        lo=0.3,
        hi=1,
        unit="share of time busy",
        meaning="Share of time an agent can be busy on contacts before stress sets in.",
        source="Call-centre occupancy targets [garnett2002] [calibration].",
        group="wellbeing",
        kind=CALIBRATION,
    )
    bad_practice_strain: float = param(
        default=0.3,
        lo=0,
        hi=1,
        unit="0..1",
        meaning="Wellbeing lost by front-line staff who must defend deliberate traps.",
        source="Abnormal rate of legitimate grievances [seed004].",
        group="wellbeing",
        kind=CALIBRATION,
    )
    layoff_shock: float = param(
        default=0.15,
        lo=0,
        hi=1,
        unit="0..1",
        meaning="Wellbeing lost by survivors of a layoff round.",
        source="Survivor syndrome [calibration].",
        group="wellbeing",
        kind=CALIBRATION,
    )
    wellbeing_rate: float = param(
        default=0.1,
        lo=0,
        hi=1,
        unit="per week",
        meaning="How fast wellbeing moves toward what conditions warrant.",
        source="[calibration].",
        group="wellbeing",
        kind=CALIBRATION,
    )
    base_quit_rate: float = param(
        default=0.003,
        lo=0.0,
        hi=1.0,
        unit="per week",
        meaning="Quit hazard at average wellbeing (0.003 per week is about 15% a year).",
        source="Typical voluntary turnover [calibration].",
        group="wellbeing",
        kind=CALIBRATION,
    )
    quit_sensitivity: float = param(
        default=5.0,
        lo=0,
        hi=20,
        unit="per unit wellbeing",
        meaning="How steeply quitting rises as wellbeing falls below average.",
        source="Low wellbeing raises quitting [harrison1991] [heskett1994].",
        group="wellbeing",
        kind=CALIBRATION,
    )

    contact_strain: float = param(
        default=0.3,
        lo=0.0,
        hi=1.0,
        unit="per unit occupancy",
        meaning="Wellbeing lost by contact-centre agents per unit of the share of their time spent on contacts (emotional labour).",
        source="Emotional labour wears agents down [grandey2000]; contact centres lose 30-45% of staff a year [calibration].",
        group="wellbeing",
        kind=CALIBRATION,
    )

    # ---- service quality ----------------------------------------------------
    quality_weight_centricity: float = param(
        default=0.6,
        lo=0.0,
        hi=1.0,
        unit="relative weight",
        meaning="Weight of customer focus in the service an employee delivers.",
        source="[heskett1994] [calibration].",
        group="service_quality",
        kind=CALIBRATION,
    )
    quality_weight_skill: float = param(
        default=0.4,
        lo=0,
        hi=1,
        unit="relative weight",
        meaning="Weight of skill in the service an employee delivers.",
        source="[calibration].",
        group="service_quality",
        kind=CALIBRATION,
    )
    quality_weight_wellbeing: float = param(
        default=0.2,
        lo=0,
        hi=1,
        unit="relative weight",
        meaning="Weight of wellbeing in the service an employee delivers.",
        source="Happy employees serve better [heskett1994].",
        group="service_quality",
        kind=CALIBRATION,
    )
    quality_weight_empowerment: float = param(
        default=0.2,
        lo=0,
        hi=1,
        unit="relative weight",
        meaning="Weight of empowerment in the service a front-line employee delivers (able to fix things on the spot).",
        source="Touchpoint quality depends on empowerment [seed002] [seed004].",
        group="service_quality",
        kind=CALIBRATION,
    )
    employee_share: float = param(
        default=0.65,
        lo=0.0,
        hi=1.0,
        unit="0..1",
        meaning="Share of a touchpoint's quality that comes from the people serving it (the rest from product and partner).",
        source="People make most of a service experience [seed003] [heskett1994] [calibration].",
        group="service_quality",
        kind=CALIBRATION,
    )

    # ---- customers ----------------------------------------------------------
    product_quality: float = param(
        default=0.75,
        lo=0,
        hi=1,
        unit="0..1",
        meaning="Base quality of the product itself.",
        source="Product quality matters most [seed002].",
        kind=LEVER,
        label="Product quality",
        ends=("poor", "excellent"),
    )
    purchase_rate: float = param(
        default=0.1,
        lo=0,
        hi=1,
        unit="probability per week",
        meaning="Chance that an active customer at acceptable satisfaction buys in a given week "
        "(0.1 is about every ten weeks).",
        source="About every ten weeks [calibration].",
        group="customers",
        kind=CALIBRATION,
    )
    repurchase_sensitivity: float = param(
        default=2.0,
        lo=0,
        hi=20,
        unit="per unit satisfaction",
        meaning="How much more often satisfied customers buy: the chance of buying is multiplied by "
        "exp(sensitivity x (satisfaction - acceptable)).",
        source="Satisfied customers repurchase [seed001] [mittal2001]; 2 makes a delighted customer (0.95) "
        "buy about 1.5 times as often as an acceptably satisfied one (0.75) and an unhappy one (0.45) "
        "a little over half as often [calibration].",
        group="customers",
        kind=CALIBRATION,
    )
    problem_base: float = param(
        default=0.01,
        lo=0,
        hi=1,
        unit="probability",
        meaning="Chance that a touchpoint (product, delivery, right product) goes wrong even at perfect quality.",
        source="[calibration].",
        group="customers",
        kind=CALIBRATION,
    )
    problem_slope: float = param(
        default=0.12,
        lo=0,
        hi=1,
        unit="per unit quality gap",
        meaning="Extra chance that a touchpoint goes wrong per unit of its quality below perfect.",
        source="Problems arise more often as quality falls [calibration].",
        group="customers",
        kind=CALIBRATION,
    )
    complaint_rate: float = param(
        default=0.5,
        lo=0,
        hi=1,
        unit="probability",
        meaning="Share of customers with a problem who contact the firm (the rest stay silent).",
        source="About half complain to front-line staff [tarp1986].",
        group="customers",
        kind=CALIBRATION,
    )
    question_rate: float = param(
        default=0.35,
        lo=0.0,
        hi=1.0,
        unit="contacts per customer-week",
        meaning="Routine questions per active customer per week.",
        source="[calibration].",
        group="customers",
        kind=CALIBRATION,
    )
    presale_contact_rate: float = param(
        default=0.3,
        lo=0,
        hi=1,
        unit="probability",
        meaning="Share of would-be buyers who contact the firm before buying.",
        source="Pre-sale research and contact [seed000].",
        group="customers",
        kind=CALIBRATION,
    )
    weight_product: float = param(
        default=0.4,
        lo=0,
        hi=1,
        unit="relative weight",
        meaning="Importance of product quality in a customer's experience.",
        source="Importance order [seed002].",
        group="customers",
        kind=CALIBRATION,
    )
    weight_delivery: float = param(
        default=0.25,
        lo=0,
        hi=1,
        unit="relative weight",
        meaning="Importance of on-time delivery.",
        source="Importance order [seed002].",
        group="customers",
        kind=CALIBRATION,
    )
    weight_right_product: float = param(
        default=0.18,
        lo=0,
        hi=1,
        unit="relative weight",
        meaning="Importance of getting the right product.",
        source="Importance order [seed002].",
        group="customers",
        kind=CALIBRATION,
    )
    expectation_base: float = param(
        default=0.55,
        lo=0.0,
        hi=1.0,
        unit="0..1",
        meaning="Experience a customer expects when promises are honest.",
        source="[seed001] [calibration].",
        group="customers",
        kind=CALIBRATION,
    )
    expectation_spread: float = param(
        default=0.05,
        lo=0,
        hi=0.5,
        unit="experience units (sd)",
        meaning="How much people differ in what they expect.",
        source="Individual differences in expectations [seed001] [calibration].",
        group="customers",
        kind=STRUCTURAL,  # personal differences in expectation are drawn once
    )
    promise_effect: float = param(
        default=0.15,
        lo=0.0,
        hi=2.0,
        unit="per unit promise",
        meaning="How much each unit of promise above honest raises expectations.",
        source="Overpromising raises expectations [seed002].",
        group="customers",
        kind=CALIBRATION,
    )
    promise_reach: float = param(
        default=2.0,
        lo=0.0,
        hi=5.0,
        unit="per unit promise",
        meaning="How much each unit of promise above honest raises marketing reach.",
        source="Bold promises attract prospects [seed002] [calibration].",
        group="customers",
        kind=CALIBRATION,
    )
    satisfaction_memory: float = param(
        default=0.3,
        lo=0,
        hi=1,
        unit="0..1",
        meaning="Weight of the latest experience in a customer's running satisfaction.",
        source="[calibration].",
        group="customers",
        kind=CALIBRATION,
    )
    wait_tolerance_minutes: float = param(
        default=5.0,
        lo=0.1,
        hi=120,
        unit="minutes",
        meaning="Wait at which a contact's handling counts as half spoiled.",
        source="No more than 5 minutes on hold [seed004].",
        group="customers",
        kind=CALIBRATION,
    )
    base_churn: float = param(
        default=0.005,
        lo=0.0,
        hi=0.5,
        unit="per week",
        meaning="Churn hazard of a customer at acceptable satisfaction.",
        source="Mean lifetime = 1 / churn rate [reichheld2003] [calibration].",
        group="customers",
        kind=CALIBRATION,
    )
    churn_sensitivity: float = param(
        default=8.0,
        lo=0,
        hi=50,
        unit="per unit satisfaction",
        meaning="How steeply churn rises as satisfaction falls below acceptable.",
        source="Dissatisfied customers leave [seed001].",
        group="customers",
        kind=CALIBRATION,
    )
    hidden_fee: float = param(
        default=0.15,
        lo=0,
        hi=1,
        unit="share of price",
        meaning="Extra charged on a purchase that falls into a trap.",
        source="Hidden fees [seed004].",
        group="customers",
        kind=CALIBRATION,
    )
    bad_practice_sting: float = param(
        default=0.2,
        lo=0.0,
        hi=1.0,
        unit="experience units",
        meaning="Experience lost, beyond the price itself, when a customer discovers a trap.",
        source="Unpleasant surprises [seed004].",
        group="customers",
        kind=CALIBRATION,
    )

    failure_severity: float = param(
        default=0.8,
        lo=0.0,
        hi=1.0,
        unit="share of value",
        meaning="Share of a touchpoint's value lost when it goes wrong and nobody puts it right (a late delivery still arrives; a faulty product can still be repaired).",
        source="A single failure dents satisfaction, repeated failures sink it [calibration].",
        group="customers",
        kind=CALIBRATION,
    )

    disconfirmation_slope: float = param(
        default=0.7,
        lo=0.0,
        hi=5.0,
        unit="satisfaction per experience unit",
        meaning="How much satisfaction with a purchase rises (falls) per unit of experience above (below) what the customer expected.",
        source="Satisfaction is linear in disconfirmation [oliver1980] [seed001] [calibration].",
        group="customers",
        kind=CALIBRATION,
    )

    score_spread: float = param(
        default=1.5,
        lo=0.0,
        hi=5.0,
        unit="score points (sd)",
        meaning="How much people differ in how readily they give high scores, at equal satisfaction.",
        source="Response styles differ between people [baumgartner2001] [calibration].",
        group="customers",
        kind=STRUCTURAL,
    )

    # ---- support queue ------------------------------------------------------
    patience_minutes: float = param(
        default=10.0,
        lo=0.5,
        hi=1_000_000,
        unit="minutes",
        meaning="Mean time a caller holds before hanging up (exponential).",
        source="A caller hung up at 16 minutes [seed000]; Erlang A [garnett2002].",
        group="queue",
        kind=CALIBRATION,
    )
    handle_minutes_fast: float = param(
        default=5.0,
        lo=0.5,
        hi=60,
        unit="minutes",
        meaning="Handling time when agents are measured on calls per minute.",
        source="[seed004] [calibration].",
        group="queue",
        kind=CALIBRATION,
    )
    handle_minutes_thorough: float = param(
        default=8.0,
        lo=0.5,
        hi=60,
        unit="minutes",
        meaning="Handling time when agents are measured on solving the problem.",
        source="[seed004] [calibration].",
        group="queue",
        kind=CALIBRATION,
    )
    escalation_share: float = param(
        default=0.25,
        lo=0.0,
        hi=1.0,
        unit="probability",
        meaning="Share of problems that need authority beyond an unempowered agent.",
        source="Approval forms [seed004] [calibration].",
        group="queue",
        kind=CALIBRATION,
    )
    escalation_minutes: float = param(
        default=6.0,
        lo=0,
        hi=120,
        unit="minutes",
        meaning="Extra handling time for an escalated contact.",
        source="[calibration].",
        group="queue",
        kind=CALIBRATION,
    )
    resolution_floor: float = param(
        default=0.65,
        lo=0.0,
        hi=1.0,
        unit="probability",
        meaning="Share of problems even the least capable agent solves at the first contact (the best solve all).",
        source="[calibration].",
        group="queue",
        kind=CALIBRATION,
    )
    repeat_contact_value: float = param(
        default=0.5,
        lo=0,
        hi=1,
        unit="0..1",
        meaning="Value of a problem solved only at a second contact, relative to one solved at the first.",
        source="Each extra contact costs the customer as much again [calibration].",
        group="queue",
        kind=CALIBRATION,
    )
    rush_penalty: float = param(
        default=0.2,
        lo=0.0,
        hi=1.0,
        unit="0..1",
        meaning="Resolution lost when agents are pushed for speed instead of outcomes.",
        source="Calls per minute regardless of outcome [seed004].",
        group="queue",
        kind=CALIBRATION,
    )
    contact_hours: float = param(
        default=50.0,
        lo=1.0,
        hi=168.0,
        unit="hours per week",
        meaning="Hours a week the contact channels are open (e.g. 10 hours a day, 5 days).",
        source="Typical opening hours [gans2003] [calibration].",
        group="queue",
        kind=CALIBRATION,
    )
    callback_threshold_minutes: float = param(
        default=2.0,
        lo=0,
        hi=60,
        unit="minutes",
        meaning="Wait after which a callback is offered.",
        source="Offer a callback after two minutes [seed004].",
        group="queue",
        kind=CALIBRATION,
    )
    callback_wait_factor: float = param(
        default=0.3,
        lo=0,
        hi=1,
        unit="0..1",
        meaning="How much a callback's delay annoys compared with holding.",
        source="[calibration].",
        group="queue",
        kind=CALIBRATION,
    )

    target_answer_seconds: float = param(
        default=30.0,
        lo=1.0,
        hi=600.0,
        unit="seconds",
        meaning="Mean wait of answered contacts the roster is planned for (at staffing 1).",
        source="The common service-level target, 80% answered in 20-30 s [gans2003].",
        group="queue",
        kind=CALIBRATION,
    )

    agent_hours: float = param(
        default=26.0,
        lo=1.0,
        hi=60.0,
        unit="hours per week",
        meaning="Hours a full-time agent spends on contacts in a week: a 40-hour week less breaks, training, meetings and absence (shrinkage of about a third).",
        source="Contact-centre shrinkage of 30-35% [gans2003] [calibration].",
        group="queue",
        kind=CALIBRATION,
    )

    peak_load: float = param(
        default=0.3,
        lo=0.0,
        hi=0.95,
        unit="share of the mean",
        meaning="How far contacts in the busy half of the opening hours exceed the week's average (and the quiet half fall short of it); the roster is the same in both.",
        source="Arrival rates vary through the day and week [gans2003] [calibration].",
        group="queue",
        kind=CALIBRATION,
    )

    # ---- word of mouth and acquisition --------------------------------------
    network_degree: int = param(
        default=10,
        lo=2.0,
        hi=1_000_000,
        unit="ties per person",
        meaning="Average number of social ties per person in the market.",
        source="Small-world social network [watts1998] [goldenberg2001].",
        group="wom",
        kind=STRUCTURAL,
    )
    network_rewiring: float = param(
        default=0.1,
        lo=0,
        hi=1,
        unit="probability",
        meaning="Share of ties that are weak ties to random people elsewhere in the market.",
        source="Strong and weak ties [goldenberg2001] [watts1998].",
        group="wom",
        kind=STRUCTURAL,  # the customers' network is built once
    )
    bass_p: float = param(
        default=0.03,
        lo=0,
        hi=1,
        unit="per year",
        meaning="Innovation: chance a prospect adopts because of marketing alone.",
        source="Bass p [bass1969].",
        group="wom",
        kind=CALIBRATION,
    )
    bass_q: float = param(
        default=0.38,
        lo=0,
        hi=5,
        unit="per year",
        meaning="Imitation: adoption pull when all of a prospect's contacts are customers.",
        source="Bass q [bass1969] [goldenberg2001].",
        group="wom",
        kind=CALIBRATION,
    )
    talk_rate: float = param(
        default=0.3,
        lo=0,
        hi=1,
        unit="probability",
        meaning="Chance that a promoter or detractor talks about a purchase, or a detractor about leaving.",
        source="[goldenberg2007] [calibration].",
        group="wom",
        kind=CALIBRATION,
    )
    positive_reach: float = param(
        default=6.0,
        lo=0.0,
        hi=100.0,
        unit="people",
        meaning="People a promoter tells in their own circle about a good experience (social media adds social_amplification times as many).",
        source="9 people in all [amex2011], a third of them reached online at the default amplification [calibration].",
        group="wom",
        kind=CALIBRATION,
    )
    negative_wom_weight: float = param(
        default=16 / 9,
        lo=0,
        hi=10,
        unit="x positive reach",
        meaning="How much further bad news travels than good news.",
        source="16 vs 9 people [amex2011] [goldenberg2007].",
        kind=LEVER,
        label="How far bad news travels",
        ends=("not at all", "ten times as far as good news"),
    )
    social_amplification: float = param(
        default=0.5,
        lo=0,
        hi=10,
        unit="x reach",
        meaning="Extra reach from social media, to people outside one's own circle.",
        source="Social media amplifies reach [seed000] [seed004].",
        kind=LEVER,
        label="Social media reach",
        ends=("none", "ten times one's own circle"),
    )
    referral_weight: float = param(
        default=0.2,
        lo=0,
        hi=5,
        unit="x adopted contact",
        meaning="Pull of one recent recommendation compared with one contact who is a customer.",
        source="Promoters refer [reichheld2003] [calibration].",
        group="wom",
        kind=CALIBRATION,
    )
    wom_deterrence: float = param(
        default=0.5,
        lo=0,
        hi=10,
        unit="per warning",
        meaning="How strongly each recent warning puts a prospect off.",
        source="Detractors warn [goldenberg2007].",
        group="wom",
        kind=CALIBRATION,
    )
    wom_expectation: float = param(
        default=0.01,
        lo=0,
        hi=0.2,
        unit="per message",
        meaning="How much each recommendation (warning) heard lately raises (lowers) a person's expectations.",
        source="Expectations are set by word of mouth [seed002].",
        group="wom",
        kind=CALIBRATION,
    )
    wom_memory: float = param(
        default=0.8,
        lo=0,
        hi=0.99,
        unit="per week",
        meaning="Share of recent word of mouth still remembered a week later.",
        source="[calibration].",
        group="wom",
        kind=CALIBRATION,
    )

    # ---- money --------------------------------------------------------------
    price: float = param(
        default=1000.0,
        lo=0,
        hi=1e6,
        unit="currency",
        meaning="Price of one purchase.",
        source="[calibration].",
        group="money",
        kind=CALIBRATION,
    )
    unit_cost_share: float = param(
        default=0.35,
        lo=0,
        hi=1,
        unit="share of price",
        meaning="Cost of goods as a share of the base price.",
        source="[calibration].",
        group="money",
        kind=CALIBRATION,
    )
    premium_share: float = param(
        default=0.7,
        lo=0,
        hi=1,
        unit="share of promoters",
        meaning="Share of delighted customers (promoters) willing to pay a premium.",
        source="70% of consumers [amex2011].",
        group="money",
        kind=STRUCTURAL,  # who would pay a premium is drawn once
    )
    premium: float = param(
        default=0.13,
        lo=0,
        hi=1,
        unit="share of price",
        meaning="Premium a delighted customer pays.",
        source="13% more [amex2011]; about 15% [seed001].",
        group="money",
        kind=CALIBRATION,
    )
    wage: float = param(
        default=700.0,
        lo=0,
        hi=1e6,
        unit="currency per week",
        meaning="Weekly cost of one employee.",
        source="[calibration].",
        group="money",
        kind=CALIBRATION,
    )
    training_cost: float = param(
        default=0.06,
        lo=0.0,
        hi=1.0,
        unit="share of wage",
        meaning="Cost of full-intensity re-training, as a share of wages.",
        source="[calibration].",
        group="money",
        kind=CALIBRATION,
    )
    care_cost: float = param(
        default=0.1,
        lo=0.0,
        hi=1.0,
        unit="share of wage",
        meaning="Cost of full employee care, as a share of wages.",
        source="[calibration].",
        group="money",
        kind=CALIBRATION,
    )
    hire_cost: float = param(
        default=4.0,
        lo=0,
        hi=52,
        unit="weeks of wage",
        meaning="Cost of replacing one employee who quits.",
        source="Cost of turnover [heskett1994] [calibration].",
        group="money",
        kind=CALIBRATION,
    )
    agent_hour_cost: float = param(
        default=35.0,
        lo=0.0,
        hi=10_000,
        unit="currency per hour",
        meaning="Cost of a seat for each agent hour on duty, on top of the agent's pay (telephony, systems).",
        source="[calibration].",
        group="money",
        kind=CALIBRATION,
    )
    programme_cost: float = param(
        default=3.0,
        lo=0.0,
        hi=52.0,
        unit="weeks of wage per trainee",
        meaning="Cost of a culture programme for each employee trained.",
        source="A few days of training and the time away from work [calibration].",
        group="money",
        kind=CALIBRATION,
    )

    def __post_init__(self) -> None:
        validate(self)

    def replace(self, **changes: Any) -> Params:
        """A copy with ``changes`` (checked and converted as ``coerce`` does)."""
        return replace(self, **coerce(changes))

    def as_dict(self) -> dict[str, int | float]:
        """Every value by name, in definition order."""
        return {name: getattr(self, name) for name in SPECS}


def _specs(cls: type) -> dict[str, Spec]:
    """Each field's ``Spec``, with ``integer`` from the field's type.

    Raises:
        TypeError: a default whose type is not its field's.
    """
    types = typing.get_type_hints(cls)
    out = {}
    for f in fields(cls):
        kind = types[f.name]
        if type(f.default) is not kind:
            raise TypeError(f"Params.{f.name}: default {f.default!r} is not a {kind.__name__}")
        out[f.name] = replace(f.metadata["spec"], integer=kind is int)
    return out


SPECS: dict[str, Spec] = _specs(Params)
DEPARTMENT_SHARE_NAMES = tuple(f"dept_share_{d}" for d in DEPARTMENTS)


def closest(name: str) -> str:
    """A hint naming the closest valid parameter names, for error messages."""
    near = difflib.get_close_matches(name, list(SPECS), n=3, cutoff=0.5)
    return f" Did you mean {', '.join(near)}?" if near else ""


def coerce(values: dict[str, Any]) -> dict[str, Any]:
    """Check names and convert values to each parameter's type.

    Text is read as a number only when written the plain ASCII way (``0.5``,
    ``300``, ``1e6``): ``float`` would also take full-width digits and ``3_00``.

    Raises:
        ParameterError: for an unknown name or a value that is not a number.
    """
    out = {}
    for name, value in values.items():
        spec = SPECS.get(name)
        if spec is None:
            raise ParameterError(f"unknown parameter '{str(name)[:40]}'.{closest(str(name))}")
        number = _number(name, value)
        if spec.integer:
            if number != int(number):
                raise ParameterError(f"parameter '{name}' must be a whole number, got {_shown(value)}")
            number = int(number)
        out[name] = number
    return out


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)


def _number(name: str, value: Any) -> float:
    """``value`` (a number, or text holding one) as a finite float."""
    if isinstance(value, str):
        if not _NUMBER.fullmatch(value.strip()):
            if value.strip().lower().lstrip("+-") in ("nan", "inf", "infinity"):
                raise ParameterError(f"parameter '{name}' must be a finite number, got {_shown(value)}")
            raise ParameterError(
                f"parameter '{name}' must be a number written like 0.5, 300 or 1e6, got {_shown(value)}"
            )
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise ParameterError(f"parameter '{name}' must be a number, got {_shown(value)}")
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any float
        number = math.inf
    if not math.isfinite(number):
        raise ParameterError(f"parameter '{name}' must be a finite number, got {_shown(value)}")
    return number


def _shown(value: Any) -> str:
    """A value as a message shows it (text quoted, dates as written), on one short line."""
    text = repr(value) if isinstance(value, str | list | dict) else str(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


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


def names(kind: Kind) -> list[str]:
    """Names of the parameters of ``kind``, in definition order."""
    return [name for name, spec in SPECS.items() if spec.kind is kind]


def levers() -> list[str]:
    """Names of the policy levers, in definition order."""
    return names(LEVER)
