"""Notebook builders for tests (importable: pyproject puts tests/ on sys.path)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def code(source: str, cell_id: str | None = None, **extra) -> dict:
    cell = {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": source}
    if cell_id:
        cell["id"] = cell_id
    cell.update(extra)
    return cell


def markdown(source: str, cell_id: str | None = None) -> dict:
    cell = {"cell_type": "markdown", "metadata": {}, "source": source}
    if cell_id:
        cell["id"] = cell_id
    return cell


def write_notebook(path: Path, cells: list[dict], nbformat_minor: int = 5) -> Path:
    for number, cell in enumerate(cells, start=1):
        cell.setdefault("id", f"cell{number}")
    nb = {
        "cells": cells,
        "nbformat": 4,
        "nbformat_minor": nbformat_minor,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return path
