"""Swappable executors behind one interface: serial, local processes, Dask.

``executor.run(fn, tasks)`` yields ``(task, outcome)`` as runs finish, in any
order. ``outcome`` is what ``fn`` returned, or a ``WorkerLost`` when the process
running the task died (out of memory, killed) and the task could not be finished.
Each executor is a context manager that releases its workers on exit.
"""

from __future__ import annotations

import importlib
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
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

    def run(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[tuple[Any, Any]]: ...

    def __enter__(self) -> Executor: ...

    def __exit__(self, *exc: object) -> None: ...


class SerialExecutor:
    """Runs tasks one after another in this process (debugging, tests, one core)."""

    name = "serial"

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
        pool = self._new_pool()
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
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            interrupted = exc and exc[0] is not None
            self._pool.shutdown(wait=not interrupted, cancel_futures=True)
            self._pool = None


class DaskExecutor:
    """Runs tasks on a Dask distributed cluster at ``address`` (``tcp://host:port``).

    The workers must be able to import this project (install it there, or start
    them with ``PYTHONPATH`` pointing at the checkout) and should run the same
    model code: ``check`` compares a fingerprint of the model sources.
    """

    name = "dask"

    def __init__(self, address: str, *, timeout: float = 30.0) -> None:
        from distributed import Client

        self.address = address
        try:
            self.client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ExecutorError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        try:
            self.client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            self.client.close()
            raise ExecutorError(f"the Dask scheduler at {address} has no workers") from None

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
        futures = self.client.map(fn, tasks, pure=False)
        by_key = {f.key: t for f, t in zip(futures, tasks, strict=True)}
        try:
            for future in as_completed(futures, loop=self.client.loop):
                task = by_key.pop(future.key)
                try:
                    result = future.result()
                except Exception as exc:  # KilledWorker and other cluster errors
                    result = WorkerLost(f"{type(exc).__name__}: {exc}")
                future.release()
                yield task, result
        finally:
            pending = [f for f in futures if f.key in by_key]
            if pending:
                self.client.cancel(pending)

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()


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


def _worker_fingerprint() -> str:
    return importlib.import_module("experiments.store").model_fingerprint()


def make_executor(workers: int | None = None, scheduler: str | None = None) -> Executor:
    """Dask if a scheduler address is given, else local processes (serial for one worker)."""
    if scheduler:
        return DaskExecutor(scheduler)
    workers = workers or os.cpu_count() or 1
    return SerialExecutor() if workers == 1 else ProcessExecutor(workers)
