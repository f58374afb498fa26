"""What a notebook asks to promote: module cells, test cells, the params cell, and problems.

Pure: reads a parsed Notebook, returns a NotebookPlan. No files are written here.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass, field

from prodkit.errors import BadInput, ProdkitError
from prodkit.notebook import Cell, Notebook
from prodkit.promote.modname import _shown, validate_module_name
from prodkit.promote.names import BUILTINS, IPYTHON_ONLY, CellNames, analyse, safe_analyse

# nbdev's own reading of a directive line (fastcore.nbio._directive): `#| export NAME`, `#| export: NAME`.
_NBDEV_EXPORT = re.compile(
    r"^[ \t]*#[ \t]*\|[ \t]*(export|exporti|exports)(?=[\s:]|$)[ \t]*:?[ \t]?([^\n]*?)[ \t]*$", re.M
)
# nbformat 4.5's cell id schema: the id goes into generated code (`# %% ../nbs/x.ipynb #ID`).
_CELL_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass
class Problem:
    """Something that stops a module (or its tests) from being written."""

    kind: str  # hidden-dependency | undefined | ipython-syntax | import-error
    module: str
    cell: int
    message: str
    name: str | None = None
    in_tests: bool = False  # blocks only the module's test file

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "module": self.module,
            "cell": self.cell,
            "name": self.name,
            "message": self.message,
            "in_tests": self.in_tests,
        }


@dataclass
class TestCase:
    name: str
    cell: Cell
    module: str
    names: CellNames


@dataclass
class NotebookPlan:
    notebook: Notebook
    modules: dict[str, list[Cell]] = field(default_factory=dict)  # %%promote cells per module
    nbdev_cells: list[Cell] = field(default_factory=list)  # cells with nbdev's own export directives
    tests: dict[str, list[TestCase]] = field(default_factory=dict)
    params_cell: Cell | None = None
    problems: list[Problem] = field(default_factory=list)
    allow_missing: bool = False  # problems are reported but block nothing
    _default: str | None = field(default=None, repr=False)

    def default_module(self) -> str:
        """The notebook's default module (`%prodkit module`, `#| default_exp`, file name), validated
        the first time a cell needs it."""
        if self._default is None:
            self._default = _validated_default(self.notebook)
        return self._default

    @property
    def blocked_modules(self) -> set[str]:
        return set() if self.allow_missing else {p.module for p in self.problems if not p.in_tests}

    @property
    def blocked_tests(self) -> set[str]:
        """Test files not written: their own problems, or their module is blocked."""
        return set() if self.allow_missing else {p.module for p in self.problems}


def _validated_default(nb: Notebook) -> str:
    name = nb.default_module()
    try:
        return validate_module_name(name)
    except BadInput as e:
        cell = next((c.number for c in nb.code_cells if name and name in c.source), None)
        if cell:
            message = f"{e.message} (the notebook's default module)"
            raise BadInput(message, path=str(nb.path), cell=cell, fix=e.fix) from None
        raise BadInput(
            f"{e.message} (the module name its file name gives)",
            path=str(nb.path),
            fix="rename the notebook, or name the module: `%%promote NAME` or `#| default_exp NAME`",
        ) from None


def nbdev_target(cell: Cell) -> str:
    """The module an nbdev `#| export NAME` cell names ('' for the default module)."""
    m = _NBDEV_EXPORT.search(cell.source)
    return m.group(2) if m else ""


def _check_one_module(nb: Notebook, cell: Cell, module: str) -> None:
    """A `%%promote A` cell that also says nbdev's `#| export B` names two modules: refused, not guessed."""
    other = nbdev_target(cell)
    if other and other != module:
        raise BadInput(
            f"the cell says both %%promote {module} and #| export {other}",
            path=str(nb.path),
            cell=cell.number,
            fix=f"keep one: remove the `#| export {other}` line, or promote the cell to {other}",
        )


def _check_nbdev_target(nb: Notebook, cell: Cell, name: str) -> str:
    try:
        return validate_module_name(name)
    except BadInput as e:
        raise BadInput(e.message, path=str(nb.path), cell=cell.number, fix=e.fix) from None


