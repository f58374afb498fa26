"""Is what `prodkit promote` wrote still up to date? Fast: reads stamps, renders nothing."""

from __future__ import annotations

from pathlib import Path

from prodkit.config import Project
from prodkit.errors import BadInput
from prodkit.notebook import read_notebook
from prodkit.promote.plan import build_plan
from prodkit.promote.targets import expected_targets, file_state
from prodkit.records import PromoteStatus


def promote_status(project: Project, notebook_path: Path | str) -> PromoteStatus:
    """Modules and tests the notebook promotes, each with `up_to_date`; plus params cell and problems.

    Fields: see `prodkit.records.PromoteStatus`.
    """
    nb = read_notebook(notebook_path)
    try:
        plan = build_plan(nb)
    except BadInput as e:
        if e.message.startswith("no %%promote cells"):
            return PromoteStatus(promoted=False, up_to_date=True)
        raise
    entries = {"module": [], "test": []}
    for target in expected_targets(plan, project, include_blocked=True):
        entry = {
            "module": target.module,
            "path": project.relpath(target.path),
            "cells": [c.number for c in target.cells],
            **file_state(target),
        }
        if target.kind == "test":
            entry["names"] = [case.name for case in plan.tests[target.module]]
        entries[target.kind].append(entry)
    files = entries["module"] + entries["test"]
    return PromoteStatus(promoted=True, modules=entries["module"], tests=entries["test"],
                         params_cell=plan.params_cell.number if plan.params_cell else None,
                         problems=[p.to_dict() for p in plan.problems],
                         up_to_date=all(f["up_to_date"] for f in files))
