"""Where runs execute: threads of this process (local) or a Dask cluster. Same store, same history.

A backend takes a `RunRequest` and returns a future of a `RunOutcome`; the scheduler does
all bookkeeping. Threads suffice locally: each run's work happens in its own kernel process.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from prodkit.errors import BadInput
from prodkit.jobs.execute import RunRequest
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
        from prodkit.jobs.records import CANCELLED, RunError

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

    Workers need prodkit and the notebook's kernel, nothing else: no shared disk. Each run
    travels as a `PortableRun` (notebook, parameters, promoted modules) and comes back as a
    `PortableResult` that this process writes into the run folder and the store
    (`prodkit.jobs.portable`); `output_url` sends output notebooks to an fsspec URL instead.
    """

    name = "dask"

    def __init__(self, address: str | None, concurrency: int, *, store: JobStore | None = None,
                 lib_path: Path | None = None, output_url: str | None = None):
        from distributed import Client, LocalCluster

        self.cluster = None
        self.store, self.lib_path, self.output_url = store, lib_path, output_url
        self._events: dict[int, str] = {}
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

    def submit(self, request: RunRequest, cancel: threading.Event) -> Future:
        """A future of the run's `RunOutcome`, complete once its files and artifacts are stored."""
        from prodkit.jobs import portable

        event = portable.cancel_event_name(request.run_id, f"{id(cancel):x}")
        payload = portable.pack(request, self.lib_path, cancel_event=event, output_url=self.output_url)
        remote = self.client.submit(portable.run_portable, payload, pure=False, key=f"prodkit-run-{request.run_id}-{id(cancel):x}")
        self._events[id(cancel)] = event
        done: Future = Future()

        def finish(remote_future) -> None:
            try:
                result = remote_future.result()
                outcome = portable.unpack(result, request, self.store) if self.store else result.outcome
            except BaseException as e:  # CancelledError, a worker that died: the scheduler records it
                self._done(cancel, event)
                done.set_exception(e)
            else:
                self._done(cancel, event)
                done.set_result(outcome)

        remote.add_done_callback(finish)
        done.dask_future = remote  # kept alive with the run, and for cancel()
        return done

    def cancel(self, future, cancel: threading.Event) -> None:
        """Stop the kernel on the worker (via a cluster-wide Event the worker polls)."""
        from distributed import Event

        cancel.set()
        name = self._events.get(id(cancel))
        if name:  # a run not started yet sees it when it starts, and stops at once
            Event(name, client=self.client).set()

    def _done(self, cancel: threading.Event, event: str) -> None:
        """Drop the run's cancel and started Events from the Dask scheduler (it keeps set Events forever)."""
        from distributed import Event

        from prodkit.jobs.portable import started_event_name

        self._events.pop(id(cancel), None)
        for name in (event, started_event_name(event)):
            try:
                Event(name, client=self.client).clear()
            except Exception:  # noqa: BLE001,S110 - the cluster went away: nothing left to forget
                pass

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_backend(name: str, store: JobStore, concurrency: int, address: str | None = None, *,
                 lib_path: Path | None = None, output_url: str | None = None):
    if name == "local":
        if address:
            raise BadInput("--address needs --backend dask", fix="add --backend dask, or drop --address")
        return LocalBackend(store, concurrency)
    if name == "dask":
        return DaskBackend(address, concurrency, store=store, lib_path=lib_path, output_url=output_url)
    if name == "claim-only":
        return ClaimOnlyBackend(store, concurrency)
    raise BadInput(f"unknown backend {name!r}", fix=f"use one of: {', '.join(BACKENDS)}")
