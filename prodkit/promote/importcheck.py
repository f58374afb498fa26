"""Import freshly written modules in a clean subprocess; map failures back to notebook cells."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from prodkit.notebook import Notebook
from prodkit.promote.plan import Problem

_SCRIPT = r"""
import importlib, json, sys, traceback
sys.path.insert(0, sys.argv[1])
report = []
for name in sys.argv[2:]:
    try:
        importlib.import_module(name)
    except BaseException as e:
        frames = [(f.filename, f.lineno) for f in traceback.extract_tb(e.__traceback__)]
        if isinstance(e, SyntaxError) and e.filename:
            frames.append((e.filename, e.lineno or 0))
        report.append({"module": name, "error": f"{type(e).__name__}: {e}", "frames": frames})
print(json.dumps(report))
"""
_HEADER = re.compile(r"^# %% .*?#(\S+)")


def _cell_at(module_file: Path, line: int) -> str | None:
    """The notebook cell id of the `# %%` header above `line` in a generated module."""
    cell_id = None
    for number, text in enumerate(module_file.read_text(encoding="utf-8").splitlines(), start=1):
        if number > line:
            break
        if m := _HEADER.match(text):
            cell_id = m.group(1)
    return cell_id


def start_import_check(lib_path: Path, modules: dict[str, Path], cwd: Path) -> subprocess.Popen | None:
    """Start importing each module (name -> file) in a fresh interpreter, lib_path first on sys.path."""
    if not modules:
        return None
    return subprocess.Popen(
        [sys.executable, "-c", _SCRIPT, str(lib_path), *modules],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish_import_check(
    proc: subprocess.Popen | None, modules: dict[str, Path], notebook: Notebook, timeout: float = 300
) -> list[Problem]:
    """Wait for `start_import_check`; one Problem per module that failed, with its notebook cell."""
    if proc is None:
        return []
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return [
            Problem(kind="import-error", module=m, cell=0, message=f"importing {m} took over {timeout:.0f} s")
            for m in modules
        ]
    if proc.returncode != 0:
        tail = (stderr.strip().splitlines() or ["no output"])[-1]
        return [
            Problem(kind="import-error", module=m, cell=0, message=f"import check crashed: {tail}")
            for m in modules
        ]
    ids = {c.id or f"cell{c.number}": c.number for c in notebook.cells}  # nbformat < 4.5: export's ids
    problems = []
    for failure in json.loads(stdout.strip().splitlines()[-1]):
        module_file = modules[failure["module"]].resolve()
        cell = 0
        for filename, line in reversed(failure["frames"]):
            if Path(filename).resolve() == module_file:
                cell = ids.get(_cell_at(module_file, line), 0)
                break
        problems.append(
            Problem(
                kind="import-error",
                module=failure["module"],
                cell=cell,
                message=f"importing {failure['module']} fails: {failure['error']}",
            )
        )
    return problems
