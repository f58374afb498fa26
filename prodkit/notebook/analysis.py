"""Per-cell facts: what one code cell contains, computed once (see `Cell.facts`).

A cell is first parsed as plain Python (most cells are). Only a cell that does not parse and
holds IPython syntax (`!cmd`, `%magic`, `%%cell`, `x?`) goes through IPython's own
`TransformerManager`, imported then (it costs ~0.1 s), which turns that syntax into
`get_ipython().system(...)` / `run_line_magic(...)` calls; those calls become the cell's
shell/magic lines. A cell magic whose body is Python (`%%promote`, `%%time` ...) is read as its
body; any other (`%%bash`, `%%writefile`, `%%sql` ...) is not Python, and its lines are kept as
shell lines. What still does not parse is the cell's `parse_error`.
"""

from __future__ import annotations

import ast
import functools
import itertools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prodkit.notebook import Cell

# Cell magics whose body is still Python.
PYTHON_CELL_MAGICS = frozenset({"promote", "parameters", "time", "timeit", "capture", "prun", "debug", "memit", "mprun",
                                "prodkit", "skip"})
SHELL_CELL_MAGICS = frozenset({"bash", "sh", "script", "system"})
_IPYTHON_SYNTAX = re.compile(r"^\s*(?:[!%?]|.*=\s*[!%])|\?\s*$", re.M)
_LEADING_BLANK_LINES = re.compile(r"\A(?:[^\S\n]*\n)*")
_INDENTED_FIRST_LINE = re.compile(r"\A(?:[^\S\n]*\n)*[ \t]+\S")  # IPython dedents the cell; Python refuses it
_IPY_METHODS = {"system": "shell", "getoutput": "shell", "run_line_magic": "line_magic",
                "run_cell_magic": "cell_magic"}
_IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


@dataclass(frozen=True)
class ParseError:
    """Where and why a code cell is not Python (after IPython syntax is converted)."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class ShellLine:
    """A shell or magic line: `!pip install x` -> kind "shell", name "pip", text "pip install x";
    `%pip install x` -> "line_magic", "pip", "install x"; `%%bash` -> "cell_magic", "bash", its body."""

    line: int
    kind: str  # "shell" | "line_magic" | "cell_magic"
    name: str  # the command's first word, or the magic's name
    text: str  # the command, or the magic's arguments (a cell magic: its body)

    @property
    def command(self) -> str:
        """What runs in a shell, as one would type it: `pip install x` for `!pip` and `%pip` alike."""
        if self.kind == "shell":
            return self.text
        return f"{self.name} {self.text}".strip()


@dataclass
class Call:
    """One call in a cell: its dotted name as written, keyword names, positional count, line."""

    name: str
    keywords: set[str]
    nargs: int
    line: int
    node: ast.Call
    deferred: bool = False  # inside a function, lambda or class body: runs when that is called


@dataclass(frozen=True)
class Import:
    module: str  # full module name (`.x` for relative imports)
    line: int
    optional: bool = False  # inside `try:` with an `except ImportError` fallback


@dataclass
class CellFacts:
    """What one code cell contains."""

    cell: Cell
    tree: ast.Module | None
    python: str = ""  # the cell as plain Python (what `tree` was parsed from)
    parse_error: ParseError | None = None
    shell_lines: list[ShellLine] = field(default_factory=list)
    imports: list[Import] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)  # local name -> dotted target
    calls: list[Call] = field(default_factory=list)
    strings: list[tuple[str, int]] = field(default_factory=list)  # whole string literals (no f-string parts)
    names: set[str] = field(default_factory=set)  # identifiers and attribute names used
    defs: list[str] = field(default_factory=list)  # top-level functions and classes
    assigned: set[str] = field(default_factory=set)  # names assigned at any level
    loaded: set[str] = field(default_factory=set)  # names read at any level
    cell_magic: str | None = None  # `bash` for a `%%bash` cell
    nodes: dict[type, list[ast.AST]] = field(default_factory=dict)  # Assign, ClassDef, IfExp, Subscript, For, Raise
    statements: list[ast.stmt] = field(default_factory=list)  # top-level statements (those that parse)

    def of(self, kind: type) -> list:
        """The cell's nodes of one kind (ast.Assign, ast.ClassDef, ast.IfExp, ast.Subscript, ast.For, ast.Raise), in order."""
        return self.nodes.get(kind, [])

    @property
    def syntax_error(self) -> str | None:
        return str(self.parse_error) if self.parse_error else None

    @property
    def defined(self) -> set[str]:
        """Names this cell binds (assignments, imports, functions, classes)."""
        return self.assigned | set(self.aliases) | set(self.defs)

    @property
    def is_parameters(self) -> bool:
        from prodkit.notebook import PARAMETERS_TAG

        d = self.cell.promote
        return PARAMETERS_TAG in self.cell.tags or (d is not None and d.kind == "params")


