"""Execute one run of a notebook with papermill, in a kernel prodkit starts and can stop.

`execute_run` is a plain function of a `RunRequest` (picklable), so the same code runs in a
scheduler thread, in `prodkit jobs run`, or on a Dask worker. It never touches the job store.

prodkit launches the kernel itself, before importing papermill, so the kernel boots (0.6-0.8 s,
most of a short run) while papermill loads; it starts in the notebook's folder without a
process-wide chdir (runs share the process); and its pid goes to a watchdog that interrupts,
then kills, it on a timeout or a cancel. A small papermill engine (nbclient's, plus hooks)
runs the notebook on that kernel and reports each cell as it starts.
"""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from prodkit._io import atomic_write_text
from prodkit.jobs.records import CANCELLED, FAILED, SUCCEEDED, TIMED_OUT, RunError
from prodkit.notebook import DIRECTIVE_MAGICS, PARAMETERS_TAG, promote_directive

KERNEL_START_TRIES = 3  # a kernel that dies before its first reply is started again, at most this often in all
INTERRUPT_GRACE_S = 5.0  # after SIGINT, how long a cell may take to stop before the kernel is killed
# A single cell past the timeout is stopped by nbclient's own per-cell timeout (CellTimeoutError);
# the watchdog, slightly later, catches runs whose cells are each short but add up past it.
WATCHDOG_SLACK_S = 2.5

OnCell = Callable[[int, int, int | None, str], None]  # (index, total, source cell number, first line)


@dataclass
class RunRequest:
    """Everything a worker needs to execute one run (absolute paths)."""

    run_id: int
    job: str
    notebook: str
    output_path: str
    parameters: dict[str, Any] = field(default_factory=dict)
    kernel: str = "python3"
    cwd: str | None = None
    timeout_s: float | None = None
    log_path: str | None = None  # the kernel's stdout/stderr
    jobs_db: str | None = None  # for the kernel to attach artifacts (prodkit.jobs.context)
    fail_on_drift: bool = False  # the job's --fail-on-drift (PRODKIT_FAIL_ON_DRIFT in the kernel)
    extra_env: dict[str, str] = field(default_factory=dict)  # more kernel environment (portable runs)


@dataclass
class RunOutcome:
    status: str
    started_at: float
    ended_at: float
    error: RunError | None = None
    notebook_sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["error"] = self.error.to_dict() if self.error else None
        return d


class _Watchdog:
    """Stops the kernel on the run's deadline or on cancel: SIGINT, then SIGKILL after a grace period."""

    def __init__(self, timeout_s: float | None, cancel: threading.Event | None):
        self.pid: int | None = None  # set once the kernel is up
        self.timeout_s = timeout_s
        self.deadline: float | None = None  # armed when the first cell starts (kernel start-up excluded)
        self.cancel = cancel
        self.reason: str | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="prodkit-watchdog", daemon=True)
        if self.timeout_s or self.cancel:
            self._thread.start()

    def arm(self) -> None:
        if self.timeout_s and self.deadline is None:
            self.deadline = time.monotonic() + self.timeout_s + WATCHDOG_SLACK_S

    def _watch(self) -> None:
        while not self._done.wait(0.1):
            if self.pid is None:
                continue
            if self.cancel is not None and self.cancel.is_set():
                return self._stop(CANCELLED)
            if self.deadline is not None and time.monotonic() >= self.deadline:
                return self._stop(TIMED_OUT)

    def _stop(self, reason: str) -> None:
        self.reason = reason
        _signal_kernel(self.pid, signal.SIGINT)
        if not self._done.wait(INTERRUPT_GRACE_S):
            _signal_kernel(self.pid, signal.SIGKILL)

    def stop(self) -> None:
        self._done.set()


def _signal_kernel(pid: int | None, sig: int) -> None:
    """Signal the kernel's process group (jupyter_client starts kernels in their own session)."""
    if not pid:
        return
    try:
        os.killpg(os.getpgid(pid), sig)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


_LOADS_PRODKIT = re.compile(r"^\s*%(re)?load_ext\s+prodkit\b", re.M)


def prepare_notebook(nb, request: RunRequest):
    """The run's copy: source cell numbers in metadata, and the `%%parameters` cell tagged
    `parameters` so papermill injects after it.

    A notebook that loads prodkit's extension keeps its `%%promote` lines (the extension handles
    them exactly as in Jupyter, promoted modules included). In one that does not, they become
    comments, so the cells run as the plain Python they are instead of failing on an unknown magic.
    """
    loads_prodkit = any(c.cell_type == "code" and _LOADS_PRODKIT.search(c.source) for c in nb.cells)
    for number, cell in enumerate(nb.cells, start=1):
        cell.metadata["prodkit"] = {"cell": number}
        if cell.cell_type != "code":
            continue
        first, _, rest = cell.source.lstrip("\n").partition("\n")
        if not first.strip().startswith(DIRECTIVE_MAGICS):
            continue
        try:
            directive = promote_directive(first)
        except Exception:  # a malformed line fails the run the same way it fails in Jupyter
            continue
        if not loads_prodkit:
            cell.source = f"# {first.strip()}\n{rest}"
        tags = cell.metadata.setdefault("tags", [])
        if directive.kind == "params" and PARAMETERS_TAG not in tags:
            tags.append(PARAMETERS_TAG)
    nb.metadata["prodkit"] = {"run_id": request.run_id, "job": request.job}
    return nb


