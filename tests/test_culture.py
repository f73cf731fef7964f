"""Culture, skill and wellbeing rules on tiny hand-built organisations.

Every expected number below was worked out by hand from the rules in
``model/culture.py`` (the arithmetic is shown in the comments), with
``culture_noise = 0``; the code must reproduce them exactly, as Axelrod's
strategy tests check exact move sequences against scripted opponents.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from model import culture
from model.departments import DEPARTMENTS, DEPT_INDEX, FRONTLINE
from model.org import EXECUTIVE, MANAGER, STAFF, from_parents, generate_org
from model.params import SPECS, make_params

EXACT = {"rel": 1e-12, "abs": 1e-12}


def hand_org(parent: list[int], departments: list[str], ties: list[tuple[int, int]] = ()):
    """An Org from a parent list already in breadth-first order, with given ties."""
    n = len(parent)
    org = from_parents(
        np.arange(n),
        np.array(parent),
        np.array([DEPT_INDEX[d] for d in departments]),
        None,
        0.0,
        0.0,
        np.random.default_rng(0),
    )
    assert org.parent.tolist() == parent, "hand-built orgs are given in breadth-first order"
    assert org.ties.nnz == 0, "no random ties when peer_ties = cross_ties = 0"
    if ties:
        rows, cols = zip(*ties, strict=True)
        org.ties = sp.coo_matrix((np.ones(2 * len(ties)), (rows + cols, cols + rows)), shape=(n, n)).tocsr()
    return org


def frontline_of(org) -> np.ndarray:
    return np.isin(org.dept, [DEPT_INDEX[d] for d in FRONTLINE]).astype(float)


def week(c, org, p, present=None, seed=0, norms=None):
    """One ``culture_week`` on a hand-built org, wired as ``CultureModel`` wires it
    (``norms``: one per department, default 0)."""
    present = np.ones(org.size, dtype=bool) if present is None else present
    executive = present & (org.level == EXECUTIVE)
    felt = p.norm_pull * (np.zeros(len(DEPARTMENTS)) if norms is None else np.asarray(norms))[org.dept]
    felt[executive] = 0.0
    weekly = culture.culture_map(
        culture.upward_matrix(org.parent, org.depth, p.top_reach),
        culture.peer_matrix(org.ties, present),
        executive,
        frontline_of(org),
        p,
    )
    return culture.culture_week(
        np.asarray(c, dtype=float), weekly, felt, present, p.culture_noise, np.random.default_rng(seed)
    )


def peers(c, org, present):
    return culture.peer_view(np.asarray(c, dtype=float), culture.peer_matrix(org.ties, present))


# A chain CEO -> head of service -> team lead -> agent (service is front line).
CHAIN = (
    [-1, 0, 1, 2],
    ["executive", "service", "service", "service"],
)
CHAIN_P = {
    "culture_noise": 0.0,
    "norm_pull": 0.0,
    "upward_pull": 0.2,
    "top_reach": 0.5,
    "peer_pull": 0.1,
    "leadership_anchor": 0.1,
    "leadership_commitment": 1.0,
    "metric_pull": 0.05,
    "metric_focus": 0.8,
    "corruption_rate": 0.1,
    "bad_practice": 0.5,
}

# CEO -> head of HR (not front line) -> three staff, peer ties 2-3 and 3-4.
TEAM = ([-1, 0, 1, 1, 1], ["executive", "hr", "hr", "hr", "hr"], [(2, 3), (3, 4)])
TEAM_P = {
    "culture_noise": 0.0,
    "norm_pull": 0.0,
    "upward_pull": 0.1,
    "top_reach": 0.0,
    "peer_pull": 0.2,
    "leadership_anchor": 0.5,
    "leadership_commitment": 0.6,
    "metric_pull": 0.3,  # must not act: HR is not front line
    "metric_focus": 1.0,
    "corruption_rate": 0.5,
    "bad_practice": 0.5,
}


def test_levels_are_inferred_from_position_in_hand_built_orgs():
    chain = hand_org(*CHAIN)
    assert chain.level.tolist() == [EXECUTIVE, EXECUTIVE, MANAGER, STAFF]
    assert chain.depth.tolist() == [0, 1, 2, 3]
    team = hand_org(*TEAM)
    assert team.level.tolist() == [EXECUTIVE, EXECUTIVE, STAFF, STAFF, STAFF]
    lone = hand_org([-1, 0, 0], ["executive", "sales", "executive"])
    assert lone.level.tolist() == [EXECUTIVE] * 3, "the CEO's direct reports are executives, even alone"


# ------------------------------------------------------------ upward view
@pytest.mark.parametrize(
    ("top_reach", "expected"),
    [
        # u1 = c0; u2 = (1 - r) c1 + r u1; u3 = (1 - r) c2 + r u2
        (0.0, [0.9, 0.9, 0.5, 0.3]),
        (0.5, [0.9, 0.9, 0.7, 0.5]),  # u2 = .25 + .45; u3 = .15 + .35
        (0.95, [0.9, 0.9, 0.88, 0.851]),  # u2 = .025 + .855; u3 = .015 + .836
    ],
)
def test_upward_view_weighs_the_direct_manager_and_the_chain_above(top_reach, expected):
    org = hand_org(*CHAIN)
    c = np.array([0.9, 0.5, 0.3, 0.1])
    u = culture.upward_view(c, culture.upward_matrix(org.parent, org.depth, top_reach))
    assert u.tolist() == pytest.approx(expected, **EXACT)
    assert c.tolist() == [0.9, 0.5, 0.3, 0.1], "input not modified"


def test_upward_view_of_siblings_is_their_shared_managers_view():
    org = hand_org(*TEAM[:2])
    u = culture.upward_view(
        np.array([0.8, 0.6, 0.2, 0.4, 0.9]), culture.upward_matrix(org.parent, org.depth, 0.25)
    )
    # staff: .75 * c1 + .25 * u1 = .45 + .25 * .8 = .65
    assert u.tolist() == pytest.approx([0.8, 0.8, 0.65, 0.65, 0.65], **EXACT)


@pytest.mark.parametrize("top_reach", [0.0, 0.3, 0.9])
def test_upward_matrix_solves_the_level_by_level_recursion_on_a_generated_org(top_reach):
    """Oracle: u_i = (1 - r) c[manager] + r u[manager], computed depth by depth from the CEO."""
    shares = {d: SPECS[f"dept_share_{d}"].default for d in DEPARTMENTS}
    org = generate_org(2000, shares, 5, 0.3, 0.02, np.random.default_rng(4))
    c = np.random.default_rng(5).random(org.size)
    u = c.copy()
    for nodes, managers in org.levels:
        u[nodes] = (1 - top_reach) * c[managers] + top_reach * u[managers]
    upward = culture.upward_matrix(org.parent, org.depth, top_reach)
    assert np.allclose(culture.upward_view(c, upward), u, rtol=0, atol=1e-12)
    assert np.allclose(upward.sum(axis=1), 1.0), "each row is a weighted mean"


# -------------------------------------------------------------- peer view
@pytest.mark.parametrize("top_reach", [0.0, 0.5, 0.95])
def test_upward_matrix_of_a_chart_deeper_than_its_reach_stays_within_the_tolerance(top_reach):
    """A line of command 1500 deep: each row keeps at most ``upward_reach`` managers
    (memory O(n K), not O(n depth)); rows within reach are exact, the others within
    ``top_reach^K`` of the recursion's oracle."""
    n, reach = 1500, culture.upward_reach(top_reach)
    org = from_parents(
        np.arange(n), np.arange(-1, n - 1), np.zeros(n, dtype=np.int64), None, 0, 0, np.random.default_rng(0)
    )
    c = np.random.default_rng(6).random(n)
    u = c.copy()
    for i in range(1, n):
        u[i] = (1 - top_reach) * c[i - 1] + top_reach * u[i - 1]
    upward = culture.upward_matrix(org.parent, org.depth, top_reach)
    assert np.diff(upward.indptr).max() == reach < n
    seen = culture.upward_view(c, upward)
    assert np.allclose(seen[: reach + 1], u[: reach + 1], rtol=0, atol=1e-12)
    assert np.abs(seen - u).max() <= top_reach**reach + 1e-12
    assert np.allclose(upward.sum(axis=1), 1.0), "each row is a weighted mean"