@functools.lru_cache(maxsize=1)
def _transformer():
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()


def indented_first_line(source: str) -> bool:
    """Whether the first line with text is indented (IPython runs such a cell dedented; Python refuses it)."""
    return bool(_INDENTED_FIRST_LINE.match(source))


def needs_ipython(source: str) -> bool:
    """Whether `source` may hold IPython syntax or an indented first line (a cheap test before importing IPython)."""
    return bool(_IPYTHON_SYNTAX.search(source)) or indented_first_line(source)


def to_python(source: str) -> str:
    """Cell source with IPython syntax (%magics, !shell, x?) turned into plain Python calls by IPython,
    and an indented cell dedented as IPython runs it; line numbers are the cell's own."""
    if not needs_ipython(source):
        return source
    import warnings

    with warnings.catch_warnings():  # IPython warns about odd line ends (U+2028) in hostile cells
        warnings.simplefilter("ignore", UserWarning)
        code = _transformer().transform_cell(source)
    # IPython drops leading blank lines: put them back, so line numbers stay the cell's
    return "\n" * _LEADING_BLANK_LINES.match(source).group().count("\n") + code


def dotted_name(node: ast.AST) -> str | None:
    """`np.random.seed` for the function part of a call; `?.to_csv` for a method of an expression
    (`df[cols].to_csv`); None for a call of something that is not a name chain (`fns[0](x)`)."""
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
    if parts:  # df[cols].to_csv, "a,b".split, (x + y).sum: the method on an expression
        return ".".join(["?", *reversed(parts)])
    return None


def _first_line(source: str) -> tuple[int, str]:
    for i, line in enumerate(source.split("\n")):
        if line.strip():
            return i, line.strip()
    return 0, ""


def cell_facts(cell: Cell) -> CellFacts:
    """Parse one code cell into facts (a cell that does not parse keeps its shell lines and its error)."""
    source = cell.source
    index, first = _first_line(source)
    if first.startswith("%%"):
        name, _, args = first[2:].partition(" ")
        lines = source.split("\n")
        if name not in PYTHON_CELL_MAGICS:
            body = "\n".join(lines[index + 1:])
            facts = CellFacts(cell, None, cell_magic=name)
            facts.shell_lines.append(ShellLine(index + 1, "cell_magic", name, body if name in SHELL_CELL_MAGICS
                                               else args.strip()))
            if name in SHELL_CELL_MAGICS:
                facts.shell_lines += [ShellLine(i, "shell", line.split()[0], line.strip())
                                      for i, line in enumerate(lines[index + 1:], start=index + 2) if line.strip()
                                      and not line.strip().startswith("#")]
            return facts
        source = "\n" * (index + 1) + "\n".join(lines[index + 1:])  # the body, line numbers kept
        facts = _parse(cell, source)
        facts.cell_magic = name
        if name not in ("promote", "parameters"):
            facts.shell_lines.insert(0, ShellLine(index + 1, "cell_magic", name, args.strip()))
        return facts
    return _parse(cell, source)


def _parse(cell: Cell, source: str) -> CellFacts:
    try:
        return _collect(cell, source, ast.parse(source) if source.strip() else None)
    except SyntaxError as first_error:
        if not needs_ipython(source):
            return _partial(cell, source, ParseError(first_error.lineno or 1, first_error.msg))
    except (ValueError, RecursionError, MemoryError) as e:  # null bytes, absurd nesting
        return CellFacts(cell, None, source, ParseError(1, str(e)[:120]))
    try:
        code = to_python(source)
    except Exception as e:  # noqa: BLE001 - IPython's tokenizer on broken input
        facts = CellFacts(cell, None, source, ParseError(1, f"IPython cannot read it: {str(e)[:120]}"))
        facts.shell_lines = _shell_lines_by_text(source)
        return facts
    try:
        return _collect(cell, code, ast.parse(code) if code.strip() else None)
    except SyntaxError as e:
        return _partial(cell, code, ParseError(e.lineno or 1, e.msg))
    except (ValueError, RecursionError, MemoryError) as e:
        return CellFacts(cell, None, code, ParseError(1, str(e)[:120]))


_CONTINUES = re.compile(r"^(?:else|elif|except|finally|case)\b|^[)\]}]")


