"""Run an experiment: design -> tasks -> an executor -> results streamed to the store."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from experiments.design import LIMITS, Design, Limits, Run, model_inputs
from experiments.evaluate import RunResult, RunTask, run_task
from experiments.executors import Executor, SerialExecutor, WorkerLost
from experiments.spec import ExperimentSpec, SpecError
from experiments.store import Plan, Store, StoreError, why
from model.metrics import METRICS


@dataclass(frozen=True)
class RunSummary:
    """What one call of ``run_experiment`` did."""

    out: Path
    total: int
    skipped: int  # already finished before this call (resume)
    finished: int
    failed: int
    seconds: float


def make_task(
    spec: ExperimentSpec, design: Design, run: Run, timeout: float | None = None, store: Store | None = None
) -> RunTask:
    """The worker's task for one run of the design (with ``store``: the worker encodes the run's file)."""
    params, events = model_inputs(spec, design.conditions[run.condition])
    metrics = None if spec.metrics == tuple(METRICS) else spec.metrics
    return RunTask(
        run_id=run.run_id,
        seed=run.seed,
        scenario=spec.scenario,
        steps=spec.steps,
        params=params,
        events=events,
        record=spec.record,
        metrics=metrics,
        timeout=timeout,
        label=None if store is None else store.label(run),
        identity=None if store is None else store.identity(run),
    )


def run_experiment(
    spec: ExperimentSpec,
    out: str | Path,
    *,
    executor: Executor | None = None,
    resume: bool = False,
    progress: bool = True,
    design: Design | None = None,
    task_fn: Callable[[RunTask], RunResult] = run_task,
    limits: Limits | None = LIMITS,
    confirm: Callable[[Plan], None] | None = None,
    run_timeout: float | None = None,
) -> RunSummary:
    """Run every run of ``spec`` that ``out`` does not hold yet, writing each as it finishes.

    Args:
        spec: a validated spec (``load_spec``).
        out: the results directory (created; must be empty or hold this experiment).
        executor: where runs execute (default: serially in this process).
        resume: continue an experiment already in ``out``, running only what is missing;
            more replications, samples (Sobol, Morris, Monte Carlo) or levels extend it.
            Any other change of the spec is refused.
        progress: show a progress bar (runs done, failures, ETA) on stderr.
        design: ``build_design(spec)`` if already built (used for a new directory).
        task_fn: what evaluates one run (a picklable module-level function); the
            model by default, swappable like an EMA Workbench model function.
        limits: design sizes refused unless lifted (``None``: no limits).
        confirm: called with the plan before anything is written; raise to stop.
        run_timeout: seconds after which a run is stopped and recorded as failed.

    Raises:
        SpecError: an invalid or too large design; ``StoreError`` (a ``SpecError``) when
            ``out`` holds something else, is busy, damaged, or cannot be written.
    """
    if not isinstance(spec, ExperimentSpec):
        raise SpecError(
            f"run_experiment needs a spec from load_spec(path), got {type(spec).__name__} {spec!r:.60}"
        )
    start = time.perf_counter()
    store, plan = Store.open(out, spec, resume=resume, design=design, limits=limits, confirm=confirm)
    design = plan.design
    executor = executor or SerialExecutor()
    finished = failed = 0
    try:
        pending = plan.pending
        runs = {r.run_id: r for r in pending}
        tasks = (make_task(spec, design, r, run_timeout, store) for r in pending)
        skipped = len(design.runs) - len(pending)
        with tqdm(
            total=len(design.runs),
            initial=skipped,
            unit="run",
            desc=spec.name,
            disable=not progress,
            dynamic_ncols=True,
            smoothing=0.1,
        ) as bar:
            bar.set_postfix(failed=0)
            for task, outcome in executor.run(task_fn, tasks):
                run = runs[task.run_id]
                try:
                    if isinstance(outcome, RunResult) and outcome.ok:
                        store.write_run(run, outcome.table, outcome.provenance, encoded=outcome.encoded)
                        finished += 1
                    else:
                        store.write_failure(run, _error(outcome))
                        failed += 1
                        bar.set_postfix(failed=failed, refresh=False)
                except OSError as exc:
                    saved = skipped + finished
                    raise StoreError(
                        f"cannot write to {store.root}: {why(exc)}; {saved} of {len(design.runs)} "
                        "runs are saved there; make room and continue with --resume"
                    ) from None
                bar.update()
    finally:
        store.close()
    return RunSummary(Path(out), len(design.runs), skipped, finished, failed, time.perf_counter() - start)


def _error(outcome: object) -> dict[str, str]:
    if isinstance(outcome, RunResult):
        return dict(outcome.error or {})
    if isinstance(outcome, WorkerLost):
        return {"type": "WorkerLost", "message": str(outcome)}
    return {"type": type(outcome).__name__, "message": str(outcome)}
