"""Experiment specs and designs: every user mistake is a clear SpecError before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxlab.cli import main as cli_main
from experiments.design import build_design, derive_seed, model_inputs, recorded_steps
from experiments.spec import SpecError, load_spec, parse_spec
from model.metrics import METRICS
from model.params import SPECS, levers

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "experiments"
SMALL = {"n_employees": 50, "market_size": 2000, "initial_customers": 400}


def spec_data(**sections) -> dict:
    data = {"experiment": {"name": "t", "steps": 4, "replications": 2, "seed": 1}, "constants": dict(SMALL)}
    for key, value in sections.items():
        if key == "experiment":
            data["experiment"].update(value)
        else:
            data[key] = value
    return data


def error_of(data: dict) -> str:
    with pytest.raises(SpecError) as info:
        build_design(parse_spec(data))
    message = str(info.value)
    assert "\n" not in message
    return message


# ---------------------------------------------------------------- good specs
def test_grid_spec_expands_to_full_factorial():
    spec = parse_spec(
        spec_data(parameters={"leadership_commitment": [0.2, 0.8], "service_staffing": [0.8, 1.0, 1.2]})
    )
    design = build_design(spec)
    assert len(design.conditions) == 6 and len(design.runs) == 12
    assert design.conditions[0] == {"leadership_commitment": 0.2, "service_staffing": 0.8}
    assert len({r.run_id for r in design.runs}) == 12
    assert spec.metrics == tuple(METRICS)


def test_common_random_numbers_share_seeds_across_conditions():
    data = spec_data(parameters={"leadership_commitment": [0.2, 0.8]})
    crn = build_design(parse_spec(data))
    assert [r.seed for r in crn.runs[:2]] == [r.seed for r in crn.runs[2:]]
    data["experiment"]["common_random_numbers"] = False
    independent = build_design(parse_spec(data))
    assert len({r.seed for r in independent.runs}) == len(independent.runs)


def test_integer_parameters_become_ints():
    spec = parse_spec(spec_data(parameters={"onboarding_weeks": [2.0, 6]}))
    assert [c["onboarding_weeks"] for c in build_design(spec).conditions] == [2, 6]
    assert all(isinstance(c["onboarding_weeks"], int) for c in build_design(spec).conditions)


@pytest.mark.parametrize("method", ["lhs", "sobol", "morris"])
def test_sampled_designs_are_seeded_and_within_bounds(method):
    data = spec_data(
        sampling={
            "method": method,
            "samples": 8,
            "ranges": {"leadership_commitment": [0.1, 0.9], "onboarding_weeks": [1, 10]},
        }
    )
    first, again = build_design(parse_spec(data)), build_design(parse_spec(data))
    assert first.conditions == again.conditions
    expected = {"lhs": 8, "sobol": 8 * (2 + 2), "morris": 8 * (2 + 1)}[method]
    assert len(first.conditions) == expected
    for c in first.conditions:
        assert 0.1 <= c["leadership_commitment"] <= 0.9
        assert isinstance(c["onboarding_weeks"], int) and 1 <= c["onboarding_weeks"] <= 10
    data["experiment"]["seed"] = 2
    assert build_design(parse_spec(data)).conditions != first.conditions


def test_event_fields_can_be_varied():
    data = spec_data(
        events=[{"name": "programme", "type": "culture_programme", "departments": ["service"]}],
        parameters={"programme": {"step": [0, 2, 4]}, "leadership_commitment": [0.3]},
    )
    spec = parse_spec(data)
    design = build_design(spec)
    assert design.factors == ("programme.step", "leadership_commitment")
    params, events = model_inputs(spec, design.conditions[1])
    assert params == {**SMALL, "leadership_commitment": 0.3}
    assert events == ((2, "culture_programme", {"departments": ["service"]}),)


def test_quoted_dotted_key_and_sampled_event_option():
    data = spec_data(
        events=[{"name": "cut", "type": "layoffs", "step": 2}],
        sampling={"method": "lhs", "samples": 4, "ranges": {"cut.share": [0.0, 0.3], "cut.step": [0, 4]}},
    )
    design = build_design(parse_spec(data))
    assert all(isinstance(c["cut.step"], int) and 0 <= c["cut.share"] <= 0.3 for c in design.conditions)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.stem)
def test_example_specs_are_valid(path):
    spec = load_spec(path)
    design = build_design(spec)
    assert design.runs and spec.outcomes


def test_sobol_example_covers_every_policy_lever_over_its_range():
    spec = load_spec(EXAMPLES / "sobol_levers.toml")
    assert [f.name for f in spec.factors] == levers()
    for f in spec.factors:
        assert f.bounds == (SPECS[f.name].lo, SPECS[f.name].hi)


def test_fingerprint_ignores_report_settings_only():
    data = spec_data(parameters={"leadership_commitment": [0.2, 0.8]})
    base = parse_spec(data).fingerprint()
    data["report"] = {"outcomes": ["nps"]}
    assert parse_spec(data).fingerprint() == base
    data["experiment"]["replications"] = 3
    assert parse_spec(data).fingerprint() != base


# ---------------------------------------------------------------- bad specs
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"parameters": {"leadership_comitment": [0.2]}}, "unknown parameter 'leadership_comitment'"),
        ({"parameters": {"leadership_comitment": [0.2]}}, "Did you mean leadership_commitment"),
        ({"parameters": {"leadership_commitment": [0.2, 1.5]}}, "out of range"),
        ({"parameters": {"leadership_commitment": 0.2}}, "[constants]"),
        ({"parameters": {"leadership_commitment": []}}, "non-empty list"),
        ({"parameters": {"leadership_commitment": [0.2, 0.2]}}, "twice"),
        ({"parameters": {"leadership_commitment": ["high"]}}, "must be a number"),
        ({"parameters": {"onboarding_weeks": [2.5]}}, "whole number"),
        ({"parameters": {"market_size": [100]}}, "initial_customers"),
        ({"constants": {"n_employes": 50}}, "unknown parameter 'n_employes'"),
        ({"constants": {"leadership_commitment": -1}}, "out of range"),
        ({"experiment": {"record": "sometimes"}}, "experiment.record"),
        ({"experiment": {"record": 0}}, "experiment.record"),
        ({"experiment": {"record": True}}, "experiment.record"),
        ({"experiment": {"steps": 0}}, "experiment.steps"),
        ({"experiment": {"replications": 1.5}}, "experiment.replications"),
        ({"experiment": {"seed": -3}}, "experiment.seed"),
        ({"experiment": {"metrics": ["npss"]}}, "unknown metric 'npss'"),
        ({"experiment": {"scenario": "no_such_preset"}}, "unknown scenario"),
        ({"experiment": {"replicates": 3}}, "Did you mean 'replications'"),
        ({"paramaters": {}}, "unknown section 'paramaters'"),
        ({"report": {"outcomes": ["nps"]}, "experiment": {"metrics": ["culture_mean"]}}, "not recorded"),
    ],
)
def test_bad_specs_are_refused_with_a_clear_message(change, expected):
    assert expected in error_of(spec_data(**change))


@pytest.mark.parametrize(
    ("sampling", "expected"),
    [
        ({"method": "halton", "samples": 8, "ranges": {"empowerment": [0, 1]}}, "sampling.method"),
        ({"method": "lhs", "samples": 8, "ranges": {"empowerment": [0.8, 0.2]}}, "must be below"),
        ({"method": "lhs", "samples": 8, "ranges": {"empowerment": [0.5, 0.5]}}, "must be below"),
        ({"method": "lhs", "samples": 8, "ranges": {"empowerment": [0, 2]}}, "out of range"),
        ({"method": "lhs", "samples": 8, "ranges": {"empowerment": [0.1]}}, "[low, high]"),
        ({"method": "lhs", "samples": 8, "ranges": {"empowermnt": [0, 1]}}, "unknown parameter"),
        ({"method": "lhs", "samples": 8, "ranges": {}}, "at least one"),
        ({"method": "sobol", "samples": 100, "ranges": {"a": 1}}, "power of 2"),
        ({"method": "sobol", "samples": 8, "ranges": {"empowerment": [0, 1]}}, "at least two"),
        ({"method": "lhs", "samples": 8, "levels": 4, "ranges": {"empowerment": [0, 1]}}, "morris only"),
        ({"method": "lhs", "sample": 8, "ranges": {"empowerment": [0, 1]}}, "Did you mean 'samples'"),
    ],
)
def test_bad_sampling_is_refused(sampling, expected):
    assert expected in error_of(spec_data(sampling=sampling))


@pytest.mark.parametrize(
    ("events", "parameters", "expected"),
    [
        ([{"type": "culture_programme"}], {}, "needs a 'step'"),
        ([{"type": "culture_party", "step": 1}], {}, "unknown event 'culture_party'"),
        ([{"type": "culture_programme", "step": 1, "budget": 3}], {}, "unknown option 'budget'"),
        ([{"type": "culture_programme", "step": 99}], {}, "outside 0..4"),
        ([{"name": "p", "type": "culture_programme", "step": 1}], {"q.step": [1]}, "names no event"),
        ([{"name": "p", "type": "culture_programme", "step": 1}], {"p": {"step": [1, 9]}}, "outside 0..4"),
        ([{"name": "p", "type": "culture_programme", "step": 1}], {"p.speed": [1]}, "unknown option"),
        ([{"name": "p", "type": "culture_programme", "step": 1}], {"p.boost": [0.5, 1.5]}, "boost"),
        ([{"type": "service_breakdown", "step": 1, "capacity": 2.0}], {}, "capacity"),
        (
            [{"name": "p", "type": "new_ceo", "step": 1}, {"name": "p", "type": "layoffs", "step": 2}],
            {},
            "two events are named",
        ),
    ],
)
def test_bad_events_are_refused(events, parameters, expected):
    assert expected in error_of(spec_data(events=events, parameters=parameters))


def test_an_events_whole_number_option_can_be_a_factor():
    """An option's kind comes from the event (``Option.whole``): a breakdown's length varies in whole weeks."""
    events = [{"name": "b", "type": "service_breakdown", "step": 1}]
    spec = parse_spec(spec_data(events=events, parameters={"b.weeks": [2, 5.0]}))
    assert [c["b.weeks"] for c in build_design(spec).conditions] == [2, 5]
    assert "whole number" in error_of(spec_data(events=events, parameters={"b.weeks": [2.5]}))
    assert "unknown option 'departments'" in error_of(
        spec_data(events=events, parameters={"b.departments": [1]})
    )


def test_events_must_be_tables():
    assert "[[events]] tables" in error_of(spec_data(events=[3]))
    assert "[[events]] tables" in error_of(spec_data(events={"type": "new_ceo"}))


def test_grid_and_sampling_together_are_refused():
    data = spec_data(
        parameters={"empowerment": [0.1]},
        sampling={"method": "lhs", "samples": 4, "ranges": {"empowerment": [0, 1]}},
    )
    assert "not both" in error_of(data)


def test_missing_seed_is_refused():
    data = spec_data()
    del data["experiment"]["seed"]
    assert "seed is required" in error_of(data)


def test_malformed_toml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[experiment\nname = 'x'\n")
    with pytest.raises(SpecError, match="malformed TOML"):
        load_spec(bad)
    with pytest.raises(SpecError, match="does not exist"):
        load_spec(tmp_path / "missing.toml")


def test_scenario_path_resolves_beside_the_spec(tmp_path):
    (tmp_path / "mine.toml").write_text("[scenario]\ntitle='mine'\n[parameters]\nempowerment = 0.9\n")
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text("[experiment]\nname='x'\nscenario='mine.toml'\nseed=1\n")
    spec = load_spec(spec_file)
    assert spec.scenario.parameters == {"empowerment": 0.9}


def test_cli_reports_bad_spec_with_exit_code_2_and_creates_nothing(tmp_path, capsys):
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(
        "[experiment]\nname='x'\nseed=1\n[parameters]\nleadership_commitment=[0.5, 2.0]\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    code = cli_main(["experiment", str(spec_file), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: spec.toml: parameters.leadership_commitment") and "out of range" in err
    assert not out.exists()


# ---------------------------------------------------------------- seeds and steps
@settings(max_examples=50, deadline=None)
@given(master=st.integers(0, 2**63), key=st.lists(st.integers(0, 10_000), min_size=1, max_size=3))
def test_derived_seeds_are_deterministic_and_in_range(master, key):
    seed = derive_seed(master, *key)
    assert seed == derive_seed(master, *key)
    assert 0 <= seed < 2**63
    assert seed != derive_seed(master, *key, 0)


@settings(max_examples=50, deadline=None)
@given(steps=st.integers(1, 300), k=st.integers(1, 400))
def test_recorded_steps_keep_first_every_kth_and_last(steps, k):
    kept = recorded_steps(k, steps)
    assert kept[0] == 0 and kept[-1] == steps
    assert kept == sorted(set(kept))
    assert all(s % k == 0 for s in kept[:-1])
    assert recorded_steps("final", steps) == [steps]
    assert recorded_steps("every_step", steps) == list(range(steps + 1))
