"""Sensitivity and scenario discovery: the analysis wiring against functions with known answers
(the Ishigami function's Sobol indices, a planted box, a planted driver), then the report."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from experiments_support import SMALL

from cxlab.cli import main as cli_main
from experiments import build_design, load_results, load_spec, read_manifest, run_experiment
from experiments.analysis import final_values, sensitivity, sobol_convergence, sobol_pairs, sobol_warnings
from experiments.discovery import feature_scores, prim_box
from experiments.report import write_report
from experiments.spec import parse_spec

ROOT = Path(__file__).resolve().parents[1]
FACTORS = ("leadership_commitment", "employee_care", "empowerment")


def sampled(method: str, samples: int, second_order: bool = False) -> tuple[dict, pd.DataFrame]:
    """A manifest (spec and design, nothing run) and the design's conditions as a table."""
    ranges = "\n".join(f"{f} = [0.0, 1.0]" for f in FACTORS)
    extra = "second_order = true\n" if second_order else ""
    text = f"""
[experiment]
name = "analysis"
steps = 2
seed = 4
[sampling]
method = "{method}"
samples = {samples}
{extra}
[sampling.ranges]
{ranges}
"""
    spec = parse_spec(tomllib.loads(text))
    design = build_design(spec)
    manifest = {"spec": spec.as_dict(), "design": design.as_dict()}
    x = pd.DataFrame(list(design.conditions))
    x.insert(0, "condition", range(len(x)))
    x.insert(1, "replicate", 0)
    return manifest, x


