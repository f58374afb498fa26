"""Helpers for the jobs tests: small real notebooks, and running the CLI in a subprocess."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

def write_notebook(path: Path, cells: list[str], *, params: str | None = "x = 1", promote_params: bool = False,
                   kernel: str = "python3", before: tuple[str, ...] = ()) -> Path:
    """A notebook: `before` cells, the parameters cell (tagged, or `%%promote --params`), then `cells`."""
    nb_cells = [{"cell_type": "code", "metadata": {}, "source": src, "outputs": [], "execution_count": None}
                for src in before]
    if params is not None:
        if promote_params:
            nb_cells.append({"cell_type": "code", "metadata": {}, "source": f"%%promote --params\n{params}",
                             "outputs": [], "execution_count": None})
        else:
            nb_cells.append({"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": params,
                             "outputs": [], "execution_count": None})
    nb_cells += [{"cell_type": "code", "metadata": {}, "source": src, "outputs": [], "execution_count": None}
                 for src in cells]
    for i, cell in enumerate(nb_cells):
        cell["id"] = f"c{i}"
    nb = {"cells": nb_cells, "nbformat": 4, "nbformat_minor": 5,
          "metadata": {"kernelspec": {"name": kernel, "display_name": "Python 3", "language": "python"},
                       "language_info": {"name": "python"}}}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


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
