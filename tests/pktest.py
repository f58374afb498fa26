"""The one notebook builder for every test: cells, outputs and .ipynb files (plain nbformat-4 JSON).

Import it as `from pktest import code, write_notebook` (pyproject puts tests/ on sys.path; see
tests/conftest.py). Malformed or old-format notebooks that a test needs byte for byte are written
by the test itself.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def code(source: str, *outputs: dict, cell_id: str | None = None, count: int | None = None,
         tags: list[str] | None = None, **extra) -> dict:
    """A code cell with `outputs` (stream/result/display/error), execution `count` and metadata `tags`;
    `extra` keys (e.g. metadata=...) replace the cell's own."""
    cell = {"cell_type": "code", "metadata": {}, "execution_count": count, "outputs": list(outputs),
            "source": source}
    if cell_id:
        cell["id"] = cell_id
    cell.update(extra)
    if tags:
        cell["metadata"] = {**cell["metadata"], "tags": list(tags)}
    return cell


def markdown(source: str, cell_id: str | None = None) -> dict:
    cell = {"cell_type": "markdown", "metadata": {}, "source": source}
    if cell_id:
        cell["id"] = cell_id
    return cell


def stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


def result(data: dict[str, Any], count: int = 1) -> dict:
    return {"output_type": "execute_result", "data": data, "metadata": {}, "execution_count": count}


def display(data: dict[str, Any]) -> dict:
    return {"output_type": "display_data", "data": data, "metadata": {}}


def error(ename: str = "ValueError", evalue: str = "bad") -> dict:
    return {"output_type": "error", "ename": ename, "evalue": evalue,
            "traceback": [f"\x1b[0;31m{ename}\x1b[0m: {evalue}"]}


def numbered(*cells: dict) -> list[dict]:
    """Copies of `cells` whose code cells have execution counts 1, 2, 3 ... (a clean top-to-bottom run)."""
    n = 0
    out = []
    for cell in cells:
        cell = dict(cell)
        if cell["cell_type"] == "code":
            n += 1
            cell["execution_count"] = n
        out.append(cell)
    return out


def write_notebook(path: Path, cells: list[dict | str], *, nbformat_minor: int = 5, kernel: str = "python3",
                   metadata: dict | None = None) -> Path:
    """Write `cells` (cell dicts, or source strings for code cells) as a notebook at `path`.

    Cells without an id get `cell1`, `cell2` ... (nbformat 4.5 and later; 4.4 has no cell ids);
    `metadata` is added to the notebook's (kernelspec `kernel`, language python). The given cells
    are not changed.
    """
    nb_cells = [code(cell) if isinstance(cell, str) else dict(cell) for cell in cells]
    if nbformat_minor >= 5:
        for number, cell in enumerate(nb_cells, start=1):
            cell.setdefault("id", f"cell{number}")
    nb = {
        "cells": nb_cells,
        "nbformat": 4,
        "nbformat_minor": nbformat_minor,
        "metadata": {"kernelspec": {"name": kernel, "display_name": "Python 3", "language": "python"},
                     "language_info": {"name": "python"}, **(metadata or {})},
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return path


def ipython_shell():
    """The process's one IPython shell: the one a test already made (plain or IPython's test shell),
    else IPython's test shell (`globalipapp`), started now. Tests get it here, whatever ran first."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.testing.globalipapp import start_ipython

    return InteractiveShell.instance() if InteractiveShell.initialized() else start_ipython()


def job_notebook(path: Path, cells: list[dict | str], *, params: str | None = "x = 1", promote_params: bool = False,
                 kernel: str = "python3", before: tuple[str, ...] = ()) -> Path:
    """A notebook for a job: `before` cells, the parameters cell (tagged `parameters`, or
    `%%promote --params` with `promote_params`; none when `params` is None), then `cells`."""
    head = [code(source) for source in before]
    if params is not None:
        head.append(code(f"%%promote --params\n{params}") if promote_params else code(params, tags=["parameters"]))
    return write_notebook(path, [*head, *cells], kernel=kernel)


# A small promotable PoC as a clean run left it: parameters, a promoted function, its test, a use.
SMALL_POC = numbered(
    markdown("# Churn PoC (small)"),
    code("%load_ext prodkit"),
    code("%%promote --params\nthreshold = 0.5"),
    code("%%promote churnlib.features\ndef add_ratio(a, b):\n    return a / b"),
    code("%%promote --test churnlib.features\nassert add_ratio(4, 2) == 2"),
    code("print(add_ratio(3, threshold))"),
)
