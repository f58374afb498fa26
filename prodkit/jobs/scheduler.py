"""The embedded scheduler: claims due cron slots, runs them with a concurrency limit, retries,
catches up missed slots per job, and marks runs of dead processes as lost.

Every step is a short store transaction, so any number of schedulers can share one store:
a slot is claimed exactly once, a run is started at most once.
"""

from __future__ import annotations

import bisect
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from prodkit.config import Project
from prodkit.errors import BadInput
from prodkit.jobs import runner
from prodkit.jobs.backends import make_backend
from prodkit.jobs.cron import slots_between, utc_now
from prodkit.jobs.execute import RunOutcome
from prodkit.jobs.records import (
    CANCELLED,
    FAILED,
    TRIGGER_CATCHUP,
    TRIGGER_SCHEDULE,
    RunError,
    StoredRun,
    iso,
)
from prodkit.jobs.store import JobStore, Owner, StoreDamaged, StoreUnavailable

Log = Callable[[str], None]
CLAIM_BATCH = 1000  # due jobs claimed per store transaction


@dataclass
class TickReport:
    """What one scheduler tick did."""

    at: float
    claimed: list[int] = field(default_factory=list)
    catch_up: int = 0
    lost: list[int] = field(default_factory=list)
    released: int = 0
    started: list[int] = field(default_factory=list)
    triggered: list[int] = field(default_factory=list)  # runs queued by another run's verdict

    def to_dict(self) -> dict[str, Any]:
        return {"at": iso(self.at), "claimed": self.claimed, "catch_up": self.catch_up, "lost": self.lost,
                "released": self.released, "started": self.started, "triggered": self.triggered}


@dataclass
class _Active:
    run: StoredRun
    future: Any
    cancel: threading.Event


def default_concurrency(project: Project) -> int:
    value = (project.settings.get("max_concurrency") or "").strip()
    if not value:
        return os.cpu_count() or 1
    if not value.isdigit() or int(value) < 1:
        raise BadInput(f"max_concurrency = {value!r} is not a positive integer", path=str(project.root / "settings.ini"),
                       fix="set a number, or leave it empty for the number of CPU cores")
    return int(value)


def plan_claims(rows, now: float, grace_s: float,
                on_error: Callable[[list[str], Exception], None] | None = None) -> tuple[list[tuple], list[tuple]]:
    """Due slots of each job per its catch-up policy, and each job's next due time.

    A slot found more than `grace_s` late was missed (no scheduler ran): `once` runs the latest
    missed slot, `all` every one, `none` none. Jobs sharing (cron, tz) share one croniter walk,
    from the oldest cursor among them; each job takes the slots after its own cursor.
    A group whose slots cannot be computed goes to `on_error` (when given) and keeps its cursor;
    the other jobs are planned as usual. A job without a cron (manual-only or triggered) has no
    slots: it is never claimed here, and its next due time is cleared.
    """
    groups: dict[tuple[str, str], list] = {}
    claims: list[tuple] = []
    cursors: list[tuple] = []
    for row in rows:
        if row["cron"]:
            groups.setdefault((row["cron"], row["tz"]), []).append(row)
        else:
            cursors.append((None, row["name"]))
    for (cron, tz), members in groups.items():
        try:
            slots, next_due = slots_between(cron, tz, min(r["checked_until"] for r in members), now)
        except Exception as e:
            if on_error is None:
                raise
            on_error([r["name"] for r in members], e)
            continue
        for row in members:
            mine = slots[bisect.bisect_right(slots, row["checked_until"]):]
            missed = [s for s in mine if now - s > grace_s]
            policy = row["catch_up"]
            keep = missed if policy == "all" else missed[-1:] if policy == "once" else []
            job = (row["name"], row["parameters"], row["notebook"])
            claims += [(job[0], slot, TRIGGER_CATCHUP, job[1], job[2]) for slot in keep]
            claims += [(job[0], slot, TRIGGER_SCHEDULE, job[1], job[2]) for slot in mine[len(missed):]]
            cursors.append((next_due, row["name"]))
    return claims, cursors