def test_upward_reach_keeps_what_weighs_more_than_the_tolerance():
    assert culture.upward_reach(0.0) == culture.upward_reach(0.5) == culture.UPWARD_LEVELS
    for top_reach in (0.7, 0.9, 0.95):
        k = culture.upward_reach(top_reach)
        assert top_reach**k <= culture.UPWARD_TOLERANCE < top_reach ** (k - 1)


def test_peer_view_is_the_mean_of_present_ties():
    org = hand_org(*TEAM)
    view = peers([0.8, 0.6, 0.2, 0.4, 0.9], org, np.ones(5, dtype=bool))
    # 2 sees 3; 3 sees 2 and 4: (.2 + .9) / 2; 4 sees 3; 0 and 1 have no ties: their own value
    assert view.tolist() == pytest.approx([0.8, 0.6, 0.4, 0.55, 0.4], **EXACT)


def test_peer_view_ignores_empty_positions():
    org = hand_org(*TEAM)
    c = [0.8, 0.6, 0.2, 0.4, 0.9]
    present = np.array([True, True, True, True, False])
    assert peers(c, org, present).tolist() == pytest.approx([0.8, 0.6, 0.4, 0.2, 0.4], **EXACT)
    present[3] = False  # 2 and 4 now have only an empty position: they see themselves
    assert peers(c, org, present).tolist() == pytest.approx([0.8, 0.6, 0.2, 0.2, 0.9], **EXACT)


