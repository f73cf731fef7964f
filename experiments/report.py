"""The experiment report: a summary table, PNG plots and one HTML page tying them together.

Writes into ``DIR/report/``: ``outcomes.csv`` (every outcome of every run),
``summary.csv`` (mean and 95% interval per condition and outcome),
``trajectory_<metric>.png`` (mean over time with bands), ``final_<outcome>.png``
(outcome against each varied factor); for Sobol and Morris designs
``sensitivity.csv`` (with bootstrap intervals), ``sensitivity_<outcome>.png``, and
for Sobol ``convergence_<outcome>.png``, ``sobol_s2.csv`` (second order) and a
plain warning when N is too small; for Latin hypercube and Monte Carlo designs
``feature_scores.csv`` and its plot; with ``[report.discovery]`` a PRIM box
(``prim_box.csv``, ``prim_trajectory.csv``, ``prim_tradeoff.png``); and
``index.html``. Plots use matplotlib's Figure API (no pyplot, no display).
"""

from __future__ import annotations

import html
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure

from experiments.analysis import (
    factors_of,
    mean_interval,
    outcomes_of,
    per_run,
    sensitivity,
    sobol_convergence,
    sobol_pairs,
    sobol_warnings,
    summary_table,
    trajectory_table,
)
from experiments.design import label
from experiments.discovery import feature_scores, prim_box
from experiments.outcomes import Outcome
from experiments.store import StoreError, load_failures, load_results, read_manifest
from model.metrics import METRICS

MAX_LINES = 12  # more conditions than this: trajectories are drawn as one band over all runs


def write_report(root: str | Path) -> Path:
    """Write the report of the experiment in ``root``; return the path of ``index.html``.

    The report is built in a hidden folder and swapped in whole, so a report folder is
    never half old, half new (a kill mid-swap leaves hidden folders the next call removes).
    """
    root = Path(root)
    manifest = read_manifest(root)
    final = root / "report"
    if final.exists() and not final.is_dir():
        raise StoreError(f"cannot write the report in {final}: it is a file, not a folder; move it away")
    for stale in root.glob(".report-*"):
        shutil.rmtree(stale, ignore_errors=True)
    building = root / f".report-new-{os.getpid()}"
    building.mkdir()
    try:
        _build(root, manifest, building)
        old = root / f".report-old-{os.getpid()}"
        if final.exists():
            os.replace(final, old)
        os.replace(building, final)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return final / "index.html"


def _build(root: Path, manifest: dict[str, Any], out: Path) -> Path:
    factors = factors_of(manifest)
    defined = outcomes_of(manifest)
    outcomes = [o.name for o in defined]
    results = load_results(root)
    failures = load_failures(root)
    sections: list[str] = []

    total = len(manifest["design"]["runs"])
    sections.append(_overview(manifest, results, failures, total))
    if results.empty:
        sections.append("<p>No run has finished yet.</p>")
        return _write_html(out, manifest, sections)

    runs = per_run(manifest, results, defined)
    runs.to_csv(out / "outcomes.csv", index=False)
    summary = summary_table(runs, factors, outcomes)
    summary.to_csv(out / "summary.csv", index=False)
    sections.append(_summary_html(summary, factors, defined, len(manifest["design"]["conditions"])))

    figures = []
    if results["step"].nunique() > 1:
        for metric in dict.fromkeys(m for o in defined for m in o.metrics):
            figures.append(_trajectory_plot(results, manifest, metric, out))
    if factors:
        for outcome in defined:
            figures.append(_final_plot(runs, manifest, outcome, out))
    sections.append("".join(_figure_html(f) for f in figures))

    method = (manifest["spec"].get("sampling") or {}).get("method")
    if method in ("sobol", "morris"):
        sections.append(_sensitivity_section(manifest, runs, outcomes, out))
    if method in ("lhs", "montecarlo"):
        sections.append(_feature_section(manifest, runs, outcomes, out))
    discovery = (manifest.get("report") or {}).get("discovery")
    if discovery and factors:
        sections.append(_discovery_section(manifest, runs, discovery, out))
    return _write_html(out, manifest, sections)


# ---------------------------------------------------------------- plots
def _title(outcome: str) -> str:
    return f"{outcome}: {METRICS[outcome].meaning if outcome in METRICS else ''}"


