"""Code checks on what the cells are: parse errors, shell/magic cells, debugger calls, large outputs, GPU-only code."""

from __future__ import annotations

import ast
import functools

from prodkit.notebook.analysis import SHELL_CELL_MAGICS, dotted_name, output_sizes
from prodkit.readiness.checks.code import INSTALL
from prodkit.readiness.context import CheckContext
from prodkit.readiness.registry import Outcome, listed, register_check

# ---- CODE-08 ---------------------------------------------------------------------------------


@register_check("CODE-08", section="Code", title="Every code cell parses",
                fix="make the cell valid Python 3 (print(x), not print x; `async` is a keyword since 3.7), "
                    "or delete it")
def cells_parse(ctx: CheckContext) -> Outcome:
    bad = ctx.unparsed
    if not ctx.facts:
        return Outcome.not_applicable("no code cells")
    if not bad:
        return Outcome.ok(f"all {len(ctx.facts)} code cells parse")
    what = "; ".join(f"cell {f.cell.number} {f.parse_error}" for f in bad[:3])
    what += f" (+{len(bad) - 3} more)" if len(bad) > 3 else ""
    noun = "cell does" if len(bad) == 1 else "cells do"
    return Outcome.problem(f"{len(bad)} {noun} not parse: {what}", [f.cell.number for f in bad])


# ---- CODE-09 ---------------------------------------------------------------------------------

HIDDEN_STATE_MAGICS = {"reset": "%reset", "cd": "%cd", "run": "%run", "store": "%store", "system": "%system",
                       "sx": "%sx", "env": "%env"}
# Magics a fresh kernel has besides those of IPython's Magics classes: names IPython and ipykernel register
# at start-up (aliases, %%script shortcuts, storemagic, ipykernel's KernelMagics) and prodkit's.
_STARTUP_MAGICS = frozenset({"ed", "hist", "rep", "SVG", "HTML", "file", "store", "bash", "sh", "perl", "ruby",
                             "python", "python2", "python3", "pypy", "clear", "less", "more", "man", "connect_info",
                             "qtconsole", "autosave", "prodkit", "promote"})
# Magics of common extensions, known once the notebook loads them with %load_ext.
EXTENSION_MAGICS = {
    "autoreload": {"autoreload", "aimport"}, "IPython.extensions.autoreload": {"autoreload", "aimport"},
    "storemagic": {"store"}, "tensorboard": {"tensorboard"}, "watermark": {"watermark"},
    "version_information": {"version_information"}, "memory_profiler": {"memit", "mprun"},
    "line_profiler": {"lprun", "lprun_all"}, "sql": {"sql"}, "dotenv": {"dotenv"}, "prodkit": set(),
    "rpy2.ipython": {"R", "Rpush", "Rpull", "Rget", "Rdevice"}, "autotime": set(), "nb_black": set(),
    "lab_black": set(), "jupyter_black": set(),
    **dict.fromkeys(("Cython", "cython", "cythonmagic"), {"cython", "cython_inline", "cython_pyximport"}),
}
_MAGIC_DEFINERS = ("register_line_magic", "register_cell_magic", "register_line_cell_magic")


@functools.lru_cache(maxsize=1)
def ipython_magics() -> frozenset[str]:
    """Every magic a fresh IPython kernel knows: IPython's Magics classes, its shell aliases, start-up names."""
    import inspect

    import IPython.core.magics as builtin
    from IPython.core.alias import default_aliases
    from IPython.core.magic import Magics

    names = set(_STARTUP_MAGICS) | {alias for alias, _cmd in default_aliases()}
    for value in (getattr(builtin, name) for name in dir(builtin)):  # the package loads its classes lazily
        if inspect.isclass(value) and issubclass(value, Magics):
            names |= {n for kind in ("line", "cell") for n in value.magics.get(kind, ())}
    return frozenset(names)


