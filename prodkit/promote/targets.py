"""The files a plan produces and whether each on disk is current — without rendering anything.

A generated file's stamp records a hash of everything it is made from (see `source_hash`),
so "up to date" is a hash comparison. `promote` uses this to skip nbdev entirely when
nothing changed, and `promote_status` (readiness, side panel) to answer in milliseconds.
"""

from __future__ import annotations

import functools
import importlib.metadata
from dataclasses import dataclass
from pathlib import Path

from prodkit._io import sha256_text
from prodkit.config import Project
from prodkit.notebook import Cell
from prodkit.promote.files import read_stamp, strip_stamp
from prodkit.promote.modname import module_file, test_file
from prodkit.promote.plan import NotebookPlan, nbdev_target


@dataclass
class Target:
    kind: str  # module | test
    module: str
    path: Path
    cells: list[Cell]
    source_hash: str


def module_path(project: Project, module: str) -> Path:
    """lib_path/a/b.py for module a.b (BadInput for a name or symlink that leaves lib_path)."""
    return module_file(project.lib_path, module)


def test_path(project: Project, module: str) -> Path:
    """tests_path/test_a_b.py for module a.b (BadInput as for `module_path`)."""
    return test_file(project.tests_path, module)


@functools.lru_cache(maxsize=1)
def _versions() -> str:
    from prodkit import __version__

    return f"prodkit {__version__} nbdev {importlib.metadata.version('nbdev')}"


def source_hash(kind: str, module: str, notebook: str, cells: list[Cell], context: str = "") -> str:
    """Hash of what a generated file is made from: tool versions, kind, module, notebook, cell
    sources, and `context` (for a test file: the import lines it gets from the modules)."""
    parts = [_versions(), kind, module, notebook, *(c.source for c in cells), context]
    return sha256_text("\0".join(parts))


def module_cells(plan: NotebookPlan) -> dict[str, list[Cell]]:
    """module -> its cells in notebook order: `%%promote` cells and nbdev `#| export` cells."""
    grouped = {m: list(cells) for m, cells in plan.modules.items()}
    for cell in plan.nbdev_cells:
        target = nbdev_target(cell) or plan.default_module()
        grouped.setdefault(target, []).append(cell)
    return {m: sorted(cells, key=lambda c: c.number) for m, cells in sorted(grouped.items())}


def expected_targets(plan: NotebookPlan, project: Project, include_blocked: bool = False) -> list[Target]:
    from prodkit.promote.plan import module_bindings
    from prodkit.promote.testgen import import_lines

    notebook = project.relpath(plan.notebook.path)
    modules = module_cells(plan)
    bindings = module_bindings(plan) if plan.tests else {}
    targets = []
    for module, cells in modules.items():
        if include_blocked or module not in plan.blocked_modules:
            targets.append(
                Target(
                    "module",
                    module,
                    module_path(project, module),
                    cells,
                    source_hash("module", module, notebook, cells),
                )
            )
    for module, cases in sorted(plan.tests.items()):
        if include_blocked or module not in plan.blocked_tests:
            cells = [c.cell for c in cases]
            targets.append(
                Target(
                    "test",
                    module,
                    test_path(project, module),
                    cells,
                    source_hash(
                        "test", module, notebook, cells, "\n".join(import_lines(cases, module, bindings))
                    ),
                )
            )
    return targets


def file_state(target: Target) -> dict:
    """{exists, edited, up_to_date} of the target's file on disk."""
    if not target.path.exists():
        return {"exists": False, "up_to_date": False, "edited": False}
    text = target.path.read_text(encoding="utf-8")
    stamp = read_stamp(text)
    edited = stamp is None or sha256_text(strip_stamp(text)) != stamp[0]
    return {
        "exists": True,
        "edited": edited,
        "up_to_date": stamp is not None and stamp[1] == target.source_hash and not edited,
    }