# ----------------------------------------------------------- culture week
def test_culture_week_on_a_front_line_chain_two_steps_exactly():
    org = hand_org(*CHAIN)
    p = make_params(CHAIN_P)
    c1 = week([0.9, 0.5, 0.3, 0.1], org, p)
    # executives: c + .1 (1 - c)                -> .91, .55
    # lead:  .2 (.7 - .3) + .05 (.8 - .3) - .1 * .5 * .3 = .08 + .025 - .015 = .09 -> .39
    # agent: .2 (.5 - .1) + .05 (.8 - .1) - .05 * .1     = .08 + .035 - .005 = .11 -> .21
    assert c1.tolist() == pytest.approx([0.91, 0.55, 0.39, 0.21], **EXACT)
    c2 = week(c1, org, p)
    # executives: .91 + .1 * .09 = .919; .55 + .1 * .45 = .595
    # lead:  u = .5 * .55 + .5 * .91 = .73;  .068 + .0205 - .0195 = .069 -> .459
    # agent: u = .5 * .39 + .5 * .73 = .56;  .07 + .0295 - .0105 = .089 -> .299
    assert c2.tolist() == pytest.approx([0.919, 0.595, 0.459, 0.299], **EXACT)


def test_culture_week_with_peers_off_the_front_line_two_steps_exactly():
    org = hand_org(*TEAM)
    p = make_params(TEAM_P)
    c1 = week([0.8, 0.6, 0.2, 0.4, 0.9], org, p)
    # CEO:  .8 + .5 (.6 - .8) = .7; head (executive): .6 + .5 * 0 = .6, not pulled toward the CEO
    # 2: .2 + .1 (.6 - .2) + .2 (.4 - .2)   = .28
    # 3: .4 + .1 (.6 - .4) + .2 (.55 - .4)  = .45
    # 4: .9 + .1 (.6 - .9) + .2 (.4 - .9)   = .77   (metrics and bad practice: HR is not front line)
    assert c1.tolist() == pytest.approx([0.7, 0.6, 0.28, 0.45, 0.77], **EXACT)
    c2 = week(c1, org, p)
    # CEO: .7 - .05 = .65
    # 2: .28 + .1 * .32 + .2 (.45 - .28)            = .346
    # 3: .45 + .1 * .15 + .2 ((.28 + .77) / 2 - .45) = .48
    # 4: .77 + .1 (-.17) + .2 (.45 - .77)           = .689
    assert c2.tolist() == pytest.approx([0.65, 0.6, 0.346, 0.48, 0.689], **EXACT)


def test_culture_week_leaves_empty_positions_alone_and_ignores_them_as_peers():
    org = hand_org(*TEAM)
    p = make_params({**TEAM_P, "culture_noise": 0.2})
    present = np.array([True, True, True, True, False])
    c1 = week([0.8, 0.6, 0.2, 0.4, 0.9], org, make_params(TEAM_P), present)
    # 3 now sees only 2: .4 + .1 * .2 + .2 (.2 - .4) = .38; the empty position 4 stays .9
    assert c1.tolist() == pytest.approx([0.7, 0.6, 0.28, 0.38, 0.9], **EXACT)
    noisy = week([0.8, 0.6, 0.2, 0.4, 0.9], org, p, present, seed=3)
    assert noisy[4] == 0.9


