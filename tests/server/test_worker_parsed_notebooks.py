"""Worker processes keep parsed notebooks by content: a Re-check still shows an edit that left the file's
size and mtime as they were (the refresh cache's fingerprint cannot see it; the content hash does)."""

from __future__ import annotations

import json
import os

import pytest
from pktest import SMALL_POC, code, numbered, write_notebook


@pytest.fixture
def status_processes() -> int:
    return 2


async def _problems(jp_fetch, path: str) -> list[str]:
    body = json.loads((await jp_fetch("prodkit", "api", "status", params={"path": path, "fresh": "1"})).body)
    return [p["name"] for p in body["promote"]["data"]["problems"]]


async def test_a_same_size_same_mtime_edit_shows_on_recheck_in_every_worker(jp_fetch, project_root):
    path = project_root / "nbs" / "edit.ipynb"
    write_notebook(path, numbered(code("%%promote lib.m\ndef f():\n    return helper_a")))
    for _ in range(4):  # both workers have parsed it
        assert await _problems(jp_fetch, "nbs/edit.ipynb") == ["helper_a"]
    before = path.stat()
    write_notebook(path, numbered(code("%%promote lib.m\ndef f():\n    return helper_b")))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    for _ in range(4):
        assert await _problems(jp_fetch, "nbs/edit.ipynb") == ["helper_b"]


async def test_a_job_added_between_two_rechecks_shows_on_the_second_for_its_notebook_only(jp_fetch, project_root):
    """Kept parses never carry state: a job scheduled for a.ipynb shows on its next Re-check, never on b's
    (two copies of one notebook, so each worker has both parses at hand)."""
    for name in ("a", "b"):
        write_notebook(project_root / "nbs" / f"{name}.ipynb", SMALL_POC)

    async def jobs(path: str) -> list[str]:
        body = json.loads((await jp_fetch("prodkit", "api", "status", params={"path": path, "fresh": "1"})).body)
        return [j["name"] for j in body["jobs"]["data"]]

    for _ in range(2):
        assert await jobs("nbs/a.ipynb") == [] and await jobs("nbs/b.ipynb") == []
    await jp_fetch("prodkit", "api", "jobs", "schedule", method="POST",
                   body=json.dumps({"path": "nbs/a.ipynb", "cron": "0 6 * * *"}))
    for _ in range(2):
        assert await jobs("nbs/a.ipynb") == ["a"]
        assert await jobs("nbs/b.ipynb") == []
