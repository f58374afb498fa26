"""Adapter to nbdev 3's export machinery: NBProcessor + ExportModuleProc + ModuleMaker.

`%%promote` cells are turned into nbdev `export` cells by `PromoteProc` (the magic line is
stripped, the `export` directive set) before `ExportModuleProc` runs; nbdev's own
`#| export` cells pass through untouched. ModuleMaker renders into a staging folder that
mirrors the project, so headers (`# %% ../nbs/x.ipynb #id`) and `__all__` are exactly
what nbdev writes, and `nbdev-update` can sync module edits back.
"""

from __future__ import annotations

import copy
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from prodkit.config import Project
from prodkit.notebook import without_leading_blank_lines
from prodkit.promote.plan import NotebookPlan
from prodkit.promote.targets import module_path


@dataclass
class RenderedModule:
    module: str
    path: Path  # where it belongs in the project
    text: str
    cell_ids: list[str]


class PromoteProc:
    """nbdev processor: a `%%promote MODULE` cell becomes an `export MODULE` cell."""

    def __init__(self, module_of_cell: dict[int, str]):
        self.module_of_cell = module_of_cell  # 0-based cell index -> module

    def __call__(self, cell):
        module = self.module_of_cell.get(cell.idx_)
        if module is None:
            return
        lines = without_leading_blank_lines(cell.source).split("\n", 1)
        cell.set_source(lines[1] if len(lines) > 1 else "")
        cell.directives_ = {**cell.directives_, "export": module}


def _raw_with_stable_ids(plan: NotebookPlan) -> dict:
    raw = copy.deepcopy(plan.notebook.raw)
    for number, cell in enumerate(raw["cells"], start=1):
        cell.setdefault("id", f"cell{number}")  # nbformat < 4.5: deterministic ids, not nbdev's random ones
        cell["source"] = plan.notebook.cells[number - 1].source  # `\n` line ends, as prodkit read it
    return raw


def render_modules(plan: NotebookPlan, project: Project) -> list[RenderedModule]:
    """The module files nbdev would write for `plan`, as text (nothing written to the project)."""
    from fastcore.nbio import dict2nb
    from fastcore.xtras import working_directory
    from nbdev.export import ExportModuleProc
    from nbdev.maker import ModuleMaker
    from nbdev.process import NBProcessor

    skip = plan.blocked_modules
    module_of_cell = {c.number - 1: m for m, cells in plan.modules.items() if m not in skip for c in cells}
    exporter = ExportModuleProc()
    nb_path = plan.notebook.path
    with working_directory(project.root):
        NBProcessor(
            nb=dict2nb(_raw_with_stable_ids(plan)), procs=[PromoteProc(module_of_cell), exporter]
        ).process()
        default = getattr(exporter, "default_exp", None) or plan.notebook.default_module()
        rendered = []
        with tempfile.TemporaryDirectory(prefix="prodkit-promote-") as tmp:
            staging_lib = Path(tmp) / project.lib_path.name
            for key, cells in exporter.modules.items():
                module = default if key == "#" else key
                if module in skip or not any(
                    c.cell_type == "code" and "exportd" not in c.directives_ for c in cells
                ):
                    continue
                target = module_path(project, module)
                maker = ModuleMaker(dest=staging_lib, name=module, nb_path=nb_path, is_new=True)
                maker.dest2nb = Path(os.path.relpath(nb_path, target.parent)).as_posix()
                maker.hdr = f"# %% {maker.dest2nb}"
                maker.make(cells, exporter.in_all[key], lib_path=staging_lib)
                rendered.append(
                    RenderedModule(
                        module=module,
                        path=target,
                        text=maker.fname.read_text(encoding="utf-8"),
                        cell_ids=[c.id for c in cells if c.cell_type == "code"],
                    )
                )
    return rendered
