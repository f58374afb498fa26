"""Helpers for the jobs tests: running the CLI in a subprocess, pointing a project at a job store.

Notebooks for jobs: `pktest.job_notebook`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pktest import REPO


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.pop("MLFLOW_TRACKING_URI", None)
    env.pop("PRODKIT_JOBS_DB", None)
    return env


def prodkit_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "prodkit.cli", *args]


def use_store(root: Path, url: str) -> None:
    """Point a project's settings.ini `[prodkit]` at the job store `url`."""
    settings = root / "settings.ini"
    text = settings.read_text(encoding="utf-8")
    assert "[prodkit]\n" in text
    settings.write_text(text.replace("[prodkit]\n", f"[prodkit]\njobs_db = {url}\n", 1), encoding="utf-8")


def assert_no_jobs(project) -> None:
    """Nothing was stored: no SQLite file created, or an empty server store."""
    if "://" not in project.jobs_store:
        assert not Path(project.jobs_store).exists()
        return
    from prodkit.jobs.api import open_store

    with open_store(project) as store:
        assert store.is_empty()
