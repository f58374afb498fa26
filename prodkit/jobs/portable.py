"""Runs that need no shared disk: what a Dask worker gets, and what comes back.

The submitter packs the notebook's bytes, the parameters and the project's promoted modules
(every `.py` under lib_path) into a `PortableRun`. The worker unpacks them into a temp folder
of its own, executes there (the modules on the kernel's PYTHONPATH), and sends back the
outcome, the files of the run folder (output notebook, kernel log, drift reports) and the
artifacts the kernel recorded — or writes the output notebook to an fsspec `output_url`.
The submitter writes the files into the project's run folder and the record into the store:
workers never see the project folder or the job store.

Cancel crosses machines as a Dask `Event` named after the run, which the worker polls and
turns into the local cancel that stops the kernel. A second Dask `Event` marks the run started:
when a worker dies mid-run, Dask hands the task to another worker, which finds the mark and
records the run lost instead of running the notebook a second time (a notebook that registers
a model or writes a table must not do it twice behind the user's back).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from prodkit._io import atomic_write_bytes
from prodkit.errors import BadInput
from prodkit.jobs.context import ENV_ARTIFACTS_FILE
from prodkit.jobs.execute import RunOutcome, RunRequest, execute_run
from prodkit.jobs.records import LOST, RunError

MAX_BUNDLE_BYTES = 64 << 20  # promoted modules are code: a bigger lib folder is a mistake
CANCEL_POLL_S = 0.5


@dataclass
class PortableRun:
    """One run as bytes: everything a worker without the project folder needs."""

    request: RunRequest
    notebook_name: str
    notebook: bytes
    lib_bundle: bytes = b""
    cancel_event: str | None = None
    output_url: str | None = None


@dataclass
class PortableResult:
    """What the worker sends back: the outcome, the run folder's files and the artifacts."""

    outcome: RunOutcome
    files: dict[str, bytes] = field(default_factory=dict)
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    output_url: str | None = None


def cancel_event_name(run_id: int, token: str) -> str:
    return f"prodkit-cancel-{run_id}-{token}"


def started_event_name(cancel_event: str) -> str:
    return cancel_event.replace("prodkit-cancel-", "prodkit-started-", 1)


WORKER_DIED = RunError(None, "WorkerDied", "the Dask worker running it died; prodkit does not run a notebook twice "
                                           "(run it again with `prodkit jobs run`)")


def _started_before(event_name: str | None) -> bool:
    """Mark the run started on the cluster; True when an earlier attempt (a worker that died) had marked it."""
    if not event_name:
        return False
    from distributed import Event, get_client

    marker = Event(started_event_name(event_name), client=get_client())
    if marker.is_set():
        return True
    marker.set()
    return False


def pack(request: RunRequest, lib_path: Path | None, *, cancel_event: str | None = None,
         output_url: str | None = None) -> PortableRun:
    """Read what the run needs from the submitter's disk."""
    notebook = Path(request.notebook)
    try:
        raw = notebook.read_bytes()
    except OSError as e:
        raise BadInput(f"cannot read the notebook: {e.strerror}", path=str(notebook)) from None
    return PortableRun(request=request, notebook_name=notebook.name, notebook=raw,
                       lib_bundle=bundle_modules(lib_path) if lib_path else b"",
                       cancel_event=cancel_event, output_url=output_url.rstrip("/") if output_url else None)


def bundle_modules(lib_path: Path) -> bytes:
    """A zip of the `.py` files under lib_path (promoted modules), paths relative to it."""
    if not lib_path.is_dir():
        return b""
    buffer = io.BytesIO()
    total = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(lib_path.rglob("*.py")):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            total += path.stat().st_size
            if total > MAX_BUNDLE_BYTES:
                raise BadInput(f"the promoted modules under {lib_path} are over {MAX_BUNDLE_BYTES >> 20} MiB",
                               fix="keep data out of lib_path; it travels with every Dask run")
            archive.write(path, path.relative_to(lib_path).as_posix())
    return buffer.getvalue()


def _unbundle(bundle: bytes, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if not bundle:
        return
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        for member in archive.infolist():
            target = (folder / member.filename).resolve()
            if not target.is_relative_to(folder.resolve()) or member.is_dir():
                continue  # a member name that climbs out of the folder is never written
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(member))


