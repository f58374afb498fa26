"""Reading notebooks and the `%%promote` line, without nbformat (plain JSON is 10x faster).

Cell numbers shown to users are 1-based positions among all cells of the notebook,
markdown included: what a reader counts when scrolling.
"""

from __future__ import annotations

import json
import keyword
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prodkit.errors import BadInput

PROMOTE_MAGIC = "%%promote"
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
        """The parsed `%%promote` line of this code cell, or None."""
        if self.cell_type != "code" or not self.first_line.startswith(PROMOTE_MAGIC):
            return None
        return parse_promote_args(self.first_line[len(PROMOTE_MAGIC) :])

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

    @property
    def code_cells(self) -> list[Cell]:
        return [c for c in self.cells if c.cell_type == "code"]

    @property
    def kernel_name(self) -> str | None:
        return self.metadata.get("kernelspec", {}).get("name")

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


def read_notebook(path: Path | str) -> Notebook:
    """Read and validate a notebook file; bad input raises BadInput naming the file."""
    path = Path(path)
    if not path.is_file():
        raise BadInput("no such notebook", path=str(path), fix="check the path")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise BadInput("not a notebook (not UTF-8 text)", path=str(path), fix="pass a .ipynb file") from None
    except json.JSONDecodeError as e:
        raise BadInput(
            f"not valid JSON (line {e.lineno}, column {e.colno}): {e.msg}",
            path=str(path),
            fix="open it in Jupyter and save it again, or restore it from git",
        ) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise BadInput("not a Jupyter notebook (no 'cells' list)", path=str(path), fix="pass a .ipynb file")
    version = raw.get("nbformat")
    if not isinstance(version, int) or version < 4:
        raise BadInput(
            f"nbformat {version} is too old (prodkit needs 4 or later)",
            path=str(path),
            fix="upgrade it with `jupyter nbconvert --to notebook --inplace`",
        )
    cells = []
    for number, c in enumerate(raw["cells"], start=1):
        if not isinstance(c, dict) or "cell_type" not in c:
            raise BadInput(
                "malformed cell (no cell_type)",
                path=str(path),
                cell=number,
                fix="open it in Jupyter and save it again",
            )
        cells.append(
            Cell(
                number=number,
                cell_type=c["cell_type"],
                source=source_text(c.get("source")),
                id=c.get("id"),
                execution_count=c.get("execution_count"),
                outputs=c.get("outputs") or [],
                metadata=c.get("metadata") or {},
            )
        )
    return Notebook(
        path=path.resolve(), cells=cells, metadata=raw.get("metadata") or {}, nbformat=version, raw=raw
    )


def notebook_paths(path: Path | str) -> list[Path]:
    """`path` itself, or the notebooks under a folder (checkpoints and hidden folders skipped)."""
    path = Path(path)
    if path.is_dir():
        found = sorted(
            p
            for p in path.rglob("*.ipynb")
            if not any(
                part.startswith(".") or part == "__pycache__" for part in p.relative_to(path).parts[:-1]
            )
        )
        if not found:
            raise BadInput(
                "no notebooks in this folder", path=str(path), fix="pass a .ipynb file or a folder with some"
            )
        return found
    if path.suffix != ".ipynb" and path.exists():
        raise BadInput(
            "not a notebook (expected a .ipynb file)", path=str(path), fix="pass a .ipynb file or a folder"
        )
    if not path.exists():
        raise BadInput("no such file or folder", path=str(path), fix="check the path")
    return [path]


def kernel_notebook_path(user_ns: dict | None = None, explicit: str | None = None) -> Path | None:
    """The saved notebook a kernel runs: `explicit`, Jupyter's `__session__`, JPY_SESSION_NAME,
    or PRODKIT_NOTEBOOK (set by prodkit for the kernels of jobs and the demo). None if unknown."""
    import os

    candidates = [
        explicit,
        (user_ns or {}).get("__session__"),
        os.environ.get("JPY_SESSION_NAME"),
        os.environ.get("PRODKIT_NOTEBOOK"),
    ]
    for candidate in candidates:
        if candidate and str(candidate).endswith(".ipynb") and Path(candidate).is_file():
            return Path(candidate).resolve()
    return None


def validate_module_name(name: str) -> str:
    """A dotted identifier that stays inside lib_path (no `..`, `/`, keywords)."""
    if not name or name.startswith((".", "/")) or "/" in name or "\\" in name or ".." in name:
        raise BadInput(
            f"module name {name!r} must be a dotted name inside lib_path, like churn.features",
            fix="use letters, digits, _ and dots only",
        )
    for part in name.split("."):
        if not part.isidentifier() or keyword.iskeyword(part):
            raise BadInput(
                f"module name {name!r}: {part!r} is not a valid Python identifier",
                fix="use letters, digits, _ and dots, like churn.features",
            )
    return name


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
                fix="use `%%promote [MODULE]`, `%%promote --test [MODULE] [--name NAME]` or `%%promote --params`",
            )
        elif module is None:
            module = validate_module_name(arg)
        else:
            raise BadInput(
                f"%%promote takes one module name, got {module!r} and {arg!r}", fix="keep one module per cell"
            )
        i += 1
    if kind == "params" and (module or name):
        raise BadInput("%%promote --params takes no module or name", fix="write just `%%promote --params`")
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
