"""Is what `prodkit promote` wrote still up to date? Fast: reads stamps, renders nothing."""

from __future__ import annotations

from pathlib import Path

from prodkit._io import sha256_text
from prodkit.config import Project
from prodkit.errors import BadInput
from prodkit.notebook import read_notebook
from prodkit.promote import source_hash
from prodkit.promote.export import module_path
from prodkit.promote.files import read_stamp, strip_stamp
from prodkit.promote.plan import _NBDEV_EXPORT, build_plan
from prodkit.promote.testgen import test_path


def _file_state(path: Path, expected_source: str) -> dict:
    if not path.exists():
        return {"exists": False, "up_to_date": False, "edited": False}
    text = path.read_text(encoding="utf-8")
    stamp = read_stamp(text)
    edited = stamp is None or sha256_text(strip_stamp(text)) != stamp[0]
    return {"exists": True, "edited": edited, "up_to_date": bool(stamp) and stamp[1] == expected_source and not edited}


def promote_status(project: Project, notebook_path: Path | str) -> dict:
    """Modules and tests the notebook promotes, each with `up_to_date`; plus params cell and problems.

    Keys: promoted (bool), modules [{module, path, cells, exists, up_to_date, edited}],
    tests [{module, path, cells, ...}], params_cell (int|None), problems [dict], up_to_date (bool).
    """
    nb = read_notebook(notebook_path)
    try:
        plan = build_plan(nb)
    except BadInput as e:
        if e.message.startswith("no %%promote cells"):
            return {"promoted": False, "modules": [], "tests": [], "params_cell": None, "problems": [],
                    "up_to_date": True}
        raise
    module_cells = {m: list(cells) for m, cells in plan.modules.items()}
    default = nb.default_module()
    for cell in plan.nbdev_cells:
        target = _NBDEV_EXPORT.search(cell.source).group(2) or default
        module_cells.setdefault(target, []).append(cell)
    modules = []
    for module, cells in sorted(module_cells.items()):
        cells = sorted(cells, key=lambda c: c.number)
        path = module_path(project, module)
        state = _file_state(path, source_hash(module, "module", cells))
        modules.append({"module": module, "path": project.relpath(path), "cells": [c.number for c in cells], **state})
    tests = []
    for module, cases in sorted(plan.tests.items()):
        cells = [c.cell for c in cases]
        path = test_path(project, module)
        state = _file_state(path, source_hash(module, "test", cells))
        tests.append({"module": module, "path": project.relpath(path), "cells": [c.number for c in cells],
                      "names": [c.name for c in cases], **state})
    return {
        "promoted": True,
        "modules": modules,
        "tests": tests,
        "params_cell": plan.params_cell.number if plan.params_cell else None,
        "problems": [p.to_dict() for p in plan.problems],
        "up_to_date": all(f["up_to_date"] for f in modules + tests),
    }