def _register_engine() -> str:
    """papermill's nbclient engine, plus per-cell hooks and a kernel manager we started."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.exceptions import PapermillException
    from papermill.log import logger

    name = "prodkit"
    try:
        papermill_engines.get_engine(name)
        return name
    except PapermillException:  # not registered yet
        pass

    class ProdkitEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
            hooks: _Hooks = kwargs.pop("prodkit_hooks")
            hooks.attach(nb_man)
            client = PapermillNotebookClient(
                nb_man, km=kwargs.pop("km"), timeout=execution_timeout, startup_timeout=start_timeout,
                kernel_name=kernel_name, log=logger, log_output=log_output, stdout_file=stdout_file,
                stderr_file=stderr_file,
                shutdown_kernel="immediate")  # outputs are collected; a timed-out cell must not delay it
            try:
                return client.execute()
            finally:
                if client.km is not None:  # nbclient drops it itself when the kernel dies starting
                    client._cleanup_kernel()  # the kernel is ours, so nbclient would leave it running

    papermill_engines.register(name, ProdkitEngine)
    return name


class _Hooks:
    """Follows papermill's notebook manager: which source cell runs, which one failed."""

    def __init__(self, on_cell: OnCell | None, on_kernel: Callable[[int], None] | None, watchdog: _Watchdog):
        self.on_cell = on_cell
        self.on_kernel = on_kernel
        self.watchdog = watchdog
        self.failed_stderr = ""
        self.current_cell: int | None = None
        self.failed_cell: int | None = None

    def kernel_started(self, km) -> None:
        pid = getattr(getattr(km.provisioner, "process", None), "pid", None)
        self.watchdog.pid = pid
        if pid and self.on_kernel:
            self.on_kernel(pid)

    def attach(self, nb_man) -> None:
        cells = nb_man.nb.cells
        code = [i for i, c in enumerate(cells) if c.cell_type == "code"]
        start, exception = nb_man.cell_start, nb_man.cell_exception

        def cell_start(cell, cell_index=None, **kw):
            self.current_cell = cell.metadata.get("prodkit", {}).get("cell")
            self.watchdog.arm()
            if self.on_cell and cell.cell_type == "code":
                first = cell.source.strip().split("\n", 1)[0][:60]
                self.on_cell(code.index(cell_index) if cell_index in code else 0, len(code), self.current_cell, first)
            return start(cell, cell_index, **kw)

        def cell_exception(cell, cell_index=None, **kw):
            self.failed_cell = cell.metadata.get("prodkit", {}).get("cell")
            self.failed_stderr = _last_stderr_line(cell)
            return exception(cell, cell_index, **kw)

        nb_man.cell_start, nb_man.cell_exception = cell_start, cell_exception


def execute_run(request: RunRequest, *, on_cell: OnCell | None = None,
                on_kernel: Callable[[int], None] | None = None,
                cancel: threading.Event | None = None) -> RunOutcome:
    """Run the notebook once; never raises for notebook problems (they are the outcome).

    `timeout_s` limits the cells' execution (kernel start-up has papermill's own 60 s limit).
    """
    import hashlib

    started = time.time()
    try:
        raw = Path(request.notebook).read_bytes()
    except OSError as e:
        return RunOutcome(FAILED, started, time.time(), RunError(None, "NotebookMissing", f"{request.notebook}: {e.strerror}"))
    sha = hashlib.sha256(raw).hexdigest()
    Path(request.output_path).parent.mkdir(parents=True, exist_ok=True)
    watchdog = _Watchdog(request.timeout_s, cancel)
    try:
        with open(request.log_path or os.devnull, "ab") as log:
            for start in range(1, KERNEL_START_TRIES + 1):
                hooks = _Hooks(on_cell, on_kernel, watchdog)
                try:
                    km = _start_kernel(request, log)
                except Exception as e:  # NoSuchKernel, a broken kernelspec, ...
                    return RunOutcome(FAILED, started, time.time(), RunError(None, type(e).__name__, str(e) or repr(e)), sha)
                try:
                    hooks.kernel_started(km)
                    status, error = _papermill(request, raw, km, hooks)
                finally:
                    _stop_kernel(km)
                if start == KERNEL_START_TRIES or watchdog.reason or not _died_starting(status, error, hooks):
                    break
                log.write(f"prodkit: the kernel died before it replied ({error.evalue}); "
                          f"starting a new one ({start + 1}/{KERNEL_START_TRIES})\n".encode())
    finally:
        watchdog.stop()
    ended = time.time()
    if status != SUCCEEDED:
        _annotate_output(Path(request.output_path), status, error, request.timeout_s)
    return RunOutcome(status, started, ended, error, sha)


