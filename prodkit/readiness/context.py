"""What the checks read: the notebook parsed once into per-cell facts, plus the project.

Parsing is plain `ast` on each code cell after IPython syntax (`!cmd`, `%magic`, `%%cell`
magics) is blanked out line for line, so line numbers still match the cell.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from prodkit.config import Project
from prodkit.notebook import Cell, Notebook

# Cell magics whose body is still Python.
PYTHON_CELL_MAGICS = {"promote", "time", "timeit", "capture", "prun", "debug", "memit", "mprun", "prodkit"}
_SHELL_ASSIGN = re.compile(r"^(\s*)[\w.,\s\[\]]+=\s*[!%]")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TEXT_MIMETYPES = ("text/plain", "text/html", "text/markdown", "text/latex", "application/json")


@dataclass
class Call:
    """One call in a cell: its dotted name as written, keyword names, positional count, line."""

    name: str
    keywords: set[str]
    nargs: int
    line: int
    node: ast.Call


@dataclass
class CellFacts:
    """What one code cell contains."""

    cell: Cell
    tree: ast.Module | None
    shell_lines: list[tuple[int, str]] = field(default_factory=list)
    imports: list[tuple[str, int]] = field(default_factory=list)  # full module name, line
    aliases: dict[str, str] = field(default_factory=dict)  # local name -> dotted target
    calls: list[Call] = field(default_factory=list)
    strings: list[tuple[str, int]] = field(default_factory=list)
    names: set[str] = field(default_factory=set)  # identifiers and attribute names used
    defs: list[str] = field(default_factory=list)  # top-level functions and classes
    assigned: set[str] = field(default_factory=set)  # names assigned at any level
    syntax_error: str | None = None


def python_source(source: str) -> tuple[str, list[tuple[int, str]]]:
    """The cell as plain Python (IPython lines blanked to `pass`) and its shell/magic lines."""
    lines = source.split("\n")
    shell: list[tuple[int, str]] = []
    first = lines[0].strip() if lines else ""
    if first.startswith("%%"):
        magic = first[2:].split(maxsplit=1)[0] if len(first) > 2 else ""
        shell.append((1, first))
        if magic not in PYTHON_CELL_MAGICS:  # %%bash, %%writefile, %%sql ...: not Python
            shell.extend((i, line.strip()) for i, line in enumerate(lines[1:], start=2) if line.strip())
            return "", shell
        lines[0] = ""
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if stripped.startswith(("!", "%")) or _SHELL_ASSIGN.match(line):
            shell.append((i + 1, stripped))
            lines[i] = indent + "pass"
        elif stripped.endswith("?") and not stripped.startswith("#") and re.fullmatch(r"[\w.]+\?\??", stripped):
            lines[i] = indent + "pass"
    return "\n".join(lines), shell


def dotted_name(node: ast.AST) -> str | None:
    """`np.random.seed` for the function part of a call; None for anything not a plain name chain."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call):  # e.g. np.random.default_rng(0).normal -> keep the method
        inner = dotted_name(node.func)
        return ".".join([inner or "?", *reversed(parts)])
    return None


def cell_facts(cell: Cell) -> CellFacts:
    """Parse one code cell into facts (a cell that does not parse keeps only its shell lines)."""
    code, shell = python_source(cell.source)
    try:
        tree = ast.parse(code) if code.strip() else None
    except SyntaxError as e:
        return CellFacts(cell, None, shell, syntax_error=f"line {e.lineno}: {e.msg}")
    facts = CellFacts(cell, tree, shell)
    if tree is None:
        return facts
    facts.defs = [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                facts.imports.append((alias.name, node.lineno))
                local = alias.asname or alias.name.split(".")[0]
                facts.aliases[local] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                facts.imports.append((node.module, node.lineno))
                for alias in node.names:
                    facts.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif node.level:
                facts.imports.append(("." * node.level + (node.module or ""), node.lineno))
        elif isinstance(node, ast.Call):
            name = dotted_name(node.func)
            if name:
                facts.calls.append(Call(name, {k.arg for k in node.keywords if k.arg}, len(node.args),
                                        node.lineno, node))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            facts.strings.append((node.value, node.lineno))
        elif isinstance(node, ast.Name):
            facts.names.add(node.id)
            if isinstance(node.ctx, ast.Store):
                facts.assigned.add(node.id)
        elif isinstance(node, ast.Attribute):
            facts.names.add(node.attr)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            facts.names.add(node.name)
    return facts


def output_texts(cell: Cell) -> list[str]:
    """The text a cell's outputs show: streams, text/* and JSON data, error messages. No images."""
    texts: list[str] = []
    for output in cell.outputs:
        kind = output.get("output_type")
        if kind == "stream":
            texts.append(_text(output.get("text")))
        elif kind in ("execute_result", "display_data", "update_display_data"):
            data = output.get("data") or {}
            for mime in TEXT_MIMETYPES:
                if mime in data:
                    value = data[mime]
                    texts.append(value if isinstance(value, str) else _text(value) if isinstance(value, list)
                                 else _json_text(value))
        elif kind == "error":
            texts.append(_ANSI.sub("", "\n".join(output.get("traceback") or [])))
            texts.append(f"{output.get('ename', '')}: {output.get('evalue', '')}")
    return [t for t in texts if t]


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _json_text(value: Any) -> str:
    import json

    return json.dumps(value, indent=1)


@dataclass
class CheckContext:
    """Everything a check may read. Facts are computed on first use and shared by all checks."""

    notebook: Notebook
    project: Project
    run: bool = False
    timeout: int = 600

    @cached_property
    def facts(self) -> list[CellFacts]:
        return [cell_facts(c) for c in self.notebook.code_cells]

    @cached_property
    def aliases(self) -> dict[str, str]:
        merged: dict[str, str] = {}
        for f in self.facts:
            merged.update(f.aliases)
        return merged

    def resolve(self, name: str) -> str:
        """`np.random.seed` -> `numpy.random.seed` using the notebook's imports."""
        head, _, rest = name.partition(".")
        target = self.aliases.get(head)
        if target is None:
            return name
        return f"{target}.{rest}" if rest else target

    def calls(self):
        """(cell facts, call, resolved dotted name) for every call in the notebook."""
        for f in self.facts:
            for call in f.calls:
                yield f, call, self.resolve(call.name)

    @cached_property
    def imported_modules(self) -> set[str]:
        return {name for f in self.facts for name, _ in f.imports}

    @cached_property
    def all_names(self) -> set[str]:
        return set().union(*(f.names for f in self.facts)) if self.facts else set()

    @cached_property
    def outputs(self) -> dict[int, list[str]]:
        """Cell number -> its output texts."""
        return {c.number: output_texts(c) for c in self.notebook.code_cells if c.outputs}

    @property
    def notebook_path(self) -> Path:
        return self.notebook.path

    def hook(self, module: str, name: str) -> Callable | None:
        """Another capability's read-only state function, or None when it is not installed yet."""
        try:
            return getattr(importlib.import_module(module), name)
        except ImportError:
            return None
        except AttributeError:
            return None