def _colors(n: int) -> list:
    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def _trajectory_plot(results: pd.DataFrame, manifest: dict[str, Any], outcome: str, out: Path) -> Path:
    """Lines with 95% bands per condition; a grid with many conditions gets one panel per
    level of its other factors; a sampled design gets the spread over all runs."""
    conditions = manifest["design"]["conditions"]
    panels = _panels(manifest)
    cols = min(3, len(panels)) if panels else 1
    rows = -(-len(panels) // cols) if panels else 1
    fig = Figure(
        figsize=(9 if cols == 1 else 4.6 * cols, 4.8 if rows == 1 else 3.6 * rows), layout="constrained"
    )
    axes = fig.subplots(rows, cols, squeeze=False, sharey=True).ravel()
    if panels:
        table = trajectory_table(results, outcome)
        for ax, (title, members) in zip(axes, panels, strict=False):
            for color, condition in zip(_colors(len(members)), members, strict=False):
                group = table[table.condition == condition]
                name = label(_without(conditions[condition], title)) or "all runs"
                ax.plot(group["step"], group["mean"], color=color, label=name, lw=1.6)
                ax.fill_between(
                    group["step"], group["ci_low"], group["ci_high"], color=color, alpha=0.2, lw=0
                )
            if len(members) > 1:
                ax.legend(fontsize=7, frameon=False)
            if title:
                ax.set_title(label(title), fontsize=8)
        how = "mean and 95% interval across replications"
    else:
        ax = axes[0]
        q = results.groupby("step")[outcome].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
        ax.fill_between(q.index, q[0.05], q[0.95], alpha=0.2, lw=0, label="5-95% of runs")
        ax.fill_between(q.index, q[0.25], q[0.75], alpha=0.35, lw=0, label="25-75% of runs")
        ax.plot(q.index, q[0.5], lw=1.6, label="median")
        ax.legend(fontsize=8, frameon=False)
        how = f"spread over all {len(conditions)} conditions"
    for ax in axes[: max(1, len(panels))]:
        ax.set_xlabel("week")
        ax.set_ylabel(outcome)
        ax.grid(alpha=0.3)
    for ax in axes[max(1, len(panels)) :]:
        ax.set_visible(False)
    fig.suptitle(f"{_title(outcome)}\n{how}", fontsize=9)
    path = out / f"trajectory_{outcome}.png"
    fig.savefig(path, dpi=100)
    return path


def _panels(manifest: dict[str, Any]) -> list[tuple[dict[str, Any], list[int]]]:
    """Conditions grouped for trajectory plots: ``(fixed factor values, condition ids)`` per panel.

    Empty for a sampled design or a grid too large to draw line by line.
    """
    conditions = manifest["design"]["conditions"]
    if len(conditions) <= MAX_LINES:
        return [({}, list(range(len(conditions))))]
    if manifest["spec"].get("sampling") is not None:
        return []
    factors = factors_of(manifest)
    levels = {f: len({c[f] for c in conditions}) for f in factors}
    lines = max(factors, key=lambda f: levels[f])  # the factor with most levels: one line each
    panels: dict[tuple, list[int]] = {}
    for i, c in enumerate(conditions):
        panels.setdefault(tuple((f, c[f]) for f in factors if f != lines), []).append(i)
    if levels[lines] > MAX_LINES or len(panels) > 6:
        return []
    return [(dict(key), members) for key, members in panels.items()]


def _without(condition: dict[str, Any], fixed: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in condition.items() if k not in fixed}


def _final_plot(finals: pd.DataFrame, manifest: dict[str, Any], defined: Outcome, out: Path) -> Path:
    outcome = defined.name
    factors = factors_of(manifest)
    sampled = manifest["spec"].get("sampling") is not None
    cols = min(3, len(factors))
    rows = -(-len(factors) // cols)
    fig = Figure(figsize=(4.2 * cols, 3.4 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[len(factors) :]:
        ax.set_visible(False)
    if sampled:
        means = finals.groupby("condition").agg({**{f: "first" for f in factors}, outcome: "mean"})
        for ax, factor in zip(axes, factors, strict=False):
            ax.scatter(means[factor], means[outcome], s=8, alpha=0.5)
            ax.set_xlabel(factor)
    else:
        for ax, factor in zip(axes, factors, strict=False):
            others = [f for f in factors if f != factor]
            by = others[0] if len(factors) == 2 else None
            groups = finals.groupby(by) if by else [(None, finals)]
            levels = list(groups)
            for color, (level, group) in zip(_colors(len(levels)), levels, strict=False):
                stats = [(x, *mean_interval(g[outcome].dropna())) for x, g in group.groupby(factor)]
                x, mean, lo, hi = (np.array(v, dtype=float) for v in zip(*stats, strict=True))
                err = np.vstack([mean - lo, hi - mean])
                name = f"{by}={level:g}" if by else None
                ax.errorbar(
                    x, mean, yerr=np.nan_to_num(err), marker="o", ms=4, capsize=3, color=color, label=name
                )
            if by:
                ax.legend(fontsize=7, frameon=False)
            ax.set_xlabel(factor)
    for ax in axes[: len(factors)]:
        ax.set_ylabel(outcome)
        ax.grid(alpha=0.3)
    how = "mean per sampled condition" if sampled else "mean and 95% interval across replications"
    fig.suptitle(f"{outcome}: {defined.describe()}\nagainst each varied factor ({how})", fontsize=9)
    path = out / f"final_{outcome}.png"
    fig.savefig(path, dpi=100)
    return path


def _sensitivity_section(manifest: dict[str, Any], runs: pd.DataFrame, outcomes: list[str], out: Path) -> str:
    sampling = manifest["spec"]["sampling"]
    method = sampling["method"]
    tables, pairs, parts = [], [], [f"<h2>Sensitivity ({method})</h2>"]
    if method == "sobol":
        parts.append(
            "<p>S1: share of the outcome's variance due to the factor alone; ST: including its "
            "interactions; S2: the interaction of a pair. Bars and brackets are 95% bootstrap intervals "
            f"({sampling['samples']} base samples). The convergence plots show the indices computed from "
            "the first 4, 8, 16, ... samples: trust them where the lines have settled.</p>"
        )
    else:
        parts.append(
            "<p>mu*: mean absolute elementary effect (overall influence); sigma: its spread "
            "(non-linearity or interactions). Bars show 95% bootstrap intervals of mu*.</p>"
        )
    figures = []
    for outcome in outcomes:
        try:
            table = sensitivity(manifest, runs, outcome)
        except ValueError as exc:
            parts.append(f"<p>{html.escape(outcome)}: sensitivity not computed: {html.escape(str(exc))}</p>")
            continue
        tables.append(table)
        figures.append(_sensitivity_plot(table, method, outcome, out))
        if method == "sobol":
            figures.append(_convergence_plot(sobol_convergence(manifest, runs, outcome), outcome, out))
            if sampling.get("second_order"):
                pairs.append(sobol_pairs(manifest, runs, outcome))
    if tables:
        all_tables = pd.concat(tables, ignore_index=True)
        if method == "sobol":
            for note in sobol_warnings(all_tables, sampling["samples"]):
                parts.append(f"<p class='warn'><b>Warning.</b> {html.escape(note)}</p>")
        all_tables.to_csv(out / "sensitivity.csv", index=False)
        parts.append("".join(_figure_html(f) for f in figures))
        parts.append(all_tables.to_html(index=False, float_format=lambda v: f"{v:.3g}", border=0))
    if pairs:
        s2 = pd.concat(pairs, ignore_index=True)
        s2.to_csv(out / "sobol_s2.csv", index=False)
        parts.append("<h3>Second-order indices (S2)</h3>")
        parts.append(s2.to_html(index=False, float_format=lambda v: f"{v:.3g}", border=0))
    return "".join(parts)


def _sensitivity_plot(table: pd.DataFrame, method: str, outcome: str, out: Path) -> Path:
    fig = Figure(figsize=(8, 0.35 * len(table) + 1.6), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(table))
    if method == "sobol":
        ax.barh(y - 0.2, table["S1"], 0.4, xerr=table["S1_conf"], label="S1 (first order)", capsize=2)
        ax.barh(y + 0.2, table["ST"], 0.4, xerr=table["ST_conf"], label="ST (total)", capsize=2)
        ax.set_xlabel("Sobol index")
        ax.legend(fontsize=8, frameon=False)
    else:
        ax.barh(y, table["mu_star"], 0.6, xerr=table["mu_star_conf"], capsize=2, label="mu*")
        ax.set_xlabel(f"mu* (mean absolute elementary effect on {outcome})")
    ax.set_yticks(y, table["factor"], fontsize=8)
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(f"{method} sensitivity of {outcome}", fontsize=9)
    path = out / f"sensitivity_{outcome}.png"
    fig.savefig(path, dpi=100)
    return path


def _convergence_plot(table: pd.DataFrame, outcome: str, out: Path) -> Path:
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    factors = list(dict.fromkeys(table["factor"]))
    for ax, key in zip(axes, ("S1", "ST"), strict=True):
        for color, factor in zip(_colors(len(factors)), factors, strict=False):
            rows = table[table.factor == factor]
            ax.plot(rows["samples"], rows[key], marker="o", ms=3, color=color, label=factor, lw=1.2)
            ax.fill_between(
                rows["samples"], rows[f"{key}_low"], rows[f"{key}_high"], color=color, alpha=0.12, lw=0
            )
        ax.set_xscale("log", base=2)
        ax.set_xlabel("base samples N")
        ax.set_title(key, fontsize=9)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("index (95% interval)")
    axes[1].legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1, 0.5))
    fig.suptitle(f"Convergence of the Sobol indices of {outcome}", fontsize=9)
    path = out / f"convergence_{outcome}.png"
    fig.savefig(path, dpi=100)
    return path


def _feature_section(manifest: dict[str, Any], runs: pd.DataFrame, outcomes: list[str], out: Path) -> str:
    parts = [
        "<h2>Feature scores</h2><p>How much each factor explains of each outcome, from an "
        "extra-trees metamodel fitted to the runs (scikit-learn, set up as EMA Workbench's feature "
        "scoring; the scores of an outcome sum to 1). The metamodel's out-of-bag R<sup>2</sup> says how "
        "much of the outcome the factors explain at all: a low one means seed noise or unvaried inputs "
        "dominate. Full table: <a href='feature_scores.csv'>feature_scores.csv</a>.</p>"
    ]
    try:
        table = feature_scores(manifest, runs, outcomes)
    except ValueError as exc:
        return parts[0] + f"<p>not computed: {html.escape(str(exc))}</p>"
    table.to_csv(out / "feature_scores.csv")
    r2 = table.loc["metamodel_r2"]
    parts.append(
        "<p>Out-of-bag R<sup>2</sup>: "
        + ", ".join(f"{html.escape(o)} {v:.2f}" for o, v in r2.items())
        + "</p>"
    )
    scores = table.drop(index="metamodel_r2")
    fig = Figure(figsize=(1.6 + 1.3 * len(outcomes), 0.35 * len(scores) + 1.4), layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(scores.to_numpy(dtype=float), cmap="viridis", aspect="auto", vmin=0)
    ax.set_xticks(range(len(outcomes)), outcomes, fontsize=8, rotation=30, ha="right")
    ax.set_yticks(range(len(scores)), scores.index, fontsize=8)
    for (i, j), v in np.ndenumerate(scores.to_numpy(dtype=float)):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7, color="w" if v < 0.5 else "k")
    fig.colorbar(image, ax=ax, shrink=0.8)
    ax.set_title("extra-trees feature scores", fontsize=9)
    path = out / "feature_scores.png"
    fig.savefig(path, dpi=100)
    parts.append(_figure_html(path))
    return "".join(parts)


def _discovery_section(
    manifest: dict[str, Any], runs: pd.DataFrame, discovery: dict[str, Any], out: Path
) -> str:
    below = "below" in discovery
    threshold = discovery["below" if below else "above"]
    head = "<h2>Scenario discovery (PRIM)</h2>"
    try:
        result = prim_box(manifest, runs, discovery["outcome"], threshold, below=below)
    except ValueError as exc:
        return head + f"<p>not computed: {html.escape(str(exc))}</p>"
    result.box.to_csv(out / "prim_box.csv", index=False)
    result.trajectory.to_csv(out / "prim_trajectory.csv", index_label="box")
    fig = Figure(figsize=(6, 4.2), layout="constrained")
    ax = fig.add_subplot()
    points = ax.scatter(
        result.trajectory["coverage"],
        result.trajectory["density"],
        c=result.trajectory["res_dim"],
        cmap="viridis",
        s=18,
    )
    ax.scatter(
        [result.coverage], [result.density], s=120, facecolors="none", edgecolors="red", label="chosen box"
    )
    fig.colorbar(points, ax=ax, label="restricted factors")
    ax.set_xlabel("coverage (share of the cases of interest inside the box)")
    ax.set_ylabel("density (share of the box that is of interest)")
    ax.legend(fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    ax.set_title(f"PRIM peeling trajectory for {result.rule}", fontsize=9)
    path = out / "prim_tradeoff.png"
    fig.savefig(path, dpi=100)
    box = result.box[result.box.restricted] if result.box.restricted.any() else result.box
    return (
        head
        + f"<p>Cases of interest: runs where <b>{html.escape(result.rule)}</b>, {result.cases} of {result.runs}. "
        f"The box below holds {100 * result.coverage:.0f}% of them (coverage); {100 * result.density:.0f}% of the "
        f"runs inside it are of interest (density); it spans {100 * result.mass:.0f}% of the runs (mass). "
        "It is the densest box on PRIM's peeling trajectory that keeps at least half the cases "
        "(EMA Workbench's PRIM).</p>"
        + box.to_html(index=False, float_format=lambda v: f"{v:.3g}", border=0)
        + _figure_html(path)
    )


# ---------------------------------------------------------------- html
def _overview(manifest: dict[str, Any], results: pd.DataFrame, failures: pd.DataFrame, total: int) -> str:
    spec = manifest["spec"]
    done = results["run_id"].nunique() if not results.empty else 0
    design = spec["sampling"]["method"] + " sample" if spec.get("sampling") else "full-factorial grid"
    items = [
        f"scenario <b>{html.escape(spec['scenario']['name'])}</b>, {spec['steps']} weeks, "
        f"{spec['replications']} replication(s), master seed {spec['seed']}",
        f"{design}: {len(manifest['design']['conditions'])} condition(s), {total} runs; "
        f"<b>{done}</b> finished, <b>{len(failures)}</b> failed, {total - done - len(failures)} not run",
        f"code fingerprint {_fingerprint(manifest)[:12]}, git {_git(manifest)}; "
        + ", ".join(f"{k} {v}" for k, v in manifest["versions"].items()),
    ]
    parts = ["<ul>", *(f"<li>{i}</li>" for i in items), "</ul>"]
    if not failures.empty:
        cols = [c for c in ("run_id", "seed", "type", "message") if c in failures]
        parts += ["<h3>Failed runs</h3>", failures[cols].to_html(index=False, border=0)]
    parts.append(f"<details><summary>spec</summary><pre>{html.escape(manifest['spec_toml'])}</pre></details>")
    return "".join(parts)


def _fingerprint(manifest: dict[str, Any]) -> str:
    return manifest.get("code_fingerprint") or manifest.get("model_fingerprint") or "?"


def _git(manifest: dict[str, Any]) -> str:
    git = manifest.get("git") or {"commit": manifest.get("git_commit"), "dirty": None}
    commit = (git.get("commit") or "?")[:12]
    return commit + (" with uncommitted changes" if git.get("dirty") else "")


def _summary_html(
    summary: pd.DataFrame, factors: list[str], defined: tuple[Outcome, ...], n_conditions: int
) -> str:
    outcomes = [o.name for o in defined]
    listed = "".join(f"<li><b>{html.escape(o.name)}</b>: {html.escape(o.describe())}</li>" for o in defined)
    note = (
        f"<h2>Outcomes</h2><ul>{listed}</ul><p>Mean and 95% confidence interval of the mean across "
        "replications. Full tables: <a href='summary.csv'>summary.csv</a>, every run: "
        "<a href='outcomes.csv'>outcomes.csv</a>.</p>"
    )
    if n_conditions > 50:
        return note + f"<p>({n_conditions} conditions: see the CSV.)</p>"

    def cell(row: pd.Series) -> str:
        if np.isnan(row["ci_low"]):
            return f"{row['mean']:.4g}"
        return f"{row['mean']:.4g} [{row['ci_low']:.4g}, {row['ci_high']:.4g}]"

    table = summary.assign(value=summary.apply(cell, axis=1))
    wide = table.pivot(index=["condition", *factors, "n"], columns="outcome", values="value")
    wide = wide[outcomes].reset_index()
    wide.columns.name = None
    return note + wide.to_html(index=False, border=0)


def _figure_html(path: Path) -> str:
    return f"<figure><img src='{path.name}' alt='{path.stem}'></figure>"


def _write_html(out: Path, manifest: dict[str, Any], sections: list[str]) -> Path:
    title = html.escape(manifest["name"])
    desc = html.escape(manifest.get("description") or "")
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;font-size:13px}td,th{padding:3px 8px;border-bottom:1px solid #ddd}"
        "img{max-width:100%}figure{margin:1em 0}pre{background:#f6f6f6;padding:1em}"
        ".warn{background:#fff4e0;border-left:4px solid #e0a000;padding:.5em 1em}"
    )
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
        f"<style>{style}</style></head><body><h1>Experiment: {title}</h1>"
        + (f"<p>{desc}</p>" if desc else "")
        + "".join(sections)
        + "</body></html>"
    )
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