def _died_starting(status: str, error: RunError | None, hooks: _Hooks) -> bool:
    """The kernel process exited before it answered kernel_info, so no cell ran: a start-up failure
    (a socket another kernel took meanwhile, a start under memory pressure), not the notebook's."""
    return (status == FAILED and error is not None and hooks.current_cell is None
            and "died before replying to kernel_info" in error.evalue)


def _start_kernel(request: RunRequest, log):
    """Launch the kernel before papermill is imported: it boots while the import runs."""
    from jupyter_core.utils import run_sync

    from prodkit._kernel import kernel_manager
    from prodkit.jobs.context import run_environment

    km = kernel_manager(request.kernel)
    run_sync(km.start_kernel)(cwd=request.cwd or str(Path(request.notebook).parent),
                              env={**os.environ, **run_environment(request), **request.extra_env},
                              extra_arguments=["--HistoryManager.hist_file=:memory:"], stdout=log, stderr=log)
    return km


def _stop_kernel(km) -> None:
    """Kill the kernel if anything above left it running (papermill's engine normally has)."""
    from jupyter_core.utils import run_sync

    try:
        if km.has_kernel:
            run_sync(km.shutdown_kernel)(now=True)
    except Exception:  # already gone
        pass


def _papermill(request: RunRequest, raw: bytes, km, hooks: _Hooks) -> tuple[str, RunError | None]:
    import nbformat
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    engine = _register_engine()
    watchdog = hooks.watchdog
    nb = prepare_notebook(nbformat.reads(raw.decode("utf-8"), as_version=4), request)
    try:
        papermill.execute_notebook(
            nb, request.output_path, parameters=request.parameters or None, engine_name=engine,
            kernel_name=request.kernel, progress_bar=False, request_save_on_cell_execute=True,
            execution_timeout=request.timeout_s, prodkit_hooks=hooks, km=km)
        return (watchdog.reason or SUCCEEDED), _stopped_error(watchdog, hooks, request)
    except PapermillExecutionError as e:
        if watchdog.reason:
            return watchdog.reason, _stopped_error(watchdog, hooks, request)
        if e.ename == "CellExecutionError" and not e.evalue and hooks.failed_stderr:
            # IPython errors such as UsageError leave no error output, only a stderr line
            ename, _, evalue = hooks.failed_stderr.partition(": ")
            return FAILED, RunError(hooks.failed_cell, ename if evalue else e.ename, evalue or hooks.failed_stderr)
        return FAILED, RunError(hooks.failed_cell, e.ename, str(e.evalue))
    except CellTimeoutError:
        return TIMED_OUT, RunError(hooks.current_cell, "Timeout", f"cell ran past the job's {request.timeout_s:g} s timeout")
    except DeadKernelError as e:
        if watchdog.reason:
            return watchdog.reason, _stopped_error(watchdog, hooks, request)
        return FAILED, RunError(hooks.current_cell, "DeadKernelError", str(e) or "the kernel died (out of memory?)")
    except Exception as e:  # papermill/nbclient setup problems: still an outcome, not a crash
        if watchdog.reason:
            return watchdog.reason, _stopped_error(watchdog, hooks, request)
        return FAILED, RunError(hooks.current_cell, type(e).__name__, str(e) or repr(e))


def _last_stderr_line(cell) -> str:
    text = "".join("".join(o.get("text", "")) for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stderr")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _stopped_error(watchdog: _Watchdog, hooks: _Hooks, request: RunRequest) -> RunError | None:
    if watchdog.reason == TIMED_OUT:
        return RunError(hooks.current_cell, "Timeout", f"run exceeded the job's {request.timeout_s:g} s timeout")
    if watchdog.reason == CANCELLED:
        return RunError(hooks.current_cell, "Cancelled", "stopped on request")
    return None


def _annotate_output(path: Path, status: str, error: RunError | None, timeout_s: float | None) -> None:
    """Record the outcome in the output notebook; papermill adds no banner for timeouts/cancels."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    nb.setdefault("metadata", {}).setdefault("prodkit", {}).update(
        {"status": status, "error": error.to_dict() if error else None})
    if status in (TIMED_OUT, CANCELLED):
        what = f"timed out after {timeout_s:g} s" if status == TIMED_OUT else "was cancelled"
        where = f" in cell {error.cell}" if error and error.cell else ""
        nb["cells"].insert(0, {"cell_type": "markdown", "metadata": {"tags": ["prodkit-banner"]},
                               "source": f'<span style="color:red; font-size:1.5em">prodkit: this run {what}{where}; '
                                         "later cells did not run.</span>"})
        if nb.get("nbformat_minor", 0) >= 5:
            nb["cells"][0]["id"] = "prodkit-banner"
    atomic_write_text(path, json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
