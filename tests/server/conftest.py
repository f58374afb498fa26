"""Fixtures for the server extension tests: a real Jupyter server (pytest-jupyter) with
prodkit.server enabled, rooted in a fresh prodkit project."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403  (jp_fetch, jp_serverapp, ...)

from prodkit.config import init_project

SAMPLE_CELLS = [
    ("markdown", "# Churn PoC (small)"),
    ("code", "%load_ext prodkit"),
    ("code", "%%promote --params\nthreshold = 0.5"),
    ("code", "%%promote churnlib.features\ndef add_ratio(a, b):\n    return a / b"),
    ("code", "%%promote --test churnlib.features\nassert add_ratio(4, 2) == 2"),
    ("code", "print(add_ratio(3, threshold))"),
]


def write_notebook(path: Path, cells=SAMPLE_CELLS) -> Path:
    """A small valid nbformat 4 notebook with executed-looking, in-order cells."""
    nb_cells = []
    count = 0
    for i, (kind, source) in enumerate(cells):
        cell = {"cell_type": kind, "id": f"c{i}", "metadata": {}, "source": source}
        if kind == "code":
            count += 1
            cell.update(execution_count=count, outputs=[])
        nb_cells.append(cell)
    nb = {
        "cells": nb_cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return path


@pytest.fixture
def status_processes() -> int:
    """Worker processes for panel refreshes; 0 (the server's threads) unless a test module asks for some."""
    return 0


@pytest.fixture
def jp_server_config(status_processes):
    return {"ServerApp": {"jpserver_extensions": {"prodkit.server": True}},
            "ProdkitServerApp": {"status_processes": status_processes}}


@pytest.fixture
def make_notebook():
    """write_notebook(path, cells=SAMPLE_CELLS) as a fixture (tests/server has no package)."""
    return write_notebook


@pytest.fixture
def project_root(jp_root_dir) -> Path:
    init_project(jp_root_dir)
    return Path(jp_root_dir)


@pytest.fixture
def sample_nb(project_root) -> str:
    """API path (relative to the server root) of a small promotable notebook."""
    write_notebook(project_root / "nbs" / "churn.ipynb")
    return "nbs/churn.ipynb"


@pytest.fixture
def wait_action(jp_fetch):
    """`await wait_action(id)`: poll /prodkit/api/actions/<id> until it is no longer running (2 min)."""

    async def wait(action_id: str, polls: int = 480) -> dict:
        for _ in range(polls):
            polled = json.loads((await jp_fetch("prodkit", "api", "actions", action_id)).body)
            if polled["status"] not in ("queued", "running"):
                return polled
            await asyncio.sleep(0.25)
        raise AssertionError(f"action {action_id} still running")

    return wait
