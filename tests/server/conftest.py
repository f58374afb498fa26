"""Fixtures for the server extension tests: a real Jupyter server (pytest-jupyter) with
prodkit.server enabled, rooted in a fresh prodkit project."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from pktest import SMALL_POC, write_notebook
from pytest_jupyter.jupyter_server import *  # noqa: F403  (jp_fetch, jp_serverapp, ...)

from prodkit.config import init_project


@pytest.fixture
def status_processes() -> int:
    """Worker processes for panel refreshes; 0 (the server's threads) unless a test module asks for some."""
    return 0


@pytest.fixture
def jp_server_config(status_processes):
    return {"ServerApp": {"jpserver_extensions": {"prodkit.server": True}},
            "ProdkitServerApp": {"status_processes": status_processes}}


@pytest.fixture
def project_root(jp_root_dir) -> Path:
    init_project(jp_root_dir)
    return Path(jp_root_dir)


@pytest.fixture
def sample_nb(project_root) -> str:
    """API path (relative to the server root) of a small promotable notebook (pktest.SMALL_POC)."""
    write_notebook(project_root / "nbs" / "churn.ipynb", SMALL_POC)
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
