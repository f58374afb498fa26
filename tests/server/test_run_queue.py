"""Panel "Run now" obeys the project's max_concurrency: extra runs queue, with their position (issue 14)."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from pktest import code, numbered, write_notebook

from prodkit.config import load_project
from prodkit.jobs.api import history

pytestmark = pytest.mark.slow

SLEEPY_CELLS = [
    code("%%promote --params\nthreshold = 0.5"),
    code("import time\ntime.sleep(2)\nprint('slept', threshold)"),
]


async def test_run_now_requests_queue_behind_max_concurrency(jp_fetch, project_root, wait_action):
    settings = project_root / "settings.ini"
    settings.write_text(re.sub(r"(?m)^max_concurrency\s*=.*$", "max_concurrency = 1", settings.read_text()))
    write_notebook(project_root / "nbs" / "sleepy.ipynb", numbered(*SLEEPY_CELLS))

    async def run_now(threshold: float) -> dict:
        body = json.dumps({"path": "nbs/sleepy.ipynb", "parameters": {"threshold": threshold}})
        return json.loads((await jp_fetch("prodkit", "api", "jobs", "run", method="POST", body=body)).body)

    first = await run_now(0.1)
    await asyncio.sleep(0.5)  # the first one has created the notebook's manual job and holds the slot
    second, third = await run_now(0.2), await run_now(0.3)
    assert first["status"] == "running"
    assert (second["status"], second["position"]) == ("queued", 1)
    assert (third["status"], third["position"]) == ("queued", 2)

    done = [await wait_action(a["id"]) for a in (first, second, third)]
    assert [d["status"] for d in done] == ["succeeded"] * 3, [d["message"] for d in done]
    runs = sorted(history(project=load_project(project_root)), key=lambda r: r.started_at)
    assert len(runs) == 3
    for earlier, later in zip(runs, runs[1:], strict=False):
        assert later.started_at >= earlier.ended_at, "two panel runs ran at once past max_concurrency = 1"
