"""Where monitoring keeps its files: `.prodkit/monitor/NAME/`.

    reference.parquet  the reference set with prodkit.monitor.set_reference (wins over the model's)
    contract.yaml      the data contract, inferred from the reference, editable
    state.json         what the contract was inferred from (to tell hand edits from stale files)
    history.jsonl      one line per watched batch: validation and drift verdicts, with times
    reports/           drift reports of batches watched outside scheduled runs
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prodkit._io import atomic_write_text, sha256_text
from prodkit.errors import BadInput

if TYPE_CHECKING:
    import pandas as pd

    from prodkit.config import Project
    from prodkit.monitor.contract import Contract

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
CONTRACT_FILE = "contract.yaml"
HISTORY_FILE = "history.jsonl"


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def monitor_dir(project: Project, name: str) -> Path:
    """`.prodkit/monitor/NAME` (the name must be a plain model name)."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise BadInput(f"model name {name!r} is not usable", fix="use letters, digits, '.', '_' or '-' (e.g. churn-clf)")
    return project.state_dir / "monitor" / name


def contract_path(project: Project, name: str) -> Path:
    return monitor_dir(project, name) / CONTRACT_FILE


def _state_path(project: Project, name: str) -> Path:
    return monitor_dir(project, name) / "state.json"


def read_state(project: Project, name: str) -> dict[str, Any]:
    try:
        return json.loads(_state_path(project, name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_state(project: Project, name: str, **values: Any) -> None:
    state = {**read_state(project, name), **values}
    atomic_write_text(_state_path(project, name), json.dumps(state, indent=2) + "\n")


def fingerprint(df: pd.DataFrame) -> str:
    """A content hash of a frame (columns, dtypes and values)."""
    import hashlib

    import pandas as pd

    digest = hashlib.sha256("|".join(f"{c}:{t}" for c, t in df.dtypes.items()).encode("utf-8"))
    digest.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]


# -- reference -----------------------------------------------------------------------------

def save_reference(project: Project, name: str, df: pd.DataFrame) -> Path:
    """Keep `df` as NAME's reference (parquet, written atomically)."""
    path = monitor_dir(project, name) / "reference.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        df.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    write_state(project, name, reference_set_at=now_utc())
    return path


def load_reference(project: Project, name: str, version: str | int | None = None) -> tuple[pd.DataFrame | None, str]:
    """NAME's reference and where it came from.

    A reference set with set_reference wins (unless a version is asked for); otherwise the
    training-data sample stored with the registered model version.
    """
    own = monitor_dir(project, name) / "reference.parquet"
    if version is None and own.is_file():
        import pandas as pd

        return pd.read_parquet(own), project.relpath(own)
    try:
        from prodkit.models.state import reference_data
    except ImportError:
        return None, ""
    df = reference_data(project, name, version)
    where = f"model {name}" + (f" version {version}" if version is not None else "")
    return df, where


# -- contract ------------------------------------------------------------------------------

def ensure_contract(project: Project, name: str, reference: pd.DataFrame | None) -> tuple[Contract | None, Path, list[str]]:
    """NAME's contract: the file when it is current or edited by hand, else inferred from `reference`.

    A file prodkit wrote is re-inferred when the reference changed; a file edited by hand is
    kept (with a note when the reference changed under it).
    """
    from prodkit.monitor.contract import contract_text, infer_contract, load_contract

    path = contract_path(project, name)
    state = read_state(project, name)
    notes: list[str] = []
    if path.is_file():
        edited = sha256_text(path.read_text(encoding="utf-8")) != state.get("contract_sha")
        if reference is None or edited:
            if reference is not None and edited and state.get("reference") not in (None, fingerprint(reference)):
                notes.append(f"the reference changed since {project.relpath(path)} was edited by hand: "
                             f"review it (delete it to infer it again)")
            return load_contract(path), path, notes
        if state.get("reference") == fingerprint(reference):
            return load_contract(path), path, notes
        notes.append(f"contract inferred again from the new reference: {project.relpath(path)}")
    elif reference is None:
        return None, path, notes
    contract = infer_contract(reference, name=name)
    text = contract_text(contract, path)
    atomic_write_text(path, text)
    write_state(project, name, contract_sha=sha256_text(text), reference=fingerprint(reference))
    return contract, path, notes


# -- history -------------------------------------------------------------------------------

def append_history(project: Project, name: str, record: dict[str, Any]) -> None:
    """One JSON line per watched batch (a single O_APPEND write: safe with parallel runs)."""
    path = monitor_dir(project, name) / HISTORY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(record, default=str) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def read_history(project: Project, name: str, *, tail_bytes: int = 256_000) -> list[dict[str, Any]]:
    """The last records of NAME's history (oldest first); unreadable lines are skipped."""
    path = project.state_dir / "monitor" / name / HISTORY_FILE
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - tail_bytes))
            data = f.read()
    except OSError:
        return []
    lines = data.split(b"\n")
    if size > tail_bytes:
        lines = lines[1:]  # the first one may be cut
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records