def ishigami(x: pd.DataFrame, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    z1, z2, z3 = (-np.pi + 2 * np.pi * x[f].to_numpy() for f in FACTORS)
    return np.sin(z1) + a * np.sin(z2) ** 2 + b * z3**4 * np.sin(z1)


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict[str, float]:
    """Closed-form Sobol indices (Ishigami & Homma 1990; Saltelli et al. 2008, p. 179)."""
    v1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = 8 * b**2 * np.pi**8 / 225
    v = v1 + v2 + v13
    return {"S1": [v1 / v, v2 / v, 0.0], "ST": [(v1 + v13) / v, v2 / v, v13 / v], "S13": v13 / v}


def test_sobol_indices_of_the_ishigami_function_within_their_intervals():
    manifest, x = sampled("sobol", 1024, second_order=True)
    runs = x.assign(y=ishigami(x))
    table = sensitivity(manifest, runs, "y")
    truth = ishigami_indices()
    for key in ("S1", "ST"):
        error = np.abs(table[key].to_numpy() - truth[key])
        assert (error < 2 * table[f"{key}_conf"].to_numpy() + 1e-3).all(), (key, error)
        assert (table[f"{key}_low"] <= table[key]).all() and (table[key] <= table[f"{key}_high"]).all()
    pairs = sobol_pairs(manifest, runs, "y").set_index(["factor", "other"])
    s13 = pairs.loc[("leadership_commitment", "empowerment")]
    assert abs(s13["S2"] - truth["S13"]) < 2 * s13["S2_conf"] + 1e-3
    assert abs(pairs.loc[("leadership_commitment", "employee_care"), "S2"]) < 2 * pairs["S2_conf"].max()
    assert sobol_warnings(table, 1024) == []


def test_convergence_ends_at_the_full_analysis_and_small_n_gets_a_warning():
    manifest, x = sampled("sobol", 64)
    runs = x.assign(y=ishigami(x))
    conv = sobol_convergence(manifest, runs, "y")
    assert sorted(conv.samples.unique()) == [4, 8, 16, 32, 64]
    full = sensitivity(manifest, runs, "y")
    pd.testing.assert_frame_equal(
        conv[conv.samples == 64].drop(columns="samples").reset_index(drop=True), full
    )
    widths = conv.groupby("samples")["ST_conf"].max()
    assert widths[64] < widths[4]  # intervals shrink as samples grow
    small = sensitivity(manifest, runs, "y", samples=8)
    notes = sobol_warnings(small, 8)
    assert notes and "N = 8 is too small" in notes[0] and "\n" not in notes[0]


def test_sensitivity_on_other_designs_says_what_to_use_instead():
    manifest, x = sampled("lhs", 20)
    with pytest.raises(
        ValueError, match="need a sobol or morris design, this is lhs; use experiments.discovery"
    ):
        sensitivity(manifest, x.assign(y=1.0), "y")
    manifest, x = sampled("sobol", 8)
    with pytest.raises(ValueError, match="no column 'nope'"):
        sensitivity(manifest, x.assign(y=1.0), "nope")
    with pytest.raises(ValueError, match="S2 needs a sobol design with second_order"):
        sobol_pairs(manifest, x.assign(y=1.0), "y")


def test_prim_finds_a_planted_box():
    manifest, x = sampled("lhs", 600)
    inside = (x.leadership_commitment > 0.6) & (x.employee_care < 0.5)
    runs = x.assign(profit=np.where(inside, -5.0, 5.0))
    result = prim_box(manifest, runs, "profit", 0, below=True)
    assert result.cases == int(inside.sum()) and result.runs == 600
    box = result.box.set_index("factor")
    assert box.loc["leadership_commitment", "low"] == pytest.approx(0.6, abs=0.05)
    assert box.loc["employee_care", "high"] == pytest.approx(0.5, abs=0.05)
    assert not box.loc["empowerment", "restricted"]
    assert result.coverage >= 0.5 and result.density > 0.9
    assert list(result.trajectory.columns) == ["coverage", "density", "mass", "res_dim"]
    with pytest.raises(ValueError, match="holds for none of the 600 runs"):
        prim_box(manifest, runs, "profit", -100)


def test_feature_scores_rank_a_planted_driver_first():
    manifest, x = sampled("montecarlo", 300)
    runs = x.assign(y=3 * x.leadership_commitment + 0.3 * x.employee_care)
    table = feature_scores(manifest, runs, ["y"])
    assert table.loc["metamodel_r2", "y"] > 0.9  # the factors explain y entirely
    scores = table.drop(index="metamodel_r2")
    assert scores["y"].idxmax() == "leadership_commitment"
    assert (
        scores.loc["empowerment", "y"]
        < scores.loc["employee_care", "y"]
        < scores.loc["leadership_commitment", "y"]
    )
    assert scores["y"].sum() == pytest.approx(1.0)
    again = feature_scores(manifest, runs, ["y"])
    pd.testing.assert_frame_equal(table, again)  # seeded from the master seed
    noise = feature_scores(manifest, x.assign(y=np.random.default_rng(0).random(len(x))), ["y"])
    assert noise.loc["metamodel_r2", "y"] < 0.2  # nothing to explain: the metamodel says so


# ---------------------------------------------------------------- the report, on the model
def run_spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.toml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    run_experiment(load_spec(path), out, progress=False)
    return out


def test_report_of_a_second_order_sobol_design(tmp_path):
    out = run_spec(
        tmp_path,
        f"""
[experiment]
name = "s2"
steps = 2
seed = 3
record = "final"
metrics = ["nps", "culture_mean"]
{SMALL}
[sampling]
method = "sobol"
samples = 4
second_order = true

[sampling.ranges]
leadership_commitment = [0.0, 1.0]
employee_care = [0.0, 1.0]
""",
    )
    write_report(out)
    report = out / "report"
    table = pd.read_csv(report / "sensitivity.csv")
    assert {"S1", "S1_conf", "S1_low", "S1_high", "ST", "ST_low", "ST_high"} <= set(table.columns)
    s2 = pd.read_csv(report / "sobol_s2.csv")
    assert len(s2) == 2 and {"S2", "S2_conf", "S2_low", "S2_high"} <= set(
        s2.columns
    )  # one pair, two outcomes
    assert (report / "convergence_nps.png").is_file()
    page = (report / "index.html").read_text()
    assert "N = 4 is too small" in page and "Second-order indices" in page


def test_report_of_a_latin_hypercube_with_discovery(tmp_path, monkeypatch):
    text = f"""
[experiment]
name = "lhs"
steps = 3
seed = 3
record = "final"
metrics = ["nps", "culture_mean"]
{SMALL}
[sampling]
method = "lhs"
samples = 24

[sampling.ranges]
leadership_commitment = [0.0, 1.0]
employee_care = [0.0, 1.0]
"""
    out = run_spec(tmp_path, text)
    nps = final_values(load_results(out)).nps
    median = float(nps.median())
    spec = tmp_path / "spec.toml"
    spec.write_text(
        text
        + f'\n[report]\noutcomes = ["nps", "culture_mean"]\ndiscovery = {{ outcome = "nps", below = {median} }}\n'
    )

    assert cli_main(["report", str(out), "--spec", str(spec)]) == 0
    report = out / "report"
    scores = pd.read_csv(report / "feature_scores.csv", index_col="factor")
    assert set(scores.index) == {"leadership_commitment", "employee_care", "metamodel_r2"} and list(
        scores.columns
    ) == [
        "nps",
        "culture_mean",
    ]
    box = pd.read_csv(report / "prim_box.csv")
    assert set(box.factor) == {"leadership_commitment", "employee_care"}
    page = (report / "index.html").read_text()
    assert f"{int((nps < median).sum())} of 24" in page and "prim_tradeoff.png" in page
    assert read_manifest(out)["report"]["discovery"] == {"outcome": "nps", "below": median}
