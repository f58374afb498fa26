"""Where runs execute: threads of this process (local) or a Dask cluster. Same store, same history.

A backend takes a `RunRequest` and returns a future of a `RunOutcome`; the scheduler does
all bookkeeping. Threads suffice locally: each run's work happens in its own kernel process.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

from prodkit.errors import BadInput
from prodkit.jobs.execute import RunRequest, execute_run
from prodkit.jobs.store import JobStore

BACKENDS = ("local", "dask", "claim-only")


class LocalBackend:
    """Runs notebooks in a thread pool of this process; a cancel stops the kernel."""

    name = "local"

    def __init__(self, store: JobStore, concurrency: int):
        self.store = store
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="prodkit-run")
        self.describe = f"local threads (concurrency {concurrency})"

    def submit(self, request: RunRequest, cancel: threading.Event) -> Future:
        from prodkit.jobs import runner

        return self.pool.submit(runner.execute, self.store, request, cancel=cancel)

    def cancel(self, future, cancel: threading.Event) -> None:
        cancel.set()

    def close(self) -> None:
        self.pool.shutdown(wait=True)


class ClaimOnlyBackend:
    """Claims and records runs without executing them: each ends `cancelled` ("claim-only").

    For draining a backlog of missed slots without running them, and for checking that
    schedulers sharing one store claim every slot exactly once.
    """

    name = "claim-only"
    describe = "claim-only (runs are claimed and recorded, not executed)"

    def __init__(self, store: JobStore, concurrency: int):
        self.store = store

    def submit(self, request: RunRequest, cancel: threading.Event) -> Future:
        import time

        from prodkit.jobs.execute import RunOutcome
        from prodkit.jobs.model import CANCELLED, RunError

        now = time.time()
        future: Future = Future()
        future.set_result(RunOutcome(CANCELLED, now, now, RunError(
            None, "ClaimOnly", "claimed and recorded by `prodkit scheduler --backend claim-only`; not executed")))
        return future

    def cancel(self, future, cancel: threading.Event) -> None:
        pass

    def close(self) -> None:
        pass


class DaskBackend:
    """Sends runs to a Dask cluster (`address`), or to a LocalCluster it starts.

    Workers need prodkit and the notebook's kernel; output notebooks are written to the
    run's output path, so remote workers need the project folder on a shared filesystem.
    """

    name = "dask"

    def __init__(self, address: str | None, concurrency: int):
        from distributed import Client, LocalCluster

        self.cluster = None
        try:
            if address:
                self.client = Client(address, timeout="5s")
                self.describe = f"dask cluster at {address}"
            else:
                self.cluster = LocalCluster(n_workers=concurrency, threads_per_worker=1, processes=True,
                                            dashboard_address=None)
                self.client = Client(self.cluster)
                self.describe = f"dask LocalCluster ({concurrency} workers)"
        except (OSError, TimeoutError) as e:
            raise BadInput(f"cannot reach the Dask scheduler at {address}: {e}",
                           fix="check --address (tcp://HOST:PORT) and that `dask scheduler` runs there") from None

    def submit(self, request: RunRequest, cancel: threading.Event):
        return self.client.submit(execute_run, request, pure=False, key=f"prodkit-run-{request.run_id}-{id(cancel):x}")

    def cancel(self, future, cancel: threading.Event) -> None:
        cancel.set()
        future.cancel()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_backend(name: str, store: JobStore, concurrency: int, address: str | None = None):
    if name == "local":
        if address:
            raise BadInput("--address needs --backend dask", fix="add --backend dask, or drop --address")
        return LocalBackend(store, concurrency)
    if name == "dask":
        return DaskBackend(address, concurrency)
    if name == "claim-only":
        return ClaimOnlyBackend(store, concurrency)
    raise BadInput(f"unknown backend {name!r}", fix=f"use one of: {', '.join(BACKENDS)}")