def test_culture_noise_adds_the_generators_normal_draws_then_clips():
    org = hand_org(*TEAM)
    p = make_params({**TEAM_P, "culture_noise": 0.1})
    c = [0.8, 0.6, 0.2, 0.4, 0.9]
    z = np.random.default_rng(42).standard_normal(5)
    expected = np.clip(np.array([0.7, 0.6, 0.28, 0.45, 0.77]) + 0.1 * z, 0.0, 1.0)
    assert week(c, org, p, seed=42).tolist() == pytest.approx(expected.tolist(), **EXACT)


def test_culture_stays_within_bounds_under_extreme_pulls():
    org = hand_org(*CHAIN)
    p = make_params({**CHAIN_P, "upward_pull": 1.0, "metric_pull": 1.0, "corruption_rate": 1.0})
    c = week([1.0, 0.0, 1.0, 0.0], org, p)
    assert ((c >= 0.0) & (c <= 1.0)).all()


def test_culture_week_pulls_toward_the_department_norm_but_not_the_executives():
    org = hand_org(*TEAM)
    p = make_params({**TEAM_P, "norm_pull": 0.1})
    norms = np.zeros(len(DEPARTMENTS))
    norms[DEPT_INDEX["hr"]] = 1.0
    norms[DEPT_INDEX["executive"]] = 0.3  # executives set the tone; they do not conform to a norm
    c1 = week([0.8, 0.6, 0.2, 0.4, 0.9], org, p, norms=norms)
    # as in the two-step test, less .1 of each staff member's own value, plus .1 * the HR norm 1.0:
    # 2: .28 - .02 + .1 = .36;  3: .45 - .04 + .1 = .51;  4: .77 - .09 + .1 = .78; executives as before
    assert c1.tolist() == pytest.approx([0.7, 0.6, 0.36, 0.51, 0.78], **EXACT)


# ------------------------------------------------------------------ skill
SKILL_P = {
    "onboarding_weeks": 2,
    "onboarding_gain": 0.1,
    "training_gain": 0.05,
    "training_intensity": 0.4,
    "skill_decay": 0.02,
}


def test_skill_week_onboarding_then_retraining_three_steps_exactly():
    p = make_params(SKILL_P)
    s = culture.skill_week(np.array([0.3, 0.6]), np.array([0, 5]), p)
    # new hire: .3 + (.1 + .05 * .4) * .7 - .02 * .3 = .3 + .084 - .006 = .378
    # veteran:  .6 + .02 * .4 - .02 * .6          = .6 + .008 - .012 = .596
    assert s.tolist() == pytest.approx([0.378, 0.596], **EXACT)
    s = culture.skill_week(s, np.array([1, 6]), p)
    # .378 + .12 * .622 - .02 * .378 = .44508;  .596 + .02 * .404 - .02 * .596 = .59216
    assert s.tolist() == pytest.approx([0.44508, 0.59216], **EXACT)
    s = culture.skill_week(s, np.array([2, 7]), p)
    # onboarding is over at tenure 2: .44508 + .02 * .55492 - .02 * .44508 = .4472768
    assert s.tolist() == pytest.approx([0.4472768, 0.5884736], **EXACT)


def test_skill_decays_without_training_and_stays_within_bounds():
    p = make_params({**SKILL_P, "training_intensity": 0.0, "skill_decay": 0.1})
    assert culture.skill_week(np.array([0.5]), np.array([10]), p).tolist() == pytest.approx([0.45], **EXACT)
    greedy = make_params({**SKILL_P, "onboarding_gain": 1.0, "training_gain": 1.0, "training_intensity": 1.0})
    s = culture.skill_week(np.array([0.0, 1.0]), np.array([0, 0]), greedy)
    assert ((s >= 0.0) & (s <= 1.0)).all()


# -------------------------------------------------------------- wellbeing
WELL_P = {
    "wellbeing_base": 0.55,
    "care_effect": 0.4,
    "employee_care": 0.8,
    "overload_penalty": 1.0,
    "bad_practice_strain": 0.3,
    "bad_practice": 0.5,
    "contact_strain": 0.3,
}


def test_wellbeing_target_and_two_weeks_of_adjustment_exactly():
    p = make_params(WELL_P)
    target = culture.wellbeing_target(
        np.array([0.0, 0.1, 0.0, 0.0]), np.array([0.0, 0.0, 0.0, 0.5]), np.array([0.0, 0.0, 1.0, 0.0]), p
    )
    # .55 + .4 * .3 = .67; minus overload .1 -> .57; minus strain .3 * .5 on the front line -> .52;
    # minus contact strain .3 * .5 for agents busy half their time -> .52
    assert target.tolist() == pytest.approx([0.67, 0.57, 0.52, 0.52], **EXACT)
    w = culture.wellbeing_week(np.full(4, 0.5), target, 0.1)
    assert w.tolist() == pytest.approx([0.517, 0.507, 0.502, 0.502], **EXACT)
    w = culture.wellbeing_week(w, target, 0.1)
    assert w.tolist() == pytest.approx([0.5323, 0.5133, 0.5038, 0.5038], **EXACT)


