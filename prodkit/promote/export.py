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
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from prodkit.config import Project
from prodkit.errors import BadInput
from prodkit.notebook import without_leading_blank_lines
from prodkit.promote.modname import validate_module_name
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
        self.module_of_cell = module_of_cell  # 0-based index of the cell nbdev is given -> module

    def __call__(self, cell):
        module = self.module_of_cell.get(cell.idx_)
        if module is None:
            return
        lines = without_leading_blank_lines(cell.source).split("\n", 1)
        cell.set_source(lines[1] if len(lines) > 1 else "")
        cell.directives_ = {**cell.directives_, "export": module}


def _for_nbdev(plan: NotebookPlan, module_of_cell: dict[int, str]) -> tuple[dict, dict[int, str]]:
    """The notebook for nbdev, and `module_of_cell` re-indexed to its cells.

    Only what export reads: markdown and raw cells (title, summary, `exportd`), the first code
    cell (it takes the notebook's metadata directives), `%%promote` cells, and code cells that may
    hold a directive (a `|` anywhere, or `nbdev` metadata); the other code cells cannot change an
    exported module and are most of a notebook's bulk, as are the outputs left out of every cell.
    prodkit's other cells (tests, parameters, modules blocked this run) are emptied: their nbdev
    directives must not send them into a module.
    Ids are kept (nbformat < 4.5: deterministic ones, not nbdev's random ones): the modules'
    `# %% ... #id` headers name the notebook's own cells.
    """
    raw = plan.notebook.raw
    cells, reindexed, first_code = [], {}, True
    for number, cell in enumerate(raw["cells"], start=1):
        source = plan.notebook.cells[number - 1].source  # `\n` line ends, as prodkit read it
        code = cell.get("cell_type") == "code"
        keep = (not code or first_code or number - 1 in module_of_cell or "|" in source
                or "nbdev" in (cell.get("metadata") or {}))
        first_code = first_code and not code
        if not keep:
            continue
        if number - 1 in module_of_cell:
            reindexed[len(cells)] = module_of_cell[number - 1]
        cell = {k: v for k, v in cell.items() if k != "outputs"}
        cell.setdefault("id", f"cell{number}")  # read back by `_cell_of_id`
        cell["source"] = source
        if code and number - 1 not in module_of_cell and plan.notebook.cells[number - 1].promote is not None:
            # a test or parameters cell, or a module cell of a blocked module: its `#| export` is not nbdev's to follow
            cell["source"], cell["metadata"] = "", {k: v for k, v in (cell.get("metadata") or {}).items() if k != "nbdev"}
        cells.append(cell)
    return {**raw, "cells": cells}, reindexed


def _process(nb_dict: dict, procs: list, nb: Path, project: Project):
    """Run nbdev's processors; directives nbdev cannot read are bad input, not a traceback."""
    from fastcore.nbio import dict2nb
    from fastcore.xtras import working_directory
    from nbdev.export import ExportModuleProc
    from nbdev.process import NBProcessor

    exporter = ExportModuleProc()
    try:
        with working_directory(project.root):
            NBProcessor(nb=dict2nb(nb_dict), procs=[*procs, exporter]).process()
    except (TypeError, ValueError, AttributeError) as e:
        raise BadInput(
            f"nbdev cannot read this notebook's directives ({type(e).__name__}: {str(e)[:200]})",
            path=str(nb),
            fix="check its `#| export` / `#| default_exp` lines and `nbdev` metadata",
        ) from None
    return exporter


def _module_of_key(key: str, plan: NotebookPlan) -> str:
    """The module nbdev exports cells under `key` to: the key, or for `#` the default module."""
    name = key if key != "#" else plan.default_module()  # as `expected_targets` names it
    try:
        return validate_module_name(name)
    except BadInput as e:
        raise BadInput(e.message + " (an nbdev export directive)", path=str(plan.notebook.path), fix=e.fix) from None


def _check_docstring(text: str, module: str, plan: NotebookPlan) -> None:
    """nbdev copies markdown (a `# Title` cell's `> summary`, `exportd` cells) into the module
    docstring: it must stay a docstring, never become code."""
    import ast

    docstring = text.split("# AUTOGENERATED! DO NOT EDIT!", 1)[0]
    try:
        tree = ast.parse(docstring)
        ok = not tree.body or (
            len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr) and isinstance(tree.body[0].value, ast.Constant)
        )
    except SyntaxError:
        ok = False
    if not ok:
        raise BadInput(
            f"a markdown cell would break out of the docstring of {module} (it holds triple quotes)",
            path=str(plan.notebook.path),
            fix='remove the """ from the title/summary markdown cell',
        )


def _cell_of_id(plan: NotebookPlan, cell_id: str | None):
    """The notebook cell a module's `# %% ... #ID` header names (`cellN` for a cell saved without an id)."""
    by_id = next((c for c in plan.notebook.cells if c.id is not None and c.id == cell_id), None)
    number = re.fullmatch(r"cell(\d+)", cell_id or "")
    if by_id is None and number and 0 < int(number.group(1)) <= len(plan.notebook.cells):
        return plan.notebook.cells[int(number.group(1)) - 1]
    return by_id


