"""Swappable executors behind one interface: serial, local processes, Dask.

``executor.run(fn, tasks)`` yields ``(task, outcome)`` as runs finish, in any
order. ``outcome`` is what ``fn`` returned, or a ``WorkerLost`` when the process
running the task died (out of memory, killed) and the task could not be finished.
Each executor is a context manager that releases its workers on exit.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Protocol


class WorkerLost(Exception):
    """The process running a task died before returning a result."""


class ExecutorError(RuntimeError):
    """An executor cannot be used (e.g. the Dask scheduler is unreachable)."""


class Executor(Protocol):
    """Runs a picklable function over tasks and yields results as they finish."""

    name: str
    workers: int

    def describe(self) -> str: ...

    def run(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[tuple[Any, Any]]: ...

    def __enter__(self) -> Executor: ...

    def __exit__(self, *exc: object) -> None: ...


class SerialExecutor:
    """Runs tasks one after another in this process (debugging, tests, one core)."""

    name = "serial"
    workers = 1

    def describe(self) -> str:
        return "this process (serial)"

    def run(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        for task in tasks:
            yield task, fn(task)

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class ProcessExecutor:
    """A local pool of ``workers`` processes.

    Workers are forked from a *forkserver* that has imported the model once, so
    they start fast and inherit no threads or open files from the runner.

    If a worker process dies, the pool is rebuilt and the tasks that were in
    flight are retried one at a time; a task that kills a worker on its own is
    reported as ``WorkerLost``. Finished results are never lost.
    """

    name = "processes"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None

    def describe(self) -> str:
        return f"{self.workers} local process(es)"

    def _new_pool(self) -> ProcessPoolExecutor:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        context = get_context("forkserver")
        context.set_forkserver_preload(["experiments.evaluate"])
        self._pool = ProcessPoolExecutor(
            self.workers, mp_context=context, initializer=_exit_with_runner, initargs=(os.getpid(),)
        )
        return self._pool

    def run(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        queue, suspects = deque(tasks), deque()
        if not queue:
            return
        inflight: dict[Future, Any] = {}
        pool = self._pool or self._new_pool()  # started by __enter__, or after a crash, a fresh one
        while queue or suspects or inflight:
            if suspects:  # after a crash, retry the tasks that were in flight one by one
                if not inflight:
                    task = suspects.popleft()
                    inflight[pool.submit(fn, task)] = task
            else:
                while queue and len(inflight) < 2 * self.workers:
                    task = queue.popleft()
                    inflight[pool.submit(fn, task)] = task
            done, _ = wait(inflight, return_when=FIRST_COMPLETED)
            broken = []
            for future in done:
                task = inflight.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool:
                    broken.append(task)
                    continue
                except Exception as exc:  # e.g. a task that cannot be pickled
                    result = exc
                yield task, result
            if broken:
                broken.extend(inflight.values())
                inflight.clear()
                pool = self._new_pool()
                if len(broken) == 1:
                    yield broken[0], WorkerLost("the worker process running this run died")
                else:
                    suspects.extend(broken)

    def __enter__(self) -> ProcessExecutor:
        """Start the workers now, so they import the model while the runner prepares."""
        pool = self._new_pool()
        for _ in range(self.workers):
            pool.submit(os.getpid)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            interrupted = exc and exc[0] is not None
            self._pool.shutdown(wait=not interrupted, cancel_futures=True)
            self._pool = None


class DaskExecutor:
    """Runs tasks on a Dask distributed cluster.

    ``target`` is a scheduler address (``tcp://host:8786``, ``tls://...``), a
    cluster object (``LocalCluster``, dask-jobqueue's ``SLURMCluster``, a
    Kubernetes cluster, anything with a ``scheduler_address``) or a ``Client``;
    or give ``scheduler_file``, the JSON file ``dask scheduler --scheduler-file``
    writes. Runs travel in small chunks (at most ``chunk`` a Dask task), which cuts
    the scheduler's and this runner's work per run about fourfold; a chunk whose
    worker dies is rescheduled whole. Before connecting, the address is probed with a deadline, so a wrong
    address, a port where no Dask scheduler answers, or a scheduler without
    workers is a one-line ``ExecutorError`` within ``timeout`` seconds, never a hang.

    The workers must be able to import this project (install it there, or start
    them with ``PYTHONPATH`` pointing at the checkout) and run the same code:
    ``check`` compares the code fingerprint. Whoever can reach a scheduler can run
    code on its workers: keep it on loopback or a private network, and use TLS
    (``security=``) for anything shared.
    """

    name = "dask"

    def __init__(
        self,
        target: Any = None,
        *,
        scheduler_file: str | Path | None = None,
        timeout: float = 5.0,
        security: Any = None,
    ) -> None:
        from distributed import Client

        self._own_client = True
        if (target is None) == (scheduler_file is None):
            raise ExecutorError(
                "give the Dask executor either a scheduler address, a cluster or a scheduler file"
            )
        if isinstance(target, Client):
            self.client, self._own_client = target, False
            self.address = target.scheduler.address
        else:
            if scheduler_file is not None:
                address = _address_from_file(Path(scheduler_file))
            elif isinstance(target, str | Path):
                address = str(target)
            else:
                address = getattr(target, "scheduler_address", None)
                if not isinstance(address, str):
                    raise ExecutorError(f"{type(target).__name__} is neither a Dask cluster nor an address")
                security = security or getattr(target, "security", None)
            _probe(address, timeout, security)
            self.address = address
            try:
                self.client = Client(address, timeout=timeout, set_as_default=False, security=security)
            except (OSError, TimeoutError) as exc:
                raise ExecutorError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        try:
            self.client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            self.close()
            raise ExecutorError(
                f"the Dask scheduler at {self.address} has no workers (waited {timeout:g} s)"
            ) from None

    @property
    def workers(self) -> int:
        """Worker threads the scheduler knows now (runs that can execute at once)."""
        info = self.client.scheduler_info()["workers"]
        return sum(w.get("nthreads", 1) for w in info.values()) or 1

    def describe(self) -> str:
        """Which scheduler this executor trusts with the code it sends."""
        info = self.client.scheduler_info()["workers"]
        return f"the Dask scheduler at {self.address} ({len(info)} worker(s), {self.workers} thread(s))"

    def close(self) -> None:
        if self._own_client:
            self.client.close()

    def check(self, fingerprint: str) -> None:
        """Fail early unless every worker can import the runner and runs the same model code."""
        try:
            found = self.client.run(_worker_fingerprint)
        except Exception as exc:  # Dask re-raises a worker's ImportError as Exception
            raise ExecutorError(
                f"Dask workers cannot import this project ({exc}); install it on the workers "
                "or start them with PYTHONPATH set to the checkout"
            ) from None
        differ = sorted(w for w, fp in found.items() if fp != fingerprint)
        if differ:
            raise ExecutorError(f"Dask workers {', '.join(differ)} run different model code than this runner")

    def run(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        from distributed import as_completed

        tasks = list(tasks)
        if not tasks:
            return
        size = max(1, min(self.chunk, len(tasks) // (4 * self.workers)))
        chunks = [tasks[i : i + size] for i in range(0, len(tasks), size)]
        futures = self.client.map(_run_chunk, chunks, fn=fn, pure=False)
        by_key = {f.key: c for f, c in zip(futures, chunks, strict=True)}
        finished = as_completed(futures, loop=self.client.loop)
        idle_since = time.monotonic()
        try:
            while by_key:
                if not finished.has_ready():
                    if time.monotonic() - idle_since > self.stall_check:
                        self._check_not_stalled()
                        idle_since = time.monotonic()
                    with finished.thread_condition:
                        finished.thread_condition.wait(timeout=0.1)
                    continue
                idle_since = time.monotonic()
                for future in finished.next_batch(block=False):
                    chunk = by_key.pop(future.key)
                    try:
                        results = future.result()
                    except Exception as exc:  # KilledWorker and other cluster errors
                        results = [WorkerLost(f"{type(exc).__name__}: {exc}")] * len(chunk)
                    future.release()
                    yield from zip(chunk, results, strict=True)
        finally:
            left = [f for f in futures if f.key in by_key]
            if left:
                self.client.cancel(left)

    chunk = 8  # runs per Dask task at most: fewer round trips through the scheduler

    stall_check = 30.0  # seconds without a finished run before the workers' state is checked

    def _check_not_stalled(self) -> None:
        """Raise if no worker can run anything: all gone, or all paused for memory."""
        workers = self.client.scheduler_info()["workers"].values()
        if not workers:
            raise ExecutorError(f"the Dask scheduler at {self.address} lost all its workers")
        if all(str(w.get("status", "")).endswith("paused") for w in workers):
            raise ExecutorError(
                "every Dask worker is paused because its memory is above the pause threshold (80% of "
                "--memory-limit by default); give workers more memory or fewer threads, then --resume"
            )

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _exit_with_runner(runner: int) -> None:
    """Worker initializer: end this worker once the runner is gone (e.g. killed with kill -9).

    A pool worker otherwise waits forever for tasks from a runner that no longer exists.
    """

    def alive() -> bool:
        try:
            os.kill(runner, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        try:  # a killed runner not yet reaped by its parent is a zombie
            stat = Path(f"/proc/{runner}/stat").read_text()
        except OSError:
            return True
        return stat.rpartition(")")[2].split()[0] != "Z"

    def watch() -> None:
        while alive():
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="cxlab-runner-watch", daemon=True).start()


def _run_chunk(tasks: list[Any], fn: Callable[[Any], Any]) -> list[Any]:
    """Run a few tasks on one Dask worker; an exception is that task's outcome, not the chunk's."""
    out = []
    for task in tasks:
        try:
            out.append(fn(task))
        except Exception as exc:
            out.append(exc)
    return out


def _worker_fingerprint() -> str:
    return importlib.import_module("experiments.store").code_fingerprint()


def _address_from_file(path: Path) -> str:
    try:
        address = json.loads(path.read_text(encoding="utf-8"))["address"]
    except FileNotFoundError:
        raise ExecutorError(f"scheduler file {path} does not exist (has the scheduler started?)") from None
    except (OSError, ValueError, KeyError, TypeError):
        raise ExecutorError(f"{path} is not a Dask scheduler file (no readable 'address')") from None
    if not isinstance(address, str):
        raise ExecutorError(f"{path} is not a Dask scheduler file (no readable 'address')")
    return address


def _probe(address: str, timeout: float, security: Any = None) -> None:
    """Check within ``timeout`` seconds that a Dask scheduler answers at ``address``.

    ``distributed.Client`` can wait forever on a port where something else listens.
    """
    from distributed.comm import connect
    from distributed.comm.addressing import parse_address
    from distributed.comm.registry import backends

    try:
        scheme, location = parse_address(address)
        if scheme not in backends:
            raise ValueError(f"unknown address scheme '{scheme}'; known: {', '.join(sorted(backends))}")
        if ":" not in location:
            raise ValueError("missing port number")
    except ValueError as exc:
        raise ExecutorError(
            f"'{address}' is not a Dask scheduler address like tcp://host:8786 ({exc})"
        ) from None
    args = security.get_connection_args("client") if security is not None else {}

    async def identity() -> Any:
        comm = await asyncio.wait_for(connect(address, timeout=timeout, **args), timeout)
        try:
            await asyncio.wait_for(comm.write({"op": "identity", "reply": True}), timeout)
            return await asyncio.wait_for(comm.read(), timeout)
        finally:
            comm.abort()

    with ThreadPoolExecutor(1) as pool:  # its own event loop, also when the caller runs one
        future = pool.submit(asyncio.run, identity())
        try:
            info = future.result(timeout + 5)
        except Exception as exc:  # refused, timed out, or garbage from something that is not Dask
            why = "no answer" if isinstance(exc, TimeoutError) else type(exc).__name__
            raise ExecutorError(
                f"no Dask scheduler answers at {address} ({why} within {timeout:g} s); check the address and port"
            ) from None
    if not isinstance(info, dict) or info.get("type") != "Scheduler":
        raise ExecutorError(f"what answers at {address} is not a Dask scheduler")


def make_executor(
    workers: int | None = None,
    scheduler: str | None = None,
    *,
    scheduler_file: str | Path | None = None,
    timeout: float = 5.0,
) -> Executor:
    """Dask if a scheduler address or file is given, else local processes (serial for one worker)."""
    if scheduler or scheduler_file:
        return DaskExecutor(scheduler, scheduler_file=scheduler_file, timeout=timeout)
    workers = workers or os.cpu_count() or 1
    return SerialExecutor() if workers == 1 else ProcessExecutor(workers)