def test_wellbeing_target_is_clipped_to_the_unit_interval():
    high = make_params({**WELL_P, "wellbeing_base": 0.9, "care_effect": 1.0, "employee_care": 1.0})
    low = make_params({**WELL_P, "employee_care": 0.0, "overload_penalty": 5.0})
    assert culture.wellbeing_target(np.zeros(1), np.zeros(1), np.zeros(1), high).tolist() == [1.0]
    assert culture.wellbeing_target(np.ones(1), np.ones(1), np.ones(1), low).tolist() == [0.0]


def test_quit_probability_follows_the_hazard_formula():
    p = make_params({"base_quit_rate": 0.01, "quit_sensitivity": 5.0, "wellbeing_base": 0.55})
    got = culture.quit_probability(np.array([0.55, 0.35, 0.75]), p)
    hazards = [0.01, 0.01 * math.e, 0.01 / math.e]
    assert got.tolist() == pytest.approx([1 - math.exp(-h) for h in hazards], **EXACT)
    assert got[1] > got[0] > got[2], "lower wellbeing, more quitting"


# ------------------------------------------------------------------ hiring
@pytest.mark.parametrize(
    ("labour", "fit", "target", "expected"),
    [(0.4, 0.0, 0.9, 0.4), (0.4, 1.0, 0.9, 0.9), (0.4, 0.5, 0.9, 0.65), (0.4, 0.5, 0.2, 0.3)],
)
def test_hire_mean_moves_from_the_labour_market_toward_the_target_by_culture_fit(
    labour, fit, target, expected
):
    assert culture.hire_mean(labour, fit, target) == pytest.approx(expected, **EXACT)


def test_new_hires_are_the_generators_normal_draws_clipped_unless_unbounded():
    z = np.random.default_rng(9).standard_normal(3)
    assert culture.new_hires(3, 0.5, 0.1, np.random.default_rng(9)).tolist() == pytest.approx(
        np.clip(0.5 + 0.1 * z, 0, 1).tolist(), **EXACT
    )
    rng = np.random.default_rng(0)
    assert culture.new_hires(3, 1.3, 0.0, rng).tolist() == [1.0, 1.0, 1.0]
    assert culture.new_hires(3, 1.3, 0.0, rng, bounds=None).tolist() == [1.3, 1.3, 1.3]


def test_hires_are_distributed_with_the_given_mean_and_spread():
    n = 40_000
    out = culture.new_hires(n, 0.4, 0.1, np.random.default_rng(1), bounds=None)
    assert out.mean() == pytest.approx(0.4, abs=4 * 0.1 / math.sqrt(n))
    assert out.std() == pytest.approx(0.1, rel=0.03)


def test_hiring_for_culture_fit_hires_closer_to_the_professed_values_whatever_the_leaders_do():
    """Zappos hires for the values it professes [seed004]: more culture-fit
    hiring never lowers the hires' customer focus, even under weak leaders."""
    from model import CultureModel

    means = []
    for fit in (0.0, 0.5, 1.0):
        m = CultureModel(
            rng=2,
            n_employees=300,
            market_size=200,
            initial_customers=20,
            leadership_commitment=0.05,
            hiring_culture_fit=fit,
            base_quit_rate=0.05,
        )
        hired = []
        for _ in range(10):
            before = [id(a) for a in m.employee_at]
            m.step()
            hired += [i for i, a in enumerate(m.employee_at) if id(a) not in before]
        means.append(float(np.mean([m.staff.centricity[i] for i in hired])))
    assert means[0] < means[1] < means[2]


# ------------------------------------------------------------------ norms
NORM_P = {
    "norm_rate": 0.5,
    "critical_mass": 0.25,
    "tipping_width": 0.001,  # a sharp tip: the gate is 0 or 1 to double precision here
    "norm_margin": 0.1,
    "norm_consensus": 0.0,
    "tone_at_top": 0.0,
    "cynicism": 0.0,
}
HR, SERVICE, EXEC = DEPT_INDEX["hr"], DEPT_INDEX["service"], DEPT_INDEX["executive"]


