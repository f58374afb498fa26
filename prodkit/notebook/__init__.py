"""The one place that reads a notebook: cells, per-cell facts, directives, which notebook a kernel runs.

- `reader.py`: `read_notebook` (any nbformat; malformed cells are one-line BadInput) and `notebook_paths`;
- `analysis.py`: `Cell.facts`, what a code cell contains (IPython syntax via IPython's TransformerManager,
  parse error, shell/magic lines, imports, names, calls), computed once per cell;
- `kernel.py`: which saved notebook a kernel runs, and resolving a path the user typed;
- here: the records (`Notebook`, `Cell`) and the directives (`%%promote`, the parameters cell).

Cell numbers shown to users are 1-based positions among all cells of the notebook,
markdown included: what a reader counts when scrolling.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prodkit.errors import BadInput

if TYPE_CHECKING:
    from prodkit.notebook.analysis import CellFacts

PROMOTE_MAGIC = "%%promote"
PARAMETERS_MAGIC = "%%parameters"  # the parameters cell (`%%promote --params` is the older spelling)
DIRECTIVE_MAGICS = (PROMOTE_MAGIC, PARAMETERS_MAGIC)
PARAMETERS_TAG = "parameters"  # papermill's tag for the parameters cell
_DEFAULT_EXP = re.compile(r"^\s*#\s*\|\s*default_exp\s+(\S+)", re.M)
_MODULE_MAGIC = re.compile(r"^\s*%prodkit\s+module\s+(\S+)\s*$", re.M)


@dataclass
class Cell:
    """One notebook cell, as prodkit sees it."""

    number: int  # 1-based position in the notebook
    cell_type: str
    source: str
    id: str | None = None
    execution_count: int | None = None
    outputs: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def tags(self) -> list[str]:
        return list(self.metadata.get("tags", []))

    @property
    def first_line(self) -> str:
        return without_leading_blank_lines(self.source).split("\n", 1)[0].strip()

    @property
    def promote(self) -> PromoteDirective | None:
        """The parsed `%%promote` (or `%%parameters`) line of this code cell, or None."""
        return parse_directive_line(self.first_line) if self.cell_type == "code" else None

    @cached_property
    def facts(self) -> CellFacts:
        """What this cell contains (parsed once, on first use)."""
        from prodkit.notebook.analysis import CellFacts, cell_facts

        if self.cell_type != "code":
            return CellFacts(self, None)
        return cell_facts(self)

    @property
    def is_parameters(self) -> bool:
        """The papermill parameters cell: `%%parameters` (or `%%promote --params`), or tagged `parameters`."""
        if self.cell_type != "code":
            return False
        directive = self.promote
        return PARAMETERS_TAG in self.tags or (directive is not None and directive.kind == "params")

    @property
    def body(self) -> str:
        """The source without a leading `%%promote` line."""
        if self.promote is None:
            return self.source
        lines = without_leading_blank_lines(self.source).split("\n", 1)
        return lines[1] if len(lines) > 1 else ""


@dataclass
class Notebook:
    path: Path
    cells: list[Cell]
    metadata: dict[str, Any]
    nbformat: int
    raw: dict[str, Any]
    notes: list[str] = field(default_factory=list)  # e.g. "converted from nbformat 3"

    @property
    def code_cells(self) -> list[Cell]:
        return [c for c in self.cells if c.cell_type == "code"]

    @property
    def kernel_name(self) -> str | None:
        spec = self.metadata.get("kernelspec")
        return spec.get("name") if isinstance(spec, dict) else None

    def parameters_cell(self) -> Cell | None:
        """The papermill parameters cell: the `%%parameters` (or `%%promote --params`) cell, else the cell tagged `parameters`."""
        for cell in self.code_cells:
            if (d := cell.promote) is not None and d.kind == "params":
                return cell
        return next((c for c in self.code_cells if PARAMETERS_TAG in c.tags), None)

    @property
    def parse_errors(self) -> list[Cell]:
        """Code cells that are not Python (after IPython syntax is converted)."""
        return [c for c in self.code_cells if c.facts.parse_error is not None]

    def default_module(self) -> str:
        """`%prodkit module NAME`, else nbdev's `#| default_exp`, else from the file name."""
        for pattern in (_MODULE_MAGIC, _DEFAULT_EXP):
            for cell in self.code_cells:
                if m := pattern.search(cell.source):
                    return m.group(1)
        return module_name_from_path(self.path)


