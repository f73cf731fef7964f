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
from pathlib import Path

import pandas as pd
import pytest
from experiments_support import flaky_task

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
def scheduler(cluster) -> str:
    """The address of the module's local scheduler."""
    return cluster[0]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """Address and scheduler file of a local scheduler with one worker process group
    (2 processes, 1 thread each, each under a nanny that restarts it if it dies)."""
    from distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path_factory.mktemp("dask")
    scheduler_file = logs / "scheduler.json"
    # the workers import the installed project, and tests/experiments_support for flaky_task
    paths = [str(Path(__file__).parent), os.environ.get("PYTHONPATH")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, paths))}
    procs, log_files = [], [open(logs / name, "w") for name in ("scheduler.log", "worker.log")]
    try:
        procs.append(
            subprocess.Popen(
                dask_command(
                    "scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--no-dashboard",
                    "--scheduler-file",
                    str(scheduler_file),
                ),
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
        yield address, scheduler_file
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


def test_a_killed_dask_worker_is_replaced_and_loses_no_run(tmp_path, scheduler):
    spec_file = tmp_path / "spec.toml"
    text = SPEC.replace("programme.boost = [0.3, 0.6]", "programme.boost = [0.5]")
    spec_file.write_text(
        text.replace("replications = 2", "replications = 8").replace("steps = 5", "steps = 20")
    )
    spec = load_spec(spec_file)
    out = tmp_path / "out"
    with DaskExecutor(scheduler) as executor:
        before = executor.client.run(os.getpid)
        victim = next(iter(before.values()))
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
        executor.client.wait_for_workers(2, timeout=60)  # its nanny started a new one
        after = set(executor.client.run(os.getpid).values())
    assert killed.is_set()
    assert len(after) == 2 and victim not in after
    total = len(build_design(spec).runs)
    assert summary.finished + summary.failed == total
    table = load_results(out)
    assert table.run_id.nunique() == summary.finished and len(table) == summary.finished * 21
    # a run whose worker died is rescheduled by Dask; only repeated deaths would mark it failed
    assert summary.failed == 0


def test_a_scheduler_file_and_the_cli_say_which_scheduler_they_trust(tmp_path, cluster, monkeypatch, capsys):
    address, scheduler_file = cluster
    with DaskExecutor(scheduler_file=scheduler_file) as executor:
        assert executor.address == address and executor.workers == 2
        assert executor.describe() == f"the Dask scheduler at {address} (2 worker(s), 2 thread(s))"

    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(SPEC.replace("programme.boost = [0.3, 0.6]", "programme.boost = [0.5]"))
    out = tmp_path / "out"
    assert (
        cli_main(["experiment", str(spec_file), "--out", str(out), "--scheduler-file", str(scheduler_file)])
        == 0
    )
    err = capsys.readouterr().err
    assert f"trusting the Dask scheduler at {address}" in err and "TLS" in err
    assert load_results(out).run_id.nunique() == 4


@pytest.mark.timeout(60)  # a probe that hung would fail here instead of blocking the suite
@pytest.mark.parametrize(
    "kind", ["garbage", "no port", "unknown scheme", "not dask", "nobody", "no file", "bad file"]
)
def test_a_wrong_scheduler_is_one_line_not_a_hang(tmp_path, monkeypatch, capsys, kind):

    silent = socket.socket()  # accepts connections and never answers, like a port of another service
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    (tmp_path / "bad.json").write_text("{not json")
    option, value, message = {
        "garbage": ("--scheduler", "garbage", "is not a Dask scheduler address"),
        "no port": ("--scheduler", "tcp://127.0.0.1", "is not a Dask scheduler address"),
        "unknown scheme": ("--scheduler", "http://127.0.0.1:80", "unknown address scheme"),
        "not dask": (
            "--scheduler",
            f"tcp://127.0.0.1:{silent.getsockname()[1]}",
            "no Dask scheduler answers",
        ),
        "nobody": ("--scheduler", f"tcp://127.0.0.1:{free_port()}", "no Dask scheduler answers"),
        "no file": ("--scheduler-file", str(tmp_path / "none.json"), "does not exist"),
        "bad file": ("--scheduler-file", str(tmp_path / "bad.json"), "is not a Dask scheduler file"),
    }[kind]
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(SPEC)
    try:
        code = cli_main(["experiment", str(spec_file), option, value, "--connect-timeout", "2"])
    finally:
        silent.close()
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines


def test_workers_all_paused_for_memory_is_an_error_not_a_hang(scheduler):
    from distributed.core import Status

    from experiments.executors import ExecutorError

    def set_status(dask_worker, status):
        dask_worker.status = status

    with DaskExecutor(scheduler) as executor:
        executor.stall_check = 1.0
        executor.client.run(set_status, status=Status.paused)
        try:
            with pytest.raises(ExecutorError, match="every Dask worker is paused"):
                list(executor.run(time.sleep, [0.01] * 4))
        finally:
            executor.client.run(set_status, status=Status.running)
        assert [t for t, _ in executor.run(abs, [-1, -2])]  # running again


def test_a_cluster_object_and_a_slurm_recipe_without_a_queue(tmp_path):
    """dask-jobqueue's SLURMCluster as a stand-in where no queue exists: its job script
    carries the worker environment, and the executor takes the cluster object (and says
    at once that no job has started a worker)."""
    from experiments.clusters import jobqueue_cluster
    from experiments.executors import ExecutorError

    cluster = jobqueue_cluster(
        "slurm",
        workers_per_job=4,
        memory_per_worker_mib=1024,
        checkout=tmp_path / "checkout",
        queue="normal",
        scheduler_options={"host": "127.0.0.1", "dashboard_address": "127.0.0.1:0"},
    )
    try:
        script = cluster.job_script()
        assert f"export PYTHONPATH={tmp_path / 'checkout'}" in script
        assert "--nthreads 1" in script and "--nworkers 4" in script and "--memory-limit 1.00GiB" in script
        assert "#SBATCH -p normal" in script and "#SBATCH --cpus-per-task=4" in script
        with pytest.raises(ExecutorError, match="has no workers"):
            DaskExecutor(cluster, timeout=1)
    finally:
        cluster.close()
    with pytest.raises(ValueError, match="unknown batch system"):
        jobqueue_cluster("condor")


def test_unreachable_scheduler_is_a_clear_error():
    with pytest.raises(ExecutorError, match="no Dask scheduler answers at"):
        DaskExecutor(f"tcp://127.0.0.1:{free_port()}", timeout=2)