_CELL_HEADER = re.compile(r"^# %% .* #(\S+)$")


def _check_parses(text: str, module: str, plan: NotebookPlan) -> None:
    """The module nbdev rendered must be Python: an exported cell's `%magic`, `!command` or cell-magic
    line is bad input naming that cell, not a broken module (nbdev copies exported cells as they are)."""
    import ast

    try:
        ast.parse(text)
    except SyntaxError as e:
        lines = text.split("\n")[: e.lineno or 0]  # up to the line that does not parse
        headers = [m.group(1) for m in map(_CELL_HEADER.match, lines) if m]
        cell = _cell_of_id(plan, headers[-1] if headers else None)
        bad = lines[-1] if lines else None
        cell_lines = cell.source.split("\n") if cell is not None else []
        where = f" (line {cell_lines.index(bad) + 1} of the cell)" if bad in cell_lines else ""
        raise BadInput(
            f"the code exported to {module} is not Python: {e.msg}{where}",
            path=str(plan.notebook.path),
            cell=cell.number if cell is not None else None,
            fix="IPython syntax (%magic, !command, %%magic) cannot go into a module: move it to a cell that is not exported",
        ) from None


def _make(exporter, keys: list[str], module: str, nb_path: Path, project: Project, staging: Path) -> str:
    """Text of `module` as nbdev's ModuleMaker writes it (into `staging`, a temp folder), from
    the cells nbdev exported under `keys` (`#` and the module's name can both lead to it)."""
    from fastcore.xtras import working_directory
    from nbdev.maker import ModuleMaker

    def in_order(groups):
        return sorted((c for key in keys for c in groups[key]), key=lambda c: c.idx_)

    staging_lib = staging / project.lib_path.name
    target = module_path(project, module)
    maker = ModuleMaker(dest=staging_lib, name=module, nb_path=nb_path, is_new=True)
    if staging not in maker.fname.resolve().parents:  # never true after validation; a last guard
        raise BadInput(f"module name {module!r} leaves the staging folder", path=str(nb_path))
    maker.dest2nb = Path(os.path.relpath(nb_path, target.parent)).as_posix()
    maker.hdr = f"# %% {maker.dest2nb}"
    with working_directory(project.root):  # nbdev reads the project's config (doc_host) from the cwd
        maker.make(in_order(exporter.modules), in_order(exporter.in_all), lib_path=staging_lib)
    return maker.fname.read_text(encoding="utf-8")


def _exported_keys(exporter) -> list[str]:
    return [
        key
        for key, cells in exporter.modules.items()
        if any(c.cell_type == "code" and "exportd" not in c.directives_ for c in cells)
    ]


def render_modules(plan: NotebookPlan, project: Project) -> list[RenderedModule]:
    """The module files nbdev would write for `plan`, as text (nothing written to the project)."""
    skip = plan.blocked_modules
    module_of_cell = {c.number - 1: m for m, cells in plan.modules.items() if m not in skip for c in cells}
    nb_path = plan.notebook.path
    nb_dict, module_of_cell = _for_nbdev(plan, module_of_cell)
    exporter = _process(nb_dict, [PromoteProc(module_of_cell)], nb_path, project)
    keys_of: dict[str, list[str]] = {}
    for key in _exported_keys(exporter):
        keys_of.setdefault(_module_of_key(key, plan), []).append(key)
    rendered = []
    with tempfile.TemporaryDirectory(prefix="prodkit-promote-") as tmp:
        for module, keys in keys_of.items():
            if module in skip:
                continue
            text = _make(exporter, keys, module, nb_path, project, Path(tmp).resolve())
            _check_docstring(text, module, plan)
            _check_parses(text, module, plan)
            cells = [c for key in keys for c in exporter.modules[key]]
            rendered.append(
                RenderedModule(
                    module=module,
                    path=module_path(project, module),
                    text=text,
                    cell_ids=[c.id for c in sorted(cells, key=lambda c: c.idx_) if c.cell_type == "code"],
                )
            )
    return rendered


def nbdev_export_text(plan: NotebookPlan, project: Project, module: str) -> str | None:
    """What `nbdev-export` itself writes for the notebook's default module (its `#| export`
    cells only, the notebook as saved), or None when nbdev-export would not write `module`."""
    exporter = _process(copy.deepcopy(plan.notebook.raw), [], plan.notebook.path, project)
    if "#" not in _exported_keys(exporter) or getattr(exporter, "default_exp", None) != module:
        return None
    with tempfile.TemporaryDirectory(prefix="prodkit-nbdev-") as tmp:
        return _make(exporter, ["#"], module, plan.notebook.path, project, Path(tmp).resolve())