def _partial(cell: Cell, code: str, error: ParseError) -> CellFacts:
    """Facts of a cell that does not parse, from the top-level statements that do (a Python 2
    `print x` spoils its own line only): the cell keeps its parse error, checks still see the rest."""
    lines = code.split("\n")
    starts = [i for i, line in enumerate(lines)
              if line.strip() and not line[0].isspace() and not line.startswith("#") and not _CONTINUES.match(line)]
    body: list[ast.stmt] = []
    for start, end in itertools.pairwise([*starts, len(lines)]):
        chunk = "\n" * start + "\n".join(lines[start:end])  # leading newlines keep the line numbers
        try:
            body += ast.parse(chunk).body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
    facts = _collect(cell, code, ast.Module(body=body, type_ignores=[])) if body else CellFacts(cell, None, code)
    facts.parse_error = error
    facts.tree = None  # not the cell's program: checks that need the whole cell see it as unparsed
    return facts


def _shell_lines_by_text(source: str) -> list[ShellLine]:
    """Shell/magic lines of a cell that does not parse, read line by line."""
    found = []
    for i, line in enumerate(source.split("\n"), start=1):
        text = line.strip()
        if text.startswith("!") and len(text) > 1:
            found.append(ShellLine(i, "shell", (text[1:].split() or [""])[0], text[1:].strip()))
        elif text.startswith("%") and not text.startswith("%%") and len(text) > 1:
            name, _, args = text[1:].partition(" ")
            found.append(ShellLine(i, "line_magic", name, args.strip()))
    return found


def _ipython_call(node: ast.Call) -> ShellLine | None:
    """`get_ipython().system('ls')` and friends, as IPython's transformer writes them."""
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr in _IPY_METHODS and isinstance(func.value, ast.Call)
            and isinstance(func.value.func, ast.Name) and func.value.func.id == "get_ipython"):
        return None
    args = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else "" for a in node.args]
    kind = _IPY_METHODS[func.attr]
    if kind == "shell":
        text = args[0] if args else ""
        return ShellLine(node.lineno, kind, (text.split() or [""])[0], text.strip())
    name = args[0] if args else ""
    rest = args[1] if len(args) > 1 else ""
    if kind == "cell_magic" and len(args) > 2:
        rest = args[2] if name in SHELL_CELL_MAGICS else args[1]
    return ShellLine(node.lineno, kind, name, rest.strip())


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any((dotted_name(t) or "").rsplit(".", 1)[-1] in _IMPORT_ERRORS for t in types)


_DEFERRING = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_KEPT = (ast.Assign, ast.ClassDef, ast.IfExp, ast.Subscript, ast.For, ast.Raise)  # kinds checks look up (`CellFacts.of`)


def _walk(tree: ast.Module):
    """Every node once, with (deferred: inside a function body, optional: inside a `try:` that catches
    ImportError, piece: a text piece of an f-string)."""
    stack = [(tree, False, False, False)]
    while stack:
        node, deferred, optional, piece = stack.pop()
        yield node, deferred, optional, piece
        if isinstance(node, ast.Try | ast.TryStar) and any(_catches_import_error(h) for h in node.handlers):
            later = [(c, deferred, optional, False) for c in (*node.handlers, *node.orelse, *node.finalbody)]
            stack += reversed([(c, deferred, True, False) for c in node.body] + later)  # popped in source order
            continue
        child_deferred = deferred or isinstance(node, _DEFERRING)
        child_piece = isinstance(node, ast.JoinedStr)
        stack += reversed([(c, child_deferred, optional, child_piece) for c in ast.iter_child_nodes(node)])


def _collect(cell: Cell, code: str, tree: ast.Module | None) -> CellFacts:
    facts = CellFacts(cell, tree, code)
    if tree is None:
        return facts
    facts.statements = list(tree.body)
    facts.defs = [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]
    for node, deferred, optional, piece in _walk(tree):
        if isinstance(node, _KEPT):
            facts.nodes.setdefault(type(node), []).append(node)
        if isinstance(node, ast.Import):
            for alias in node.names:
                facts.imports.append(Import(alias.name, node.lineno, optional))
                local = alias.asname or alias.name.split(".")[0]
                facts.aliases[local] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                facts.imports.append(Import(node.module, node.lineno, optional))
                for alias in node.names:
                    facts.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif node.level:
                facts.imports.append(Import("." * node.level + (node.module or ""), node.lineno))
        elif isinstance(node, ast.Call):
            shell = _ipython_call(node)
            if shell is not None:
                facts.shell_lines.append(shell)
                continue
            name = dotted_name(node.func)
            if name:
                facts.calls.append(Call(name, {k.arg for k in node.keywords if k.arg}, len(node.args),
                                        node.lineno, node, deferred))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and not piece:
            facts.strings.append((node.value, node.lineno))
        elif isinstance(node, ast.Name):
            facts.names.add(node.id)
            (facts.assigned if isinstance(node.ctx, ast.Store) else facts.loaded).add(node.id)
        elif isinstance(node, ast.Attribute):
            facts.names.add(node.attr)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            facts.names.add(node.name)
    for kept in facts.nodes.values():
        kept.sort(key=lambda n: (n.lineno, n.col_offset))
    facts.calls.sort(key=lambda c: (c.line, c.node.col_offset))
    facts.strings.sort(key=lambda t: t[1])
    facts.imports.sort(key=lambda i: i.line)
    # strings that are arguments of IPython calls are the shell text, not code strings
    shell_texts = {s.text for s in facts.shell_lines} | {s.name for s in facts.shell_lines}
    if shell_texts:
        facts.strings = [(v, n) for v, n in facts.strings if v.strip() not in shell_texts and v != ""]
    facts.shell_lines.sort(key=lambda s: s.line)
    facts.calls += _timed_calls(facts.shell_lines)
    return facts


