"""Building small notebooks for the readiness tests (plain nbformat-4 JSON)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def code(source: str, *outputs: dict, count: int | None = None, tags: list[str] | None = None) -> dict:
    return {"cell_type": "code", "source": source, "execution_count": count, "outputs": list(outputs),
            "metadata": {"tags": tags} if tags else {}}


def md(source: str) -> dict:
    return {"cell_type": "markdown", "source": source, "metadata": {}}


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
    """Give code cells execution counts 1, 2, 3 ... in order (a clean top-to-bottom run)."""
    n = 0
    out = []
    for cell in cells:
        cell = dict(cell)
        if cell["cell_type"] == "code":
            n += 1
            cell["execution_count"] = n
        out.append(cell)
    return out


def write_notebook(path: Path, cells: list[dict]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                       "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return path


PYPROJECT = """[project]
name = "demo"
version = "0.0.1"
requires-python = ">=3.11"
dependencies = ["numpy>=1.26", "pandas>=2.1,<3", "scikit-learn>=1.4", "torch>=2.4", "pyyaml>=6"]

[tool.nbdev]
lib_path = "src"
nbs_path = "nbs"
update_pyproject = false
"""
