"""Every parameter in SPECS must change something: no slider that no code reads.

One parametrised test over every name. Each parameter moves from its default
(or, for sizes, from the small test size) halfway toward its farther bound,
and a short run with the same seed must differ somewhere in its metrics table.
Parameters that act only in a context get it from ``CONTEXT``: other
parameter values and/or events scheduled with ``CultureModel.schedule_at``.
"""

from __future__ import annotations

import pytest

from model.params import SPECS

STEPS = 20
SEED = 3

# Sizes move to other small values (their far bounds would be millions).
SIZE_CHANGES = {"n_employees": 50, "market_size": 1500, "initial_customers": 300, "network_degree": 30}

BUSY = {"contact_hours": SPECS["contact_hours"].lo}  # every contact in one hour: queues and busy agents
UNDERSTAFFED = {**BUSY, "service_staffing": 0.5}  # callers wait minutes, not seconds
LONG_WAITS = {**BUSY, "service_staffing": 0.2, "callback_offer": 1.0}  # complaints called back too
TRAPS = {"bad_practice": 0.5}
CARE = {"employee_care": 0.9}  # wellbeing target away from wellbeing_base
NEGLECT = {"employee_care": 0.1}  # wellbeing below wellbeing_base, so quitting depends on it
OVERPROMISE = {"marketing_promise": 0.9}
DELIGHT = {"expectation_base": SPECS["expectation_base"].lo}  # promoters, who pay premiums and refer
TURNOVER = {"base_quit_rate": 0.1}  # people quit and are replaced by hires
LAYOFFS = ((2, "layoffs", {"share": 0.3}),)
PROGRAMME = ((2, "culture_programme", {}),)

# name -> (parameter values, events): what a parameter needs in order to act.
CONTEXT: dict[str, tuple[dict, tuple]] = {
    "service_staffing": (BUSY, ()),  # with a trickle of contacts one agent is always enough
    "target_answer_seconds": (BUSY, ()),  # the roster is planned for it while the agents' hours allow
    "comfortable_occupancy": (BUSY, ()),  # matters only when agents are busier than comfortable
    "overload_penalty": ({}, LAYOFFS),  # overload: the work of the empty positions
    "callback_offer": (UNDERSTAFFED, ()),  # offered only to callers who would wait past the threshold
    "callback_threshold_minutes": (LONG_WAITS, ()),  # callbacks need callback_offer > 0 and waits
    "callback_wait_factor": (LONG_WAITS, ()),
    "wait_tolerance_minutes": (UNDERSTAFFED, ()),  # spoils only complaints that wait
    "corruption_rate": (TRAPS, ()),
    "resolution_floor": (TRAPS, ()),  # traps bring complaints to resolve
    "bad_practice_strain": (TRAPS, ()),
    "hidden_fee": (TRAPS, ()),
    "bad_practice_sting": (TRAPS, ()),
    "programme_boost": ({}, PROGRAMME),  # the default boost of a culture programme
    "norm_rate": ({}, PROGRAMME),  # norms move when a programme lifts a critical mass
    "critical_mass": ({}, PROGRAMME),
    "tipping_width": ({}, PROGRAMME),
    "cynicism": ({"leadership_commitment": 0.1}, ()),  # pulls norms down toward leaders below them
    "programme_cost": ({}, PROGRAMME),
    "layoff_shock": ({}, LAYOFFS),
    "care_effect": (CARE, ()),  # scales employee_care - 0.5
    "wellbeing_rate": (CARE, ()),  # speed toward a target that differs from today's wellbeing
    "quit_sensitivity": (NEGLECT, ()),
    "promise_effect": (OVERPROMISE, ()),  # scales marketing_promise - 0.5
    "promise_reach": (OVERPROMISE, ()),
    "premium": (DELIGHT, ()),  # paid by promoters only
    "premium_share": (DELIGHT, ()),
    "referral_weight": (DELIGHT, ()),
    "hiring_culture_fit": (TURNOVER, ()),
    "new_hire_skill": (TURNOVER, ()),
    "onboarding_gain": (TURNOVER, ()),  # the initial workforce is past onboarding
    "hire_cost": (TURNOVER, ()),
}


def changed_value(name: str, start: float) -> float:
    """Halfway from ``start`` to the farther bound of the parameter's range."""
    if name in SIZE_CHANGES:
        return SIZE_CHANGES[name]
    s = SPECS[name]
    far = s.hi if s.hi - start >= start - s.lo else s.lo
    value = start + 0.5 * (far - start)
    return int(round(value)) if s.integer else value


_baselines: dict[str, object] = {}


def test_context_table_names_only_existing_parameters():
    stale = [n for n in CONTEXT if n not in SPECS]
    assert not stale, f"CONTEXT names parameters no longer in SPECS: {stale}"
    for params, events in CONTEXT.values():
        assert set(params) <= set(SPECS)
        assert all(step >= 0 for step, _, _ in events)


@pytest.mark.parametrize("name", list(SPECS))
def test_changing_the_parameter_changes_the_run(run_table, small, name):
    params, events = CONTEXT.get(name, ({}, ()))
    start = small.get(name, params.get(name, SPECS[name].default))
    value = changed_value(name, start)
    assert value != start

    key = repr((sorted(params.items()), events))
    if key not in _baselines:
        _baselines[key] = run_table(STEPS, SEED, events, **params)
    baseline = _baselines[key]
    changed = run_table(STEPS, SEED, events, **{**params, name: value})

    differs = not changed.equals(baseline)
    assert differs, (
        f"{name}: {start:g} -> {value:g} changed no output in {STEPS} weeks "
        f"(context: parameters {params}, events {list(events)})"
    )
