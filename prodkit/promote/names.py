"""Which names a cell defines and which it needs from elsewhere (symtable-based, no execution)."""

from __future__ import annotations

import ast
import builtins
import functools
import symtable
from dataclasses import dataclass, field

# Names an IPython kernel provides that a plain module does not have.
IPYTHON_ONLY = frozenset({"display", "get_ipython", "In", "Out", "exit", "quit"})
BUILTINS = frozenset(dir(builtins)) | {
    "__file__",
    "__name__",
    "__doc__",
    "__builtins__",
    "__spec__",
    "__loader__",
    "__package__",
}


@dataclass
class CellNames:
    """Top-level names a cell binds and the global names it uses."""

    defines: set[str] = field(default_factory=set)
    uses: set[str] = field(default_factory=set)
    star_import: bool = False
    imports: dict[str, ast.stmt] = field(default_factory=dict)  # bound name -> its import statement


def to_python(source: str) -> str:
    """Cell source with IPython syntax (%magics, !shell) turned into plain Python calls."""
    from prodkit.notebook.analysis import to_python as convert

    return convert(source)


def _global_uses(table: symtable.SymbolTable) -> set[str]:
    used = set()
    for sym in table.get_symbols():
        if table.get_type() == "module":
            if sym.is_referenced() and not (sym.is_assigned() or sym.is_imported()):
                used.add(sym.get_name())
        elif sym.is_referenced() and sym.is_global():
            used.add(sym.get_name())
    for child in table.get_children():
        used |= _global_uses(child)
    return used


def _declared_global_assignments(table: symtable.SymbolTable) -> set[str]:
    """Names a nested scope assigns after `global NAME`: they are module-level names too."""
    found = set()
    for child in table.get_children():
        found |= {s.get_name() for s in child.get_symbols() if s.is_declared_global() and s.is_assigned()}
        found |= _declared_global_assignments(child)
    return found


def _walrus_targets(node: ast.AST) -> set[str]:
    """`(y := ...)` targets outside functions and classes (in comprehensions too): module-level names."""
    found = set()
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(child, ast.NamedExpr) and isinstance(child.target, ast.Name):
            found.add(child.target.id)
        found |= _walrus_targets(child)
    return found


def _imports(tree: ast.Module) -> tuple[dict[str, ast.stmt], bool]:
    found: dict[str, ast.stmt] = {}
    star = False
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                found[bound] = ast.Import(names=[alias])
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*":
                    star = True
                    continue
                found[alias.asname or alias.name] = ast.ImportFrom(
                    module=node.module, names=[alias], level=node.level
                )
    return found, star


def analyse(source: str, filename: str = "<cell>") -> CellNames:
    """Names of `source`; raises SyntaxError when it is not Python (after magics are converted)."""
    names = _analysed(source, filename)  # a pure function of the text: the same cell is parsed once
    return CellNames(defines=set(names.defines), uses=set(names.uses), star_import=names.star_import,
                     imports=dict(names.imports))


@functools.lru_cache(maxsize=2048)
def _analysed(source: str, filename: str) -> CellNames:
    code = to_python(source)
    tree = ast.parse(code, filename=filename)
    table = symtable.symtable(code, filename, "exec")
    defines = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
    defines |= _declared_global_assignments(table) | _walrus_targets(tree)
    imports, star = _imports(tree)
    uses = _global_uses(table) - BUILTINS - defines
    return CellNames(defines=defines, uses=uses, star_import=star, imports=imports)


def safe_analyse(source: str) -> CellNames | None:
    """Like `analyse`, but None for cells that are not valid Python."""
    try:
        return analyse(source)
    except (SyntaxError, ValueError):
        return None