def norms_after(c, members, norms, leaders, **params):
    p = make_params({**NORM_P, **params})
    return culture.norms_week(
        np.array(norms, dtype=float), np.array(c, dtype=float), members, EXEC, leaders, p
    )


def members_of(**depts):
    """Each position's department index, from department -> positions."""
    out = {i: DEPT_INDEX[name] for name, positions in depts.items() for i in positions}
    return np.array([out[i] for i in range(len(out))])


def test_a_norm_moves_toward_the_practising_critical_mass_when_leaders_back_it():
    # service: 3 of 4 (75% > 25%) practise above .4 + .1; their mean .8; leaders at .9 back it fully
    c = [0.0, 0.8, 0.7, 0.9, 0.45]
    members = members_of(executive=[0], service=[1, 2, 3, 4])
    norms = np.full(len(DEPARTMENTS), 0.4)
    new = norms_after(c, members, norms, leaders=0.9)
    assert new[SERVICE] == pytest.approx(0.4 + 0.5 * (0.8 - 0.4), **EXACT)  # .6
    assert new[HR] == 0.4, "an empty department keeps its norm"


def test_a_norm_holds_without_a_critical_mass_or_without_the_leaders():
    members = members_of(executive=[0], service=[1, 2, 3, 4, 5])
    norms = np.full(len(DEPARTMENTS), 0.4)
    one_of_five = [0.0, 0.9, 0.4, 0.4, 0.4, 0.4]  # 20% < 25%: no tipping
    assert norms_after(one_of_five, members, norms, leaders=0.9)[SERVICE] == 0.4
    all_trained = [0.0, 0.9, 0.9, 0.9, 0.9, 0.9]  # everyone, but leaders below the norm do not back a rise
    assert norms_after(all_trained, members, norms, leaders=0.2)[SERVICE] == 0.4
    half_backed = norms_after(all_trained, members, norms, leaders=0.45)  # leaders .05 ahead: half backing
    assert half_backed[SERVICE] == pytest.approx(0.4 + 0.5 * 0.5 * (0.9 - 0.4), **EXACT)


def test_norms_drift_toward_the_leaders_slowly_up_and_faster_down():
    members = members_of(executive=[0], service=[1], hr=[2])
    c = [0.0, 0.5, 0.5]  # nobody departs from the norms
    norms = np.full(len(DEPARTMENTS), 0.5)
    up = norms_after(c, members, norms, leaders=0.9, tone_at_top=0.01, cynicism=0.03)
    down = norms_after(c, members, norms, leaders=0.1, tone_at_top=0.01, cynicism=0.03)
    assert up[SERVICE] == pytest.approx(0.5 + 0.01 * 0.4, **EXACT)
    assert down[SERVICE] == pytest.approx(0.5 - 0.03 * 0.4, **EXACT)
    assert up[EXEC] == 0.5 and down[EXEC] == 0.5, "the executives have no norm to drift"


def test_heads_align_norms_with_the_management_team_only_where_the_leaders_point():
    members = members_of(executive=[0], service=[1], hr=[2])
    c = [0.0, 0.3, 0.7]
    norms = np.full(len(DEPARTMENTS), 0.5)
    norms[SERVICE], norms[HR] = 0.3, 0.7  # the management team's consensus: .5
    new = norms_after(c, members, norms, leaders=0.9, norm_consensus=0.1)
    assert new[SERVICE] == pytest.approx(0.3 + 0.1 * 0.2, **EXACT)  # up toward .5: backed
    assert new[HR] == 0.7  # down toward .5: the leaders (.9) do not back it


@pytest.mark.parametrize("lever", __import__("model.model", fromlist=["CULTURE_LEVERS"]).CULTURE_LEVERS)
def test_moving_a_culture_lever_mid_run_changes_the_next_week(lever):
    """The culture map is cached; moving any lever it is built from rebuilds it."""
    from model import CultureModel

    spec = SPECS[lever]
    runs = []
    for move in (False, True):
        # some bad practice, so that corruption_rate has something to act on
        m = CultureModel(rng=4, n_employees=200, market_size=300, initial_customers=50, bad_practice=0.5)
        m.step()
        if move:
            now = getattr(m.p, lever)
            m.set_params(**{lever: spec.hi if now != spec.hi else spec.lo})
        m.step()
        runs.append(m.staff.centricity.copy())
    assert not np.allclose(runs[0], runs[1]), f"moving {lever} changed nothing"
