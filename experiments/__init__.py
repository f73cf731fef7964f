"""Batch experiments: TOML spec -> design -> runner (serial, processes, Dask) -> Parquet store ->
outcomes -> report (summaries, sensitivity, scenario discovery).

from experiments import load_spec, run_experiment, load_results
spec = load_spec("experiments/commitment_vs_staffing.toml")
run_experiment(spec, "results/commitment_vs_staffing")
table = load_results("results/commitment_vs_staffing")
"""

from experiments.design import Design, Limits, build_design
from experiments.executors import DaskExecutor, ExecutorError, ProcessExecutor, SerialExecutor, make_executor
from experiments.runner import RunSummary, run_experiment
from experiments.spec import ExperimentSpec, SpecError, load_spec, parse_spec
from experiments.store import StoreError, load_failures, load_results, read_manifest, update_report

__all__ = [
    "DaskExecutor",
    "Design",
    "Limits",
    "ExecutorError",
    "ExperimentSpec",
    "ProcessExecutor",
    "RunSummary",
    "SerialExecutor",
    "SpecError",
    "StoreError",
    "build_design",
    "load_failures",
    "load_results",
    "load_spec",
    "make_executor",
    "parse_spec",
    "read_manifest",
    "run_experiment",
    "update_report",
]
