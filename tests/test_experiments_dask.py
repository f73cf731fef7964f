"""The runner on a real Dask cluster: a scheduler and two worker processes on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from cxlab.cli import main as cli_main
from experiments import (
    DaskExecutor,
    ProcessExecutor,
    build_design,
    load_failures,
    load_results,
    load_spec,
    run_experiment,
)
from experiments.evaluate import RunResult, RunTask, run_task
from experiments.executors import ExecutorError

pytestmark = pytest.mark.dask

SMALL = "[constants]\nn_employees = 50\nmarket_size = 2000\ninitial_customers = 400\n"
SPEC = f"""
[experiment]
name = "on_dask"
steps = 5
replications = 2
seed = 99
metrics = ["nps", "culture_mean", "cumulative_profit"]
{SMALL}
[[events]]
name = "programme"
type = "culture_programme"
step = 2

[parameters]
leadership_commitment = [0.2, 0.8]
programme.boost = [0.3, 0.6]
"""


def flaky_task(task: RunTask) -> RunResult:
    """``run_task``, but the model raises for leadership_commitment 0.8 (a stand-in for a model bug)."""
    if task.params.get("leadership_commitment") == 0.8:
        task = replace(task, params={**task.params, "n_employees": -1})
    return run_task(task)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dask_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "dask", *args]


def stop(proc: subprocess.Popen) -> None:
    """Stop a process group started by this module: TERM, then KILL; always reap the leader."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=5)
            break
        except subprocess.TimeoutExpired:
            continue
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # anything of the group still left (worker processes)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory) -> Iterator[str]:
    """Address of a local scheduler with one worker process group (2 processes, 1 thread each)."""
    from distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path_factory.mktemp("dask")
    # the workers import the installed project, and this module for flaky_task
    paths = [str(Path(__file__).parent), os.environ.get("PYTHONPATH")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, paths))}
    procs, log_files = [], [open(logs / name, "w") for name in ("scheduler.log", "worker.log")]
    try:
        procs.append(
            subprocess.Popen(
                dask_command("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"),
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log_files[0],
                start_new_session=True,
            )
        )
        procs.append(
            subprocess.Popen(
                dask_command(
                    "worker",
                    address,
                    "--nworkers",
                    "2",
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                    "--memory-limit",
                    "0",
                    "--local-directory",
                    str(logs / "work"),
                ),
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log_files[1],
                start_new_session=True,
            )
        )
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=90)
        yield address
    finally:
        for proc in reversed(procs):
            stop(proc)
        for f in log_files:
            f.close()


def test_serial_processes_and_dask_give_identical_results(tmp_path, scheduler):
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(SPEC, encoding="utf-8")
    spec = load_spec(spec_file)
    run_experiment(spec, tmp_path / "serial", progress=False, task_fn=flaky_task)
    with ProcessExecutor(2) as executor:
        run_experiment(spec, tmp_path / "procs", executor=executor, progress=False, task_fn=flaky_task)
    with DaskExecutor(scheduler) as executor:
        summary = run_experiment(
            spec, tmp_path / "dask", executor=executor, progress=False, task_fn=flaky_task
        )
    assert (summary.finished, summary.failed) == (4, 4)
    serial = load_results(tmp_path / "serial")
    assert len(serial) == 4 * 6
    pd.testing.assert_frame_equal(serial, load_results(tmp_path / "procs"))
    pd.testing.assert_frame_equal(serial, load_results(tmp_path / "dask"))
    failed = load_failures(tmp_path / "dask")
    assert sorted(failed.run_id) == sorted(load_failures(tmp_path / "serial").run_id)
    assert set(failed.type) == {"ParameterError"}


def test_cli_runs_on_the_scheduler(tmp_path, scheduler, capsys):
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(SPEC.replace("programme.boost = [0.3, 0.6]", "programme.boost = [0.5]"))
    out = tmp_path / "out"
    assert cli_main(["experiment", str(spec_file), "--out", str(out), "--scheduler", scheduler]) == 0
    assert load_results(out).run_id.nunique() == 4
    assert (
        cli_main(["experiment", str(spec_file), "--out", str(out), "--scheduler", scheduler, "--resume"]) == 0
    )
    assert "0 run(s) finished, 0 failed, 4 already done" in capsys.readouterr().out
    code = cli_main(["experiment", str(spec_file), "--scheduler", scheduler, "--workers", "2"])
    assert code == 2 and "--workers" in capsys.readouterr().err


def test_a_killed_dask_worker_loses_no_run(tmp_path, scheduler):
    spec_file = tmp_path / "spec.toml"
    text = SPEC.replace("programme.boost = [0.3, 0.6]", "programme.boost = [0.5]")
    spec_file.write_text(
        text.replace("replications = 2", "replications = 8").replace("steps = 5", "steps = 20")
    )
    spec = load_spec(spec_file)
    out = tmp_path / "out"
    with DaskExecutor(scheduler) as executor:
        victim = next(iter(executor.client.run(os.getpid).values()))
        killed = threading.Event()

        def kill_after_first_result() -> None:
            deadline = time.monotonic() + 60
            while not list((out / "runs").glob("*.parquet")) and time.monotonic() < deadline:
                time.sleep(0.01)
            os.kill(victim, signal.SIGKILL)  # a worker process of the cluster this module started
            killed.set()

        killer = threading.Thread(target=kill_after_first_result, daemon=True)
        killer.start()
        summary = run_experiment(spec, out, executor=executor, progress=False)
        killer.join(timeout=60)
    assert killed.is_set()
    total = len(build_design(spec).runs)
    assert summary.finished + summary.failed == total
    table = load_results(out)
    assert table.run_id.nunique() == summary.finished
    # a run whose worker died is rescheduled by Dask; only repeated deaths would mark it failed
    assert summary.failed == 0


def test_unreachable_scheduler_is_a_clear_error():
    with pytest.raises(ExecutorError, match="cannot reach the Dask scheduler"):
        DaskExecutor(f"tcp://127.0.0.1:{free_port()}", timeout=2)
