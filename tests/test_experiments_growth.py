"""Experiments that grow: more replications, levels or samples run only the new runs, and the
grown experiment equals one run with the final spec from the start."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from experiments_support import SMALL, CountingExecutor, write

from experiments import (
    SpecError,
    build_design,
    load_results,
    load_spec,
    read_manifest,
    run_experiment,
)
from experiments.design import Limits, check_limits, count_conditions

GRID = f"""
[experiment]
name = "grow"
steps = 3
replications = 2
seed = 8
metrics = ["nps", "culture_mean"]
{SMALL}
[parameters]
leadership_commitment = [0.2, 0.8]
service_staffing = [0.8, 1.2]
"""
SAMPLED = f"""
[experiment]
name = "grow_sampled"
steps = 2
replications = 1
seed = 8
record = "final"
metrics = ["nps"]
{SMALL}
[sampling]
method = "METHOD"
samples = 4

[sampling.ranges]
leadership_commitment = [0.0, 1.0]
employee_care = [0.0, 1.0]
"""


def grow(tmp_path: Path, before: str, after: str):
    """Run ``before``, then resume with ``after``; also run ``after`` fresh. Returns what is needed to compare."""
    out = tmp_path / "grown"
    run_experiment(load_spec(write(tmp_path, before)), out, progress=False)
    old_files = {p.name: p.read_bytes() for p in (out / "runs").iterdir()}
    counting = CountingExecutor()
    spec = load_spec(write(tmp_path, after))
    summary = run_experiment(spec, out, executor=counting, resume=True, progress=False)
    run_experiment(spec, tmp_path / "fresh", progress=False)
    return out, old_files, counting.seen, summary


def by_inputs(table: pd.DataFrame, factors: list[str]) -> pd.DataFrame:
    """Rows keyed by what they mean (factor values, replicate, step), not by condition numbers."""
    keys = [*factors, "replicate", "step"]
    rest = [c for c in table.columns if c not in ("run_id", "condition")]
    return table[rest].sort_values(keys).reset_index(drop=True)


def test_more_replications_run_only_the_new_ones(tmp_path):
    out, old_files, seen, summary = grow(tmp_path, GRID, GRID.replace("replications = 2", "replications = 4"))
    assert sorted(seen) == sorted(f"c{c}-r{r}" for c in range(4) for r in (2, 3))
    assert (summary.skipped, summary.finished) == (8, 8)
    assert {p.name: p.read_bytes() for p in (out / "runs").iterdir() if p.name in old_files} == old_files
    pd.testing.assert_frame_equal(load_results(out), load_results(tmp_path / "fresh"))
    history = read_manifest(out)["history"]
    assert [h["action"].split(" ")[0] for h in history] == ["created", "extended"]
    assert "8 to 16 runs" in history[-1]["action"] and "replications: 2 -> 4" in history[-1]["action"]


def test_more_levels_keep_the_old_conditions(tmp_path):
    after = GRID.replace("leadership_commitment = [0.2, 0.8]", "leadership_commitment = [0.2, 0.8, 0.5]")
    out, _, seen, summary = grow(tmp_path, GRID, after)
    assert summary.finished == 4 and len(seen) == 4
    grown = load_results(out)
    assert set(grown[grown.run_id.isin(seen)].leadership_commitment) == {0.5}
    conditions = read_manifest(out)["design"]["conditions"]
    assert conditions[:4] == list(build_design(load_spec(write(tmp_path, GRID, "old.toml"))).conditions)
    factors = ["leadership_commitment", "service_staffing"]
    pd.testing.assert_frame_equal(
        by_inputs(grown, factors), by_inputs(load_results(tmp_path / "fresh"), factors)
    )


@pytest.mark.parametrize("method", ["sobol", "morris", "montecarlo"])
def test_more_samples_extend_a_growable_design(tmp_path, method):
    before = SAMPLED.replace("METHOD", method)
    out, _, seen, summary = grow(tmp_path, before, before.replace("samples = 4", "samples = 8"))
    old_runs = len(build_design(load_spec(write(tmp_path, before, "old.toml"))).runs)
    assert summary.skipped == old_runs and summary.finished == len(seen) == old_runs
    grown, fresh = load_results(out), load_results(tmp_path / "fresh")
    pd.testing.assert_frame_equal(grown.drop(columns="run_id"), fresh.drop(columns="run_id"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("replications = 2", "replications = 1"), "would be dropped"),
        (("leadership_commitment = [0.2, 0.8]", "leadership_commitment = [0.2]"), "shrank"),
        (("leadership_commitment = [0.2, 0.8]", "leadership_commitment = [0.3, 0.8]"), "condition 0 changed"),
        (("steps = 3", "steps = 4"), "steps: 3 -> 4"),
        (("seed = 8", "seed = 9"), "seed: 8 -> 9"),
        (
            ("service_staffing = [0.8, 1.2]", "service_staffing = [0.8, 1.2]\nempowerment = [0.5]"),
            "spec changed",
        ),
    ],
)
def test_changes_to_existing_runs_are_refused(tmp_path, change, message):
    out = tmp_path / "out"
    run_experiment(load_spec(write(tmp_path, GRID)), out, progress=False)
    changed = load_spec(write(tmp_path, GRID.replace(*change), "changed.toml"))
    with pytest.raises(SpecError) as info:
        run_experiment(changed, out, resume=True, progress=False)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert read_manifest(out)["spec"]["replications"] == 2  # nothing was written


def test_a_latin_hypercube_cannot_grow(tmp_path):
    before = SAMPLED.replace("METHOD", "lhs")
    out = tmp_path / "out"
    run_experiment(load_spec(write(tmp_path, before)), out, progress=False)
    with pytest.raises(SpecError, match="cannot extend a Latin hypercube.*montecarlo"):
        run_experiment(
            load_spec(write(tmp_path, before.replace("samples = 4", "samples = 8"), "b.toml")),
            out,
            resume=True,
        )


def test_montecarlo_samples_are_uniform_within_the_ranges():
    text = SAMPLED.replace("METHOD", "montecarlo").replace("samples = 4", "samples = 400")
    import tomllib

    from experiments.spec import parse_spec

    design = build_design(parse_spec(tomllib.loads(text)))
    x = pd.DataFrame(list(design.conditions))
    assert x.leadership_commitment.between(0, 1).all() and x.employee_care.between(0, 1).all()
    # mean of U(0,1) over 400 draws: sd 0.289 / 20 = 0.0144; four standard errors
    assert abs(x.leadership_commitment.mean() - 0.5) < 4 * 0.0144
    assert abs(x[["leadership_commitment", "employee_care"]].corr().iloc[0, 1]) < 4 / 20


# ---------------------------------------------------------------- limits
def test_sizes_are_counted_without_building_the_design():
    import tomllib

    from experiments.spec import parse_spec

    for text in (GRID, SAMPLED.replace("METHOD", "sobol"), SAMPLED.replace("METHOD", "morris")):
        spec = parse_spec(tomllib.loads(text))
        assert count_conditions(spec) * spec.replications == len(build_design(spec).runs)


@pytest.mark.parametrize(
    ("change", "what"),
    [
        (("replications = 2", "replications = 1000000000"), "experiment.replications is 1,000,000,000"),
        (("steps = 3", "steps = 1000000"), "experiment.steps is 1,000,000"),
        (
            (
                "service_staffing = [0.8, 1.2]",
                "service_staffing = [0.8, 1.2]\nmarketing_promise = "
                + str([i / 1000 for i in range(1000)])
                + "\nempowerment = "
                + str([i / 200 for i in range(200)]),
            ),
            "run count is 1,600,000",
        ),  # fmt: skip
    ],
)
def test_huge_designs_are_refused_before_anything_is_built(tmp_path, change, what):
    spec = load_spec(write(tmp_path, GRID.replace(*change)))
    with pytest.raises(SpecError) as info:
        build_design(spec)
    assert what in str(info.value) and "--allow-large" in str(info.value)
    check_limits(spec, None)  # lifted: no complaint
    with pytest.raises(SpecError, match="above the limit of 5"):
        check_limits(load_spec(write(tmp_path, GRID)), Limits(runs=5))


def test_sobol_with_two_to_the_thirty_samples_is_refused_at_once(tmp_path):
    text = SAMPLED.replace("METHOD", "sobol").replace("samples = 4", f"samples = {2**30}")
    with pytest.raises(SpecError, match="sampling.samples is 1,073,741,824, above the limit"):
        build_design(load_spec(write(tmp_path, text)))
