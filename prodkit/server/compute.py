"""Panel refreshes computed in a few worker processes, so refreshes of different notebooks run in parallel.

A refresh is CPU-bound Python (parsing cells, the readiness checks): in the server's threads the GIL
runs them one at a time. The workers are started with `spawn` (the server has threads, so no fork),
warmed up at server start (imports of the capabilities a refresh reads), and replaced if one dies;
a refresh whose worker died runs in the server's threads. A worker keeps the notebooks it parsed by
content (`prodkit.notebook.reader.keep_parsed`): a refresh re-reads every file, and parses only cells
whose text it has not seen.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

log = logging.getLogger("prodkit.server")

MAX_WORKERS = 4


def default_workers() -> int:
    """One per CPU up to MAX_WORKERS; none on a single CPU (threads are as good there)."""
    cpus = os.cpu_count() or 1
    return 0 if cpus < 2 else min(MAX_WORKERS, cpus)


_WARM_UP_CELLS = ["%load_ext prodkit", "%%parameters\nthreshold = 0.5",
                  "%%promote warmlib.core\ndef ratio(a, b):\n    return a / b",
                  "%%promote --test warmlib.core\nassert ratio(4, 2) == 2"]


def start_worker() -> None:
    """A worker process's setup, before its first task: parsed notebooks are kept by content."""
    from prodkit.notebook.reader import keep_parsed

    keep_parsed()


def warm_up() -> None:
    """One refresh of a tiny notebook in a scratch project, so a worker's first real refresh finds every
    lazy import (readiness checks, IPython's transformer, the secret scanner, ...) already done."""
    import json
    import tempfile
    from pathlib import Path

    from prodkit.config import init_project
    from prodkit.server import sections

    cells = [{"cell_type": "code", "id": f"w{i}", "metadata": {}, "source": source, "execution_count": i + 1,
              "outputs": []} for i, source in enumerate(_WARM_UP_CELLS)]
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    try:
        with tempfile.TemporaryDirectory(prefix="prodkit-warm-up-") as tmp:
            init_project(tmp)
            path = Path(tmp) / "nbs" / "warm_up.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(nb), encoding="utf-8")
            sections.status(path)
        from prodkit._dists import import_distributions

        import_distributions()  # CODE-03 maps imports to installed distributions: read the metadata once here
    except Exception:  # a warm-up is an optimisation: a real refresh reports its own errors
        log.debug("prodkit: panel worker warm-up failed", exc_info=True)


class ComputePool:
    """`await pool.run(fn, *args)`: in a worker process when there are workers, else in `threads`."""

    def __init__(self, workers: int, threads: Executor):
        self.workers = workers
        self.threads = threads
        self._processes: ProcessPoolExecutor | None = None
        if workers > 0:
            self._start()

    def _start(self) -> None:
        self._processes = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                              initializer=start_worker)
        for _ in range(self.workers):
            self._processes.submit(warm_up)

    async def run(self, fn, *args) -> Any:
        loop = asyncio.get_running_loop()
        if self._processes is not None:
            try:
                return await loop.run_in_executor(self._processes, fn, *args)
            except BrokenProcessPool:
                log.warning("prodkit: a panel worker process died; starting new ones")
                self._processes.shutdown(wait=False, cancel_futures=True)
                self._start()
        return await loop.run_in_executor(self.threads, fn, *args)

    def shutdown(self) -> None:
        if self._processes is not None:
            self._processes.shutdown(wait=False, cancel_futures=True)
            self._processes = None