def _known_magics(ctx: CheckContext) -> set[str] | None:
    """Magics the notebook may use: IPython's, prodkit's, those of the extensions it loads and those it
    defines; None when it loads an extension or registers magics this check cannot list."""
    known = set(ipython_magics())
    for _f, line in ctx.shell_lines:
        words = line.text.split()
        if line.kind == "line_magic" and line.name in ("load_ext", "reload_ext"):
            for ext in words:
                if ext not in EXTENSION_MAGICS:
                    return None
                known |= EXTENSION_MAGICS[ext]
        elif line.kind == "line_magic" and line.name in ("alias", "alias_magic") and words:
            known.add(next((w for w in words if not w.startswith("-")), ""))
    for _f, call, _resolved in ctx.calls():
        if call.name.rsplit(".", 1)[-1] in ("register_magics", "register_magic_function", "define_magic"):
            return None
    for f in ctx.facts:  # @register_line_magic def hello(line): ... defines %hello
        for node in f.statements:
            if isinstance(node, ast.FunctionDef):
                for decorator in node.decorator_list:
                    known |= _magic_names(decorator, node.name)
    return known


def _magic_names(decorator: ast.expr, function: str) -> set[str]:
    """The magic `@register_line_magic` (the function's name) or `@register_cell_magic("name")` defines."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    if (dotted_name(target) or "").rsplit(".", 1)[-1] not in _MAGIC_DEFINERS:
        return set()
    named = [a.value for a in getattr(decorator, "args", []) if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return set(named) or {function}


def _guarded_lines(f) -> set[int]:
    """Lines of a cell inside a `try:` body (`try: %tensorflow_version 2.x / except Exception: pass`)."""
    return {n.lineno for t in f.statements if isinstance(t, ast.Try) for stmt in t.body for n in ast.walk(stmt)
            if hasattr(n, "lineno")}


def unknown_magics(ctx: CheckContext) -> dict[int, list[str]]:
    """Cells using a %magic that a fresh kernel running this notebook would not know (UsageError)."""
    known = _known_magics(ctx)
    if known is None:
        return {}
    found: dict[int, list[str]] = {}
    for f, line in ctx.shell_lines:
        if line.kind not in ("line_magic", "cell_magic") or not line.name or line.name in known:
            continue
        if line.line in _guarded_lines(f):
            continue
        found.setdefault(f.cell.number, []).append(("%%" if line.kind == "cell_magic" else "%") + line.name)
    return found


def _environment_lines(ctx: CheckContext) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for f, line in ctx.shell_lines:
        cell = f.cell.number
        if line.kind == "cell_magic" and line.name in SHELL_CELL_MAGICS:
            found.setdefault(cell, []).append(f"%%{line.name}")
        elif line.kind == "shell" and f.cell_magic not in SHELL_CELL_MAGICS and line.name:
            if INSTALL.search(line.command):
                continue  # package installs are CODE-03's
            found.setdefault(cell, []).append(f"!{line.name}")
        elif line.kind == "line_magic" and line.name in HIDDEN_STATE_MAGICS:
            if line.name == "env" and "=" not in line.text and " " not in line.text.strip():
                continue  # `%env` / `%env NAME` only read
            found.setdefault(cell, []).append(HIDDEN_STATE_MAGICS[line.name])
    return found


@register_check("CODE-09", section="Code", title="No shell or unknown magics that a fresh run depends on",
                severity="warn",
                fix="move shell steps (%%bash, !cmd, %cd, %run, %store, %reset) into a script or Python code the "
                    "job runs, so a fresh run needs no hidden state; %load_ext the extension of every other magic")
def no_environment_magics(ctx: CheckContext) -> Outcome:
    found = _environment_lines(ctx)
    unknown = unknown_magics(ctx)
    if not found and not unknown:
        return Outcome.ok("no shell commands, state-changing or unknown magics")
    return _named_problems([
        ("shell/magic that a scheduled run depends on", found),
        ("magics a fresh kernel does not know (not IPython's or prodkit's, no %load_ext for them)", unknown),
    ])


def _named_problems(parts: list[tuple[str, dict[int, set[str]]]]) -> Outcome:
    """One problem from (label, cell -> what was found) parts: `label: a, b` for each part that found something."""
    found = [(label, cells) for label, cells in parts if cells]
    message = "; ".join(f"{label}: {listed(sorted(set().union(*cells.values())))}" for label, cells in found)
    return Outcome.problem(message, [cell for _, cells in found for cell in cells])


# ---- CODE-10 ---------------------------------------------------------------------------------

_DEBUGGER_CALLS = ("pdb.set_trace", "pdb.post_mortem", "pdb.pm", "pdb.run", "ipdb.set_trace", "ipdb.post_mortem",
                   "ipdb.pm", "IPython.core.debugger.set_trace", "IPython.core.debugger.Pdb", "pudb.set_trace",
                   "breakpoint", "IPython.embed", "code.interact")
_EXIT_CALLS = ("sys.exit", "exit", "quit", "os._exit", "os.abort")


def _exits(ctx: CheckContext) -> dict[int, set[str]]:
    """Cells that end the run early: sys.exit()/exit()/quit(), `raise SystemExit` (in a notebook
    `__name__ == "__main__"`, so such a block runs too); not a function the notebook names `exit` itself."""
    found: dict[int, set[str]] = {}
    defined = {n for f in ctx.facts for n in f.defs}
    for f, call, resolved in ctx.calls():
        if resolved in _EXIT_CALLS and resolved not in defined:
            found.setdefault(f.cell.number, set()).add(f"{call.name}()")
    for f in ctx.facts:
        for node in f.of(ast.Raise):  # collected when the cell was parsed: no second walk per refresh
            if node.exc is not None and \
                    (dotted_name(node.exc.func if isinstance(node.exc, ast.Call) else node.exc) or "") == "SystemExit":
                found.setdefault(f.cell.number, set()).add("raise SystemExit")
    return found


@register_check("CODE-10", section="Code", title="No debugger or exit calls", reads_code=True,
                fix="remove pdb.set_trace()/breakpoint()/%debug/%pdb (a scheduled run would hang waiting for input) "
                    "and sys.exit()/exit()/quit() (they end the run early); raise an exception to stop on bad input")
def no_debugger(ctx: CheckContext) -> Outcome:
    found: dict[int, set[str]] = {}
    for f, call, resolved in ctx.calls():
        if resolved in _DEBUGGER_CALLS:
            found.setdefault(f.cell.number, set()).add(f"{call.name}()")
    for f in ctx.facts:
        if any(i.module.split(".")[0] in ("ipdb", "pudb") for i in f.imports):
            found.setdefault(f.cell.number, set()).add("import ipdb")
    for f, line in ctx.shell_lines:
        if line.name == "debug" or (line.name == "pdb" and line.text.strip().lower() not in ("off", "0", "false")):
            found.setdefault(f.cell.number, set()).add(("%%" if line.kind == "cell_magic" else "%") + line.name)
    exits = _exits(ctx)
    if not found and not exits:
        return Outcome.ok("no debugger or exit calls")
    return _named_problems([("debugger left in", found), ("ends the run early", exits)])


# ---- CODE-11 ---------------------------------------------------------------------------------

MAX_OUTPUT_BYTES = 100_000
MAX_TOTAL_OUTPUT_BYTES = 1_000_000


def _kb(n: int) -> str:
    return f"{n / 1000:.0f} KB" if n < 1_000_000 else f"{n / 1_000_000:.1f} MB"


@register_check("CODE-11", section="Code", title="No very large outputs", severity="warn",
                fix="clear or shrink the big outputs (smaller figures, df.head(), no full-array prints) before "
                    "saving; they bloat git and the reviews")
def no_large_outputs(ctx: CheckContext) -> Outcome:
    big: list[tuple[int, int]] = []
    total = 0
    for cell in ctx.notebook.code_cells:
        if not cell.outputs:
            continue
        sizes = output_sizes(cell)
        total += sum(sizes)
        if max(sizes) > MAX_OUTPUT_BYTES:
            big.append((cell.number, max(sizes)))
    problems = []
    if big:
        problems.append("output over 100 KB in " + listed([f"cell {c} ({_kb(n)})" for c, n in big], 4))
    if total > MAX_TOTAL_OUTPUT_BYTES:
        problems.append(f"outputs total {_kb(total)} (over 1 MB)")
    if problems:
        cells = [c for c, _ in big] or [max(((c.number, sum(output_sizes(c))) for c in ctx.notebook.code_cells
                                             if c.outputs), key=lambda t: t[1])[0]]
        return Outcome.problem("; ".join(problems), cells)
    return Outcome.ok(f"outputs total {_kb(total)}")


# ---- CODE-12 ---------------------------------------------------------------------------------

_FALLBACK_CALLS = ("torch.cuda.is_available", "torch.backends.mps.is_available", "torch.cuda.device_count",
                   "tensorflow.config.list_physical_devices", "tensorflow.test.is_gpu_available",
                   "tensorflow.test.gpu_device_name", "jax.devices", "accelerate.Accelerator")


def _is_gpu_text(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and \
        node.value.lower().lstrip("/").startswith(("cuda", "gpu"))


def _gpu_only_cells(ctx: CheckContext) -> list[int]:
    cells = set()
    for f, call, resolved in ctx.calls():
        last = call.name.rsplit(".", 1)[-1]
        args = call.node.args
        if last == "cuda" and "." in call.name and not resolved.startswith("torch.cuda"):
            cells.add(f.cell.number)  # model.cuda(), x.cuda()
        elif any(k.arg == "device" and _is_gpu_text(k.value) for k in call.node.keywords):
            cells.add(f.cell.number)  # torch.zeros(3, device="cuda")
        elif (resolved in ("torch.device", "tensorflow.device") or last == "to") and args and _is_gpu_text(args[0]):
            cells.add(f.cell.number)  # torch.device("cuda"), x.to("cuda")
    devices = _gpu_device_names(ctx)
    if devices:  # device = "cuda" ... x.to(device)
        cells |= set(devices.values())
    return sorted(cells)


def _gpu_device_names(ctx: CheckContext) -> dict[str, int]:
    """Module-level `device = "cuda"` assignments: name -> cell."""
    found = {}
    for f in ctx.facts:
        for node in f.statements:
            if isinstance(node, ast.Assign) and _is_gpu_text(node.value):
                found.update({t.id: f.cell.number for t in node.targets if isinstance(t, ast.Name)})
    return found


def _cuda_loops(ctx: CheckContext) -> list[int]:
    """`for device in ["cpu", "cuda"]:` — the cuda round runs even where there is no GPU."""
    return sorted({f.cell.number for f in ctx.facts for node in f.of(ast.For)
                   if isinstance(node.iter, ast.List | ast.Tuple) and any(_is_gpu_text(e) for e in node.iter.elts)})


def _has_cpu_fallback(ctx: CheckContext) -> bool:
    """`torch.cuda.is_available()` (or the like) anywhere, or `"cuda" if ... else "cpu"`."""
    if any(resolved in _FALLBACK_CALLS or call.name.endswith("is_available") for _, call, resolved in ctx.calls()):
        return True
    return any(isinstance(node, ast.IfExp) and any(isinstance(n, ast.Constant) and n.value in ("cpu", "mps")
                                                   for n in ast.walk(node))
               for f in ctx.facts for node in f.of(ast.IfExp))


@register_check("CODE-12", section="Code", title="Runs without a GPU", severity="warn", reads_code=True,
                fix='pick the device once: device = "cuda" if torch.cuda.is_available() else "cpu", and use '
                    ".to(device) instead of .cuda()")
def runs_without_gpu(ctx: CheckContext) -> Outcome:
    cells = _gpu_only_cells(ctx)
    looped = _cuda_loops(ctx)
    if looped:
        return Outcome.problem("runs on 'cuda' whatever the machine: a loop over devices that include it", looped)
    if not cells:
        return Outcome.ok("no GPU-only calls")
    if _has_cpu_fallback(ctx):
        return Outcome.ok("GPU used with a CPU fallback", cells)
    return Outcome.problem("GPU-only calls (.cuda(), device='cuda') with no CPU fallback", cells)