def run_portable(run: PortableRun) -> PortableResult:
    """Execute on a worker, in a temp folder of its own; never raises for notebook problems."""
    if _started_before(run.cancel_event):
        now = time.time()
        return PortableResult(RunOutcome(LOST, now, now, WORKER_DIED))
    work = Path(tempfile.mkdtemp(prefix=f"prodkit-run-{run.request.run_id}-"))
    try:
        lib, nbs, out = work / "lib", work / "nbs", work / "out"
        _unbundle(run.lib_bundle, lib)
        nbs.mkdir()
        out.mkdir()
        notebook = nbs / Path(run.notebook_name).name
        notebook.write_bytes(run.notebook)
        output = out / Path(run.request.output_path).name
        artifacts_file = out / ".artifacts.jsonl"
        pythonpath = os.pathsep.join(p for p in (str(lib), os.environ.get("PYTHONPATH", "")) if p)
        request = replace(run.request, notebook=str(notebook), output_path=str(output),
                          log_path=str(output.with_suffix(".log")), cwd=str(nbs), jobs_db=None,
                          extra_env={**run.request.extra_env, "PYTHONPATH": pythonpath,
                                     ENV_ARTIFACTS_FILE: str(artifacts_file)})
        cancel, stop_polling = _cancel_from(run.cancel_event)
        try:
            outcome = execute_run(request, cancel=cancel)
        finally:
            stop_polling.set()
        artifacts = _read_artifacts(artifacts_file, out)
        artifacts_file.unlink(missing_ok=True)
        files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
        if run.output_url:
            return _send_to_url(run, outcome, files, artifacts)
        return PortableResult(outcome, files, artifacts)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _cancel_from(event_name: str | None) -> tuple[threading.Event, threading.Event]:
    """A local cancel event set when the submitter sets the cluster-wide Dask `Event`."""
    cancel, stop = threading.Event(), threading.Event()
    if not event_name:
        return cancel, stop
    from distributed import Event, get_client

    remote = Event(event_name, client=get_client())

    def poll() -> None:
        while not stop.wait(CANCEL_POLL_S):
            try:
                if remote.is_set():
                    cancel.set()
                    return
            except Exception:  # the scheduler went away: the run goes on as if not cancelled
                return

    threading.Thread(target=poll, name="prodkit-cancel-poll", daemon=True).start()
    return cancel, stop


def _read_artifacts(path: Path, out: Path) -> list[dict[str, Any]]:
    """The kernel's recorded artifacts, paths made relative to the run folder where inside it."""
    if not path.exists():
        return []
    artifacts = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            artifact = json.loads(line)
        except ValueError:
            continue
        if isinstance(artifact, dict):
            artifact_path = Path(str(artifact.get("path", "")))
            if artifact_path.is_absolute() and artifact_path.resolve().is_relative_to(out.resolve()):
                artifact["path"] = artifact_path.resolve().relative_to(out.resolve()).as_posix()
                artifact["in_run_folder"] = True
            artifacts.append(artifact)
    return artifacts


def _send_to_url(run: PortableRun, outcome: RunOutcome, files: dict[str, bytes],
                 artifacts: list[dict[str, Any]]) -> PortableResult:
    """Write the run folder's files under `output_url/JOB/`; only the URL comes back."""
    import fsspec

    base = f"{run.output_url}/{run.request.job}"
    try:
        for name, data in files.items():
            with fsspec.open(f"{base}/{name}", "wb", auto_mkdir=True) as f:
                f.write(data)
    except Exception as e:  # the outcome must still reach the store
        error = RunError(None, "OutputUrlError", f"could not write to {base}: {e}")
        return PortableResult(replace(outcome, status="failed", error=outcome.error or error), files, artifacts)
    for artifact in artifacts:
        if artifact.pop("in_run_folder", False):
            artifact["path"] = f"{base}/{artifact['path']}"
    return PortableResult(outcome, {}, artifacts, f"{base}/{Path(run.request.output_path).name}")


def unpack(result: PortableResult, request: RunRequest, store) -> RunOutcome:
    """On the submitter: files into the run's folder, artifacts and output location into the store."""
    run_dir = Path(request.output_path).parent
    for name, data in result.files.items():
        target = (run_dir / name).resolve()
        if target.is_relative_to(run_dir.resolve()):
            atomic_write_bytes(target, data)
    if result.output_url:
        store.set_run_fields(request.run_id, output_path=result.output_url)
    for artifact in result.artifacts:
        if artifact.pop("in_run_folder", False):
            artifact["path"] = str(run_dir / artifact["path"])
        store.add_artifact(request.run_id, artifact)
    return result.outcome