_TIMING_OPTIONS = re.compile(r"^(?:-[a-z]\s*(?:\d+\s+)?)+")


def _timed_calls(lines: list[ShellLine]) -> list[Call]:
    """Calls in the Python statement of `%time x`, `%timeit -n 10 f(x)` lines: code that runs too."""
    calls = []
    for line in lines:
        if line.kind != "line_magic" or line.name not in ("time", "timeit", "prun") or not line.text:
            continue
        try:
            tree = ast.parse(_TIMING_OPTIONS.sub("", line.text))
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and (name := dotted_name(node.func)):
                node.lineno = line.line
                calls.append(Call(name, {k.arg for k in node.keywords if k.arg}, len(node.args), line.line, node))
    return calls


def call_args(call: Call) -> dict[str, Any]:
    """Constant keyword values of a call (`shuffle=False` -> {"shuffle": False}); others are absent."""
    return {k.arg: k.value.value for k in call.node.keywords if k.arg and isinstance(k.value, ast.Constant)}


# ---- outputs ---------------------------------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TEXT_MIMETYPES = ("text/plain", "text/html", "text/markdown", "text/latex", "application/json")


def output_texts(cell: Cell) -> list[str]:
    """The text a cell's outputs show: streams, text/* and JSON data, error messages. No images."""
    texts: list[str] = []
    for output in cell.outputs:
        kind = output.get("output_type")
        if kind == "stream":
            texts.append(_text(output.get("text")))
        elif kind in ("execute_result", "display_data", "update_display_data"):
            data = output.get("data") or {}
            if not isinstance(data, dict):
                continue
            for mime in TEXT_MIMETYPES:
                if mime in data:
                    value = data[mime]
                    texts.append(value if isinstance(value, str) else _text(value) if isinstance(value, list)
                                 else _json_text(value))
        elif kind == "error":
            texts.append(_ANSI.sub("", "\n".join(map(str, output.get("traceback") or []))))
            texts.append(f"{output.get('ename', '')}: {output.get('evalue', '')}")
    return [t for t in texts if t]


def output_sizes(cell: Cell) -> list[int]:
    """Bytes each output takes in the file (its JSON text)."""
    import json

    return [len(json.dumps(o, ensure_ascii=False).encode("utf-8", "replace")) for o in cell.outputs]


def _text(value: Any) -> str:
    return "".join(map(str, value)) if isinstance(value, list) else str(value or "")


def _json_text(value: Any) -> str:
    import json

    return json.dumps(value, indent=1)


# ---- notebook-wide directives -------------------------------------------------------------------

WATCH_FUNCTION = "prodkit.monitor.watch"


def notebook_aliases(cells) -> dict[str, str]:
    """Local name -> dotted target, over the imports of all given cells (later imports win)."""
    merged: dict[str, str] = {}
    for cell in cells:
        merged.update(cell.facts.aliases)
    return merged


def resolve(name: str, aliases: dict[str, str]) -> str:
    """`np.random.seed` -> `numpy.random.seed` using the notebook's imports."""
    head, _, rest = name.partition(".")
    target = aliases.get(head)
    if target is None:
        return name
    return f"{target}.{rest}" if rest else target


def watch_calls(notebook) -> list[tuple[int, str | None]]:
    """(cell number, model name or None) for each `prodkit.monitor.watch(...)` call and `%prodkit drift` line."""
    cells = notebook.code_cells
    aliases = notebook_aliases(cells)
    found: list[tuple[int, str | None]] = []
    for cell in cells:
        facts = cell.facts
        for call in facts.calls:
            if resolve(call.name, aliases) != WATCH_FUNCTION:
                continue
            model = call_args(call).get("model")
            if model is None and len(call.node.args) > 1:
                second = call.node.args[1]
                model = second.value if isinstance(second, ast.Constant) else None
            found.append((cell.number, model if isinstance(model, str) else None))
        for line in facts.shell_lines:
            if line.kind == "line_magic" and line.name == "prodkit" and line.text.split()[:1] == ["drift"]:
                found.append((cell.number, None))
    return found