def check_cell_ids(nb: Notebook) -> None:
    """Every cell id is an nbformat id: ids go into generated code as `# %% ... #ID` comments."""
    for cell in nb.cells:
        if cell.id is not None and not (isinstance(cell.id, str) and _CELL_ID.fullmatch(cell.id)):
            raise BadInput(
                f"cell id {_shown(cell.id)} is not a valid nbformat id (1-64 letters, digits, - and _)",
                path=str(nb.path),
                cell=cell.number,
                fix="give the cell a valid id (Jupyter writes a new one when you delete it and save)",
            )


def _directive(nb: Notebook, cell: Cell):
    try:
        return cell.promote
    except ProdkitError as e:
        raise BadInput(e.message, path=str(nb.path), cell=cell.number, fix=e.fix) from None


def _test_name(cell: Cell, requested: str | None, module: str, ordinal: int) -> str:
    if requested:
        return requested if requested.startswith("test_") else f"test_{requested}"
    first = cell.body.lstrip().split("\n", 1)[0].strip()
    if first.startswith("#") and not first.startswith("#|"):
        words = re.findall(r"[a-z0-9]+", first.lstrip("#").lower())[:8]
        if words:
            return "test_" + "_".join(words)
    return f"test_{module.rsplit('.', 1)[-1]}_{ordinal}"


def _parse_promoted(nb: Notebook, cell: Cell) -> CellNames:
    """Names of a promoted cell; IPython syntax or a SyntaxError is bad input naming the cell."""
    body = cell.body
    error = _syntax_error(body)
    if error is not None:
        from prodkit.notebook.analysis import indented_first_line

        lineno, msg = error
        if indented_first_line(body):
            message, fix = ("the cell's code is indented: IPython runs it dedented, a module cannot",
                            "remove the indentation of the cell's lines, save, and promote again")
        elif safe_analyse(body) is not None:
            message, fix = "IPython syntax (%magic or !command) cannot go into a module", "move that line to a cell without %%promote"
        else:
            message, fix = f"SyntaxError on line {lineno}: {msg}", "fix the cell, save, and promote again"
        raise BadInput(message, path=str(nb.path), cell=cell.number, fix=fix) from None
    return analyse(body)


@functools.lru_cache(maxsize=2048)
def _syntax_error(body: str) -> tuple[int | None, str] | None:
    """(line, message) of the SyntaxError plain Python gives for `body`, or None (cached: a pure function)."""
    try:
        ast.parse(body)
    except SyntaxError as e:
        return e.lineno, e.msg
    return None


def build_plan(nb: Notebook) -> NotebookPlan:
    """Group the notebook's promote cells; raise BadInput for input prodkit cannot use."""
    check_cell_ids(nb)
    plan = NotebookPlan(notebook=nb)
    last_module = None
    seen_tests: dict[tuple[str, str], Cell] = {}
    for cell in nb.code_cells:
        directive = _directive(nb, cell)
        if directive is None:
            if _NBDEV_EXPORT.search(cell.source):
                _check_nbdev_target(nb, cell, nbdev_target(cell) or plan.default_module())
                plan.nbdev_cells.append(cell)
            continue
        if directive.kind == "params":
            if plan.params_cell is not None:
                raise BadInput(
                    f"a second parameters cell (the first is cell {plan.params_cell.number})",
                    path=str(nb.path),
                    cell=cell.number,
                    fix="keep one parameters cell",
                )
            plan.params_cell = cell
        elif directive.kind == "module":
            module = directive.module or plan.default_module()
            _check_one_module(nb, cell, module)
            _parse_promoted(nb, cell)
            plan.modules.setdefault(module, []).append(cell)
            last_module = module
        else:
            module = directive.module or last_module or plan.default_module()
            names = _parse_promoted(nb, cell)
            cases = plan.tests.setdefault(module, [])
            name = _test_name(cell, directive.name, module, len(cases) + 1)
            if (module, name) in seen_tests:
                other = seen_tests[(module, name)]
                raise BadInput(
                    f"test name {name} is also made by cell {other.number} (tests for {module})",
                    path=str(nb.path),
                    cell=cell.number,
                    fix="give one of them `--name OTHER_NAME` on its %%promote line",
                )
            seen_tests[(module, name)] = cell
            cases.append(TestCase(name=name, cell=cell, module=module, names=names))
    if not plan.modules and not plan.tests and not plan.nbdev_cells:
        raise BadInput(
            "no %%promote cells (and no nbdev #| export cells)",
            path=str(nb.path),
            fix="mark cells with `%%promote MODULE` or `%%promote --test` (after `%load_ext prodkit`)",
        )
    plan.problems = find_problems(plan)
    return plan