class Scheduler:
    """Claims and runs the jobs of one project. `tick()` is one step; `run()` loops."""

    def __init__(self, project: Project, *, store: JobStore | None = None, backend: Any = "local",
                 address: str | None = None, concurrency: int | None = None, poll_s: float = 5.0,
                 grace_s: float = 120.0, lease_s: float = 60.0, clock: Callable[[], float] = utc_now,
                 log: Log | None = None, claim_batch: int = CLAIM_BATCH):
        self.project = project
        self.store = store or _open_store(project)
        self.concurrency = concurrency or default_concurrency(project)
        if self.concurrency < 1:
            raise BadInput("concurrency must be at least 1", fix="pass --concurrency 1 or more")
        # A backend object (not a name) is the caller's: used as is, never closed here.
        self.backend_name, self.address = (backend, address) if isinstance(backend, str) else (backend.name, address)
        self._backend = None if isinstance(backend, str) else backend
        self._owns_backend = isinstance(backend, str)
        self.poll_s, self.grace_s, self.lease_s = poll_s, grace_s, lease_s
        if claim_batch < 1:
            raise BadInput("claim batch must be at least 1", fix="pass --claim-batch 1 or more")
        self.claim_batch = claim_batch
        self.clock = clock
        self.log: Log = log or (lambda line: None)
        self.owner = str(Owner.current())
        self.active: dict[int, _Active] = {}
        self._wake = threading.Event()
        self._last_heartbeat = 0.0
        self._job_errors: dict[str, str] = {}  # job -> its last logged planning error (logged once)

    def connect(self) -> None:
        """Start or reach the backend now (a bad Dask address fails here, not at the first run)."""
        self.backend  # noqa: B018

    @property
    def backend(self):
        if self._backend is None:
            self._backend = make_backend(self.backend_name, self.store, self.concurrency, self.address,
                                         lib_path=self.project.lib_path,
                                         output_url=self.project.settings.get("output_url") or None)
            self.log(f"executing on {self._backend.describe}")
        return self._backend

    # ---- one step ---------------------------------------------------------------------

    def claim(self, now: float | None = None) -> list[int]:
        """Claim the due slots (no execution): the run ids this scheduler won."""
        return list(self._claim(self.clock() if now is None else now))

    def _claim(self, now: float) -> dict[int, str]:
        """One short transaction per `claim_batch` due jobs, until none is left (others may claim in between)."""
        claimed: dict[int, str] = {}
        seen: set[str] = set()
        while True:
            won, looked_at = self.store.claim_slots(
                now, self.owner, lambda rows, at: plan_claims(rows, at, self.grace_s, self._job_error),
                limit=self.claim_batch)
            claimed.update(won)
            if len(looked_at) < self.claim_batch or seen.issuperset(looked_at):  # all done, or only unplannable left
                return claimed
            seen.update(looked_at)

    def _job_error(self, jobs: list[str], error: Exception) -> None:
        """A job whose slots cannot be planned is skipped (and logged once); the others go on."""
        line = f"{type(error).__name__}: {error}"
        for job in jobs:
            if self._job_errors.get(job) != line:
                self._job_errors[job] = line
                self.log(f"job {job} skipped: cannot plan its cron slots ({line})")

    def tick(self, now: float | None = None) -> TickReport:
        """Recover dead runs, claim due slots, collect what ended, start what fits."""
        now = self.clock() if now is None else now
        report = TickReport(at=now)
        lost, report.released = self.store.recover_lost(self.owner, now, self.lease_s)
        for run in lost:
            report.lost.append(run.run_id)
            _kill_orphan_kernel(run)
            self.log(f"run {run.run_id} ({run.job}) lost: the process running it ({run.owner}) died; "
                     f"partial output kept at {run.output_path}")
        claimed = self._claim(now)
        if len(claimed) > self.concurrency:  # more than this scheduler can start: let others take the rest
            self.store.release_surplus(self.owner, keep=self.concurrency - len(self.active))
        report.claimed = list(claimed)
        report.catch_up = sum(trigger == TRIGGER_CATCHUP for trigger in claimed.values())
        if report.catch_up:
            self.log(f"caught up {report.catch_up} slot(s) missed while no scheduler ran")
        self.collect(now)
        from prodkit.jobs.triggers import fire

        report.triggered = fire(self.store, self.owner, now, self.log)
        report.started = self.dispatch(now)
        self._heartbeat(now)
        return report

    def _heartbeat(self, now: float) -> None:
        """Tell schedulers on other hosts this one is alive (they judge its runs by it)."""
        if now - self._last_heartbeat >= self.lease_s / 4:
            self.store.heartbeat(self.owner, now)
            self._last_heartbeat = now

    def dispatch(self, now: float) -> list[int]:
        """Start queued runs (ours, then unowned ones), oldest first, up to the concurrency limit."""
        free = self.concurrency - len(self.active)
        if free <= 0:
            return []
        started: list[int] = []
        queued = self.store.queued_for(self.owner, now, limit=free)
        if len(queued) < free and self.store.adopt_queued(self.owner, now, limit=free - len(queued)):
            queued = self.store.queued_for(self.owner, now, limit=free)  # released runs, retries left by --once
        for run in queued[:free]:
            try:
                job = self.store.get_job(run.job)
            except (StoreDamaged, StoreUnavailable):
                raise  # a store problem is not a removed job
            except BadInput:
                self.store.finish_run(run.run_id, status=CANCELLED, ended_at=now,
                                      error=RunError(None, "JobRemoved", f"job {run.job!r} no longer exists"))
                continue
            try:
                request = runner.start(self.store, self.project, job, run, self.owner, now)
                if request is None:
                    continue
                cancel = threading.Event()
                future = self.backend.submit(request, cancel)
            except Exception as e:  # one bad job must not stop the others
                error = RunError(None, type(e).__name__, str(e))
                self.store.finish_run(run.run_id, status=FAILED, ended_at=now, error=error)
                self.log(f"run {run.run_id} ({run.job}) failed to start: {error.line()}")
                continue
            future.add_done_callback(lambda _f: self._wake.set())
            self.active[run.run_id] = _Active(run, future, cancel)
            started.append(run.run_id)
            what = f"attempt {run.attempt} " if run.attempt > 1 else ""
            self.log(f"run {run.run_id} ({run.job}) started: {what}{run.trigger} slot {iso(run.scheduled_for)}")
        return started

    def collect(self, now: float | None = None) -> list[int]:
        """Record the outcome of every finished run (and queue retries)."""
        finished = [rid for rid, a in self.active.items() if a.future.done()]
        for run_id in finished:
            active = self.active.pop(run_id)
            outcome = _outcome(active)
            now = self.clock() if now is None else now
            try:
                job = self.store.get_job(active.run.job)
            except (StoreDamaged, StoreUnavailable):
                raise
            except BadInput:
                job = None
            retry = runner.record(self.store, job, active.run, outcome, self.owner, now)
            from prodkit.jobs.triggers import notify_run_end

            notify_run_end(self.project, self.store.get_run(run_id))
            took = outcome.ended_at - outcome.started_at
            detail = f": {outcome.error.line()}" if outcome.error else ""
            self.log(f"run {run_id} ({active.run.job}) {outcome.status} in {took:.1f} s{detail}")
            if retry:
                self.log(f"run {retry} ({active.run.job}) queued: retry {active.run.attempt + 1} of run "
                         f"{active.run.retry_of or run_id} in {job.retry_backoff_s * 2 ** (active.run.attempt - 1):g} s")
        return finished

    # ---- loops ------------------------------------------------------------------------

    def run_once(self) -> TickReport:
        """Run whatever is due now, wait for it (queue included), and return. For cron/systemd and tests.

        Runs triggered by the verdicts of runs that end meanwhile are run too."""
        from prodkit.jobs.triggers import fire

        report = self.tick()
        try:
            while True:
                self._heartbeat(self.clock())  # runs on Dask have no per-run heartbeat: ours keeps them alive
                self.collect()
                report.triggered += fire(self.store, self.owner, self.clock(), self.log)
                report.started += self.dispatch(self.clock())
                if not self.active:
                    break
                self._wait(self.poll_s)
        finally:
            self.close()
        return report

    def run(self, stop: threading.Event | None = None) -> None:
        """Tick until `stop` is set or Ctrl-C. First Ctrl-C: finish running notebooks; second: cancel them."""
        stop = stop or threading.Event()
        self.log(f"scheduler {self.owner} on {self.store.path} (concurrency {self.concurrency}, Ctrl-C stops)")
        self.connect()
        try:
            while not stop.is_set():
                try:
                    self.tick()
                except StoreUnavailable as e:  # e.g. the store stayed locked past busy_timeout, or its server restarts
                    self.log(f"store busy ({e}); retrying in {self.poll_s:g} s")
                except Exception as e:  # a bug in one step must not stop the scheduler
                    self.log(f"scheduler step failed ({type(e).__name__}: {e}); retrying in {self.poll_s:g} s")
                self._wait(self._sleep_for())
        except KeyboardInterrupt:
            pass
        self.stop()

    def stop(self) -> None:
        """Claim nothing more; let running notebooks finish (Ctrl-C again cancels them); release the queue."""
        try:
            if self.active:
                self.log(f"stopping: waiting for {len(self.active)} running notebook(s); Ctrl-C again cancels them")
                try:
                    while self.active:
                        self.collect()
                        self._heartbeat(self.clock())
                        self._wait(0.5)
                except KeyboardInterrupt:
                    self.cancel_all()
        finally:
            self.close()

    def cancel_run(self, run_id: int) -> bool:
        """Stop one running notebook (on whichever backend runs it); False when it is not ours or not running."""
        active = self.active.get(run_id)
        if active is None:
            return False
        self.backend.cancel(active.future, active.cancel)
        return True

    def cancel_all(self) -> None:
        """Stop every running notebook and record it as cancelled."""
        with _ignore_sigint():
            for active in list(self.active.values()):
                self.backend.cancel(active.future, active.cancel)
            deadline = time.monotonic() + 15
            while self.active and time.monotonic() < deadline:
                self.collect()
                self._wait(0.2)
            for run_id, active in list(self.active.items()):
                self.store.finish_run(run_id, status=CANCELLED, ended_at=self.clock(),
                                      error=RunError(None, "Cancelled", "stopped on request"))
                self.active.pop(run_id)
                self.log(f"run {run_id} ({active.run.job}) cancelled")

    def close(self) -> None:
        released = self.store.release_queued(self.owner)
        if released:
            self.log(f"released {released} queued run(s) for the next scheduler")
        if self._backend is not None and self._owns_backend:
            self._backend.close()
            self._backend = None

    def _sleep_for(self) -> float:
        wake = self.store.next_wakeup(self.owner)
        until = wake - self.clock() if wake is not None else self.poll_s
        return max(0.05, min(self.poll_s, until))

    def _wait(self, seconds: float) -> None:
        self._wake.wait(seconds)
        self._wake.clear()


def _open_store(project: Project) -> JobStore:
    from prodkit.jobs.api import open_store

    return open_store(project)


def _outcome(active: _Active) -> RunOutcome:
    now = time.time()
    try:
        return active.future.result()
    except BaseException as e:  # CancelledError from Dask, or a bug in the worker
        if active.cancel.is_set():
            return RunOutcome(CANCELLED, active.run.started_at or now, now, RunError(None, "Cancelled", "stopped on request"))
        return RunOutcome(FAILED, active.run.started_at or now, now, RunError(None, type(e).__name__, str(e)))


def _kill_orphan_kernel(run: StoredRun) -> None:
    """The kernel of a lost run, if it outlived its scheduler on this host (ipykernel usually exits itself)."""
    owner = Owner.parse(run.owner or "")
    if not run.kernel_pid or owner is None or owner.is_dead() is None:
        return
    import psutil

    try:
        proc = psutil.Process(run.kernel_pid)
        if "ipykernel" in " ".join(proc.cmdline()) and proc.create_time() >= owner.started:
            proc.kill()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        pass


class _ignore_sigint:
    """Keep a third Ctrl-C from interrupting the cancel bookkeeping."""

    def __enter__(self):
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, signal.SIG_IGN)

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
