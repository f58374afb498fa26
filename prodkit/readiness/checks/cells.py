"""Code checks on what the cells are: parse errors, shell/magic cells, debugger calls, large outputs, GPU-only code."""

from __future__ import annotations

import ast

from prodkit.notebook.analysis import SHELL_CELL_MAGICS, output_sizes
from prodkit.readiness.checks.code import INSTALL
from prodkit.readiness.context import CheckContext
from prodkit.readiness.registry import Outcome, listed, register_check

# ---- CODE-08 ---------------------------------------------------------------------------------


@register_check("CODE-08", section="Code", title="Every code cell parses",
                fix="make the cell valid Python 3 (print(x), not print x; `async` is a keyword since 3.7), "
                    "or delete it")
def cells_parse(ctx: CheckContext) -> Outcome:
    bad = ctx.unparsed
    if not bad:
        return Outcome.ok(f"all {len(ctx.facts)} code cells parse")
    what = "; ".join(f"cell {f.cell.number} {f.parse_error}" for f in bad[:3])
    what += f" (+{len(bad) - 3} more)" if len(bad) > 3 else ""
    noun = "cell does" if len(bad) == 1 else "cells do"
    return Outcome.problem(f"{len(bad)} {noun} not parse: {what}", [f.cell.number for f in bad])


# ---- CODE-09 ---------------------------------------------------------------------------------

HIDDEN_STATE_MAGICS = {"reset": "%reset", "cd": "%cd", "run": "%run", "store": "%store", "system": "%system",
                       "sx": "%sx", "env": "%env"}


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


@register_check("CODE-09", section="Code", title="No shell or magic cells that change the environment",
                severity="warn",
                fix="move shell steps (%%bash, !cmd, %cd, %run, %store, %reset) into a script or Python code the "
                    "job runs, so a fresh run needs no hidden state")
def no_environment_magics(ctx: CheckContext) -> Outcome:
    found = _environment_lines(ctx)
    if not found:
        return Outcome.ok("no shell commands or state-changing magics")
    kinds = sorted({k for ks in found.values() for k in ks})
    return Outcome.problem(f"shell/magic that a scheduled run depends on: {listed(kinds)} "
                           f"(cells {listed(sorted(found), 8)})", list(found))


# ---- CODE-10 ---------------------------------------------------------------------------------

_DEBUGGER_CALLS = ("pdb.set_trace", "pdb.post_mortem", "pdb.pm", "pdb.run", "ipdb.set_trace", "ipdb.post_mortem",
                   "ipdb.pm", "IPython.core.debugger.set_trace", "IPython.core.debugger.Pdb", "pudb.set_trace",
                   "breakpoint", "IPython.embed", "code.interact")


@register_check("CODE-10", section="Code", title="No debugger calls", reads_code=True,
                fix="remove pdb.set_trace()/breakpoint()/%debug/%pdb: a scheduled run would hang waiting for input")
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
    if not found:
        return Outcome.ok("no debugger calls")
    return Outcome.problem(f"debugger left in: {listed(sorted(set().union(*found.values())))} "
                           f"(cells {listed(sorted(found), 8)})", list(found))


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
        return Outcome.problem(f"runs on 'cuda' whatever the machine: a loop over devices that include it "
                               f"(cells {listed(looped, 8)})", looped)
    if not cells:
        return Outcome.ok("no GPU-only calls")
    if _has_cpu_fallback(ctx):
        return Outcome.ok("GPU used with a CPU fallback", cells)
    return Outcome.problem(f"GPU-only calls (.cuda(), device='cuda') with no CPU fallback (cells {listed(cells, 8)})",
                           cells)