@dataclass(frozen=True)
class PromoteDirective:
    """What a `%%promote` line asks for."""

    kind: str  # "module" | "test" | "params"
    module: str | None = None
    name: str | None = None


def source_text(source: Any) -> str:
    """A cell's source as one string with `\n` line ends (notebooks saved on Windows have `\r\n`)."""
    text = "".join(source) if isinstance(source, list) else str(source or "")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def without_leading_blank_lines(source: str) -> str:
    """`source` from its first line with content (IPython drops blank leading lines too)."""
    lines = source.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines)


def validate_module_name(name: str) -> str:
    """Re-export of `prodkit.promote.modname.validate_module_name` (the one module-name validator)."""
    from prodkit.promote.modname import validate_module_name as validate

    return validate(name)


def parse_promote_args(line: str) -> PromoteDirective:
    """Parse what follows `%%promote`: `[MODULE]`, `--test [MODULE] [--name NAME]`, `--params`."""
    args = line.split()
    kind, module, name = "module", None, None
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--test":
            kind = "test"
        elif arg == "--params":
            kind = "params"
        elif arg == "--name":
            if i + 1 >= len(args):
                raise BadInput(
                    "%%promote --name needs a value",
                    fix="write e.g. `%%promote --test --name tenure_buckets`",
                )
            name = args[i + 1]
            i += 1
        elif arg.startswith("-"):
            raise BadInput(
                f"%%promote: unknown option {arg!r}",
                fix="use `%%promote [MODULE]`, `%%promote --test [MODULE] [--name NAME]` or `%%parameters` for the parameters cell",
            )
        elif module is None:
            module = validate_module_name(arg)
        else:
            raise BadInput(
                f"%%promote takes one module name, got {module!r} and {arg!r}", fix="keep one module per cell"
            )
        i += 1
    if kind == "params" and (module or name):
        raise BadInput("%%promote --params takes no module or name", fix="write just `%%parameters`")
    if name is not None and kind != "test":
        raise BadInput(
            "%%promote --name only applies to --test cells", fix="write `%%promote --test --name NAME`"
        )
    if name is not None and (not name.isidentifier() or keyword.iskeyword(name)):
        raise BadInput(f"test name {name!r} is not a valid identifier", fix="use letters, digits and _")
    return PromoteDirective(kind=kind, module=module, name=name)


def module_name_from_path(path: Path) -> str:
    """`nbs/01_churn-model.ipynb` -> `churn_model` (nbdev-style numeric prefix dropped)."""
    stem = re.sub(r"^\d+[a-zA-Z]?_", "", Path(path).stem)
    name = re.sub(r"\W", "_", stem).strip("_").lower() or "notebook"
    return f"nb_{name}" if name[0].isdigit() or keyword.iskeyword(name) else name


def parse_directive_line(first: str) -> PromoteDirective | None:
    """A cell's first line: `%%promote ...` or `%%parameters` parsed, else None (BadInput if malformed)."""
    first = first.strip()
    magic, _, args = first.partition(" ")
    if magic == PARAMETERS_MAGIC:
        if args.strip():
            raise BadInput(f"%%parameters takes no arguments, got {args.strip()!r}", fix="write just `%%parameters`")
        return PromoteDirective(kind="params")
    if not first.startswith(PROMOTE_MAGIC):
        return None
    return parse_promote_args(first[len(PROMOTE_MAGIC) :])


def promote_directive(source: str) -> PromoteDirective | None:
    """The `%%promote` / `%%parameters` line of a cell source, or None (BadInput for a malformed line)."""
    return parse_directive_line(without_leading_blank_lines(source).split("\n", 1)[0])


from prodkit.notebook.kernel import kernel_notebook_path, resolve_explicit_notebook  # noqa: E402
from prodkit.notebook.reader import notebook_paths, read_notebook  # noqa: E402

__all__ = [
    "DIRECTIVE_MAGICS", "PARAMETERS_MAGIC", "PARAMETERS_TAG", "PROMOTE_MAGIC", "Cell", "Notebook", "PromoteDirective", "kernel_notebook_path",
    "module_name_from_path", "notebook_paths", "parse_directive_line", "parse_promote_args", "promote_directive", "read_notebook",
    "resolve_explicit_notebook", "source_text", "validate_module_name", "without_leading_blank_lines",
]
