"""What a model version records about where it came from: git, notebook cell, data, environment."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prodkit._io import sha256_file
from prodkit.config import Project
from prodkit.errors import BadInput

REFERENCE_MAX_ROWS = 50_000


@dataclass
class NotebookCell:
    """The notebook (relative to the project root) and cell a model was registered from."""

    path: str | None = None
    execution_count: int | None = None
    cell: int | None = None  # 1-based cell number in the saved notebook, when it can be found


def git_sha(root: Path) -> str | None:
    """HEAD's sha, suffixed `-dirty` when tracked files changed; None outside git."""
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                             timeout=10).stdout.strip()
        if not sha:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{sha}-dirty" if dirty else sha


def _kernel_shell():
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    return get_ipython()


def notebook_cell(project: Project, explicit: str | os.PathLike | None = None) -> NotebookCell:
    """The calling notebook and cell: explicit path, else the kernel's session or PRODKIT_NOTEBOOK."""
    shell = _kernel_shell()
    from prodkit.notebook import kernel_notebook_path

    path = Path(explicit).resolve() if explicit else kernel_notebook_path(shell.user_ns if shell else None)
    # IPython increments execution_count before running a cell: the running cell is one less.
    count = getattr(shell, "execution_count", None) if shell else None
    count = count - 1 if isinstance(count, int) and count > 1 else count
    record = NotebookCell(path=project.relpath(path) if path else None, execution_count=count)
    if path and path.is_file():
        record.cell = _register_cell(path)
    return record


def _register_cell(path: Path) -> int | None:
    """The saved notebook's cell that registers a model (the first one calling register)."""
    try:
        from prodkit.notebook import read_notebook

        cells = read_notebook(path).cells
    except Exception:  # noqa: BLE001 - a notebook we cannot read just gives no cell number
        return None
    for cell in cells:
        if cell.cell_type == "code" and ("register_model(" in cell.source or "%prodkit register" in cell.source):
            return cell.number
    return None


def as_dataframe(data: Any):
    """`data` as a pandas DataFrame (DataFrame, array, tensor, or a parquet/csv path), or None."""
    import pandas as pd

    if data is None:
        return None
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, (str, os.PathLike)):
        path = Path(data)
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        if path.suffix == ".csv":
            return pd.read_csv(path)
        return None
    if hasattr(data, "detach"):  # torch tensor
        data = data.detach().cpu().numpy()
    import numpy as np

    array = np.asarray(data)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise BadInput(f"data must be 2-D (rows x columns), got shape {array.shape}",
                       fix="pass the training DataFrame or a path to it")
    return pd.DataFrame(array, columns=[f"f{i}" for i in range(array.shape[1])])


def data_hash(data: Any) -> str | None:
    """A stable sha256 of the training data: file bytes for a path, else values and columns."""
    if data is None:
        return None
    if isinstance(data, (str, os.PathLike)):
        path = Path(data)
        if not path.is_file():
            raise BadInput("the data file does not exist", path=str(path),
                           fix="pass the training data (a DataFrame or an existing file)")
        return "sha256:" + sha256_file(path)
    import pandas as pd

    frame = as_dataframe(data)
    h = hashlib.sha256()
    h.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    try:
        h.update(pd.util.hash_pandas_object(frame, index=False).values.tobytes())
    except TypeError as e:
        raise BadInput(f"cannot hash the training data ({e})",
                       fix="pass a DataFrame of plain values (no lists or dicts in cells), or a file path") from None
    return "sha256:" + h.hexdigest()


def reference_sample(data: Any, max_rows: int = REFERENCE_MAX_ROWS):
    """The training data, or a seeded sample of `max_rows`, to compare later runs against."""
    frame = as_dataframe(data)
    if frame is None:
        return None
    if len(frame) > max_rows:
        frame = frame.sample(n=max_rows, random_state=0).sort_index()
    frame = frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    return frame


def environment() -> dict[str, str]:
    """torch, CUDA and device names for the version's tags."""
    import torch

    cuda = torch.version.cuda or "none"
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    return {"torch": torch.__version__, "cuda": cuda, "gpu": gpu, "python": sys.version.split()[0]}