def _definers(nb: Notebook, promoted: set[int]) -> dict[str, list[int]]:
    """name -> numbers of non-promoted code cells that bind it at top level."""
    found: dict[str, list[int]] = {}
    for cell in nb.code_cells:
        if cell.number in promoted:
            continue
        names = safe_analyse(cell.body if cell.promote else cell.source)
        for name in names.defines if names else ():
            found.setdefault(name, []).append(cell.number)
    return found


def module_bindings(plan: NotebookPlan) -> dict[str, dict[str, CellNames]]:
    """module -> {name: names of the cell that binds it} for the promoted modules."""
    bound: dict[str, dict[str, CellNames]] = {}
    for module, cells in plan.modules.items():
        table = bound.setdefault(module, {})
        for cell in cells:
            names = analyse(cell.body)
            for name in names.defines:
                table[name] = names
    return bound


def find_problems(plan: NotebookPlan) -> list[Problem]:
    """Names promoted code uses that its module will not have (hidden notebook state)."""
    nb = plan.notebook
    promoted = {c.number for cells in plan.modules.values() for c in cells}
    promoted |= {t.cell.number for cases in plan.tests.values() for t in cases}
    definers = _definers(nb, promoted)
    in_test_cells: dict[str, list[int]] = {}
    for case in (c for cases in plan.tests.values() for c in cases):
        for name in case.names.defines:
            in_test_cells.setdefault(name, []).append(case.cell.number)
    bindings = module_bindings(plan)
    problems: list[Problem] = []

    def diagnose(module: str, cell: Cell, name: str, available: set[str], star: bool, in_tests: bool) -> None:
        if name in available or name in BUILTINS:
            return
        elsewhere = [m for m, names in bindings.items() if m != module and name in names]
        if name in IPYTHON_ONLY:
            msg = f"uses {name}, which only an IPython kernel provides"
        elif name in definers:
            where = ", ".join(f"cell {n}" for n in definers[name])
            msg = f"uses {name}, defined only in {where} (not promoted): the module will not have it"
        elif elsewhere:
            msg = f"uses {name} from module {elsewhere[0]} without importing it: add `from {elsewhere[0]} import {name}`"
        elif in_test_cells.get(name, [cell.number]) != [cell.number]:
            where = ", ".join(f"cell {n}" for n in in_test_cells[name] if n != cell.number)
            msg = (
                f"uses {name}, defined in test {where}: each test runs on its own, "
                "so define it in this cell (or promote it to the module)"
            )
        elif star:
            return
        else:
            msg = f"uses {name}, which no cell defines"
        kind = (
            "hidden-dependency"
            if name in definers or elsewhere or name in IPYTHON_ONLY or name in in_test_cells
            else "undefined"
        )
        problems.append(
            Problem(kind=kind, module=module, cell=cell.number, name=name, message=msg, in_tests=in_tests)
        )

    for module, cells in plan.modules.items():
        cell_names = [(c, analyse(c.body)) for c in cells]
        available = set(bindings[module])
        star = any(n.star_import for _, n in cell_names)
        for cell, names in cell_names:
            for name in sorted(names.uses):
                diagnose(module, cell, name, available, star, False)
    for module, cases in plan.tests.items():
        available = {name for names in bindings.values() for name in names}
        for case in cases:
            for name in sorted(case.names.uses - case.names.defines):
                diagnose(module, case.cell, name, available, case.names.star_import, True)
    return problems
