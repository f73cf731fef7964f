"""The experiment report: a summary table, PNG plots and one HTML page tying them together.

Writes into ``DIR/report/``: ``summary.csv`` (mean and 95% interval per condition
and outcome), ``trajectory_<outcome>.png`` (mean over time with bands),
``final_<outcome>.png`` (final outcome against each varied factor), for Sobol and
Morris designs ``sensitivity_<outcome>.png`` and ``sensitivity.csv``, and
``index.html``. Plots use matplotlib's Figure API (no pyplot, no display).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure

from experiments.analysis import (
    factors_of,
    final_values,
    mean_interval,
    sensitivity,
    summary_table,
    trajectory_table,
)
from experiments.design import label
from experiments.store import load_failures, load_results, read_manifest
from model.metrics import METRICS

MAX_LINES = 12  # more conditions than this: trajectories are drawn as one band over all runs


def write_report(root: str | Path) -> Path:
    """Write the report of the experiment in ``root``; return the path of ``index.html``."""
    root = Path(root)
    manifest = read_manifest(root)
    out = root / "report"
    out.mkdir(exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    factors = factors_of(manifest)
    outcomes = list(manifest["outcomes"])
    results = load_results(root)
    failures = load_failures(root)
    finals = final_values(results)
    sections: list[str] = []

    total = len(manifest["design"]["runs"])
    sections.append(_overview(manifest, results, failures, total))
    if results.empty:
        sections.append("<p>No run has finished yet.</p>")
        return _write_html(out, manifest, sections)

    summary = summary_table(finals, factors, outcomes)
    summary.to_csv(out / "summary.csv", index=False)
    sections.append(_summary_html(summary, factors, outcomes, len(manifest["design"]["conditions"])))

    figures = []
    if results["step"].nunique() > 1:
        for outcome in outcomes:
            figures.append(_trajectory_plot(results, manifest, outcome, out))
    if factors:
        for outcome in outcomes:
            figures.append(_final_plot(finals, manifest, outcome, out))
    sections.append("".join(_figure_html(f) for f in figures))

    if (manifest["spec"].get("sampling") or {}).get("method") in ("sobol", "morris"):
        sections.append(_sensitivity_section(manifest, finals, outcomes, out))
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


def _final_plot(finals: pd.DataFrame, manifest: dict[str, Any], outcome: str, out: Path) -> Path:
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
                stats = [(x, *mean_interval(g[outcome])) for x, g in group.groupby(factor)]
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
        ax.set_ylabel(f"final {outcome}")
        ax.grid(alpha=0.3)
    how = "mean per sampled condition" if sampled else "mean and 95% interval across replications"
    fig.suptitle(f"{_title(outcome)}\nfinal value against each varied factor ({how})", fontsize=9)
    path = out / f"final_{outcome}.png"
    fig.savefig(path, dpi=100)
    return path


def _sensitivity_section(
    manifest: dict[str, Any], finals: pd.DataFrame, outcomes: list[str], out: Path
) -> str:
    method = manifest["spec"]["sampling"]["method"]
    tables, parts = [], [f"<h2>Sensitivity ({method})</h2>"]
    for outcome in outcomes:
        try:
            table = sensitivity(manifest, finals, outcome)
        except ValueError as exc:
            parts.append(f"<p>{html.escape(outcome)}: sensitivity not computed: {html.escape(str(exc))}</p>")
            continue
        tables.append(table)
        parts.append(_figure_html(_sensitivity_plot(table, method, outcome, out)))
    if tables:
        all_tables = pd.concat(tables, ignore_index=True)
        all_tables.to_csv(out / "sensitivity.csv", index=False)
        parts.append(all_tables.to_html(index=False, float_format=lambda v: f"{v:.3g}", border=0))
    if method == "sobol":
        parts.insert(
            1,
            "<p>S1: share of the outcome's variance due to the factor alone; ST: including its "
            "interactions. Bars show 95% bootstrap intervals.</p>",
        )
    else:
        parts.insert(
            1,
            "<p>mu*: mean absolute elementary effect (overall influence); sigma: its spread "
            "(non-linearity or interactions). Bars show 95% bootstrap intervals of mu*.</p>",
        )
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
    ax.set_title(f"{method} sensitivity of final {outcome}", fontsize=9)
    path = out / f"sensitivity_{outcome}.png"
    fig.savefig(path, dpi=100)
    return path


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
        f"model fingerprint {manifest['model_fingerprint'][:12]}, git {manifest.get('git_commit') or '?'}; "
        + ", ".join(f"{k} {v}" for k, v in manifest["versions"].items()),
    ]
    parts = ["<ul>", *(f"<li>{i}</li>" for i in items), "</ul>"]
    if not failures.empty:
        cols = [c for c in ("run_id", "seed", "type", "message") if c in failures]
        parts += ["<h3>Failed runs</h3>", failures[cols].to_html(index=False, border=0)]
    parts.append(f"<details><summary>spec</summary><pre>{html.escape(manifest['spec_toml'])}</pre></details>")
    return "".join(parts)


def _summary_html(summary: pd.DataFrame, factors: list[str], outcomes: list[str], n_conditions: int) -> str:
    note = (
        "<h2>Final outcomes</h2><p>Mean and 95% confidence interval of the mean across "
        "replications, at the last recorded step. Full table: <a href='summary.csv'>summary.csv</a>.</p>"
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
