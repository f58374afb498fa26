"""Import freshly written modules in a clean subprocess; map failures back to notebook cells.

The subprocess starts before promote renders (`ImportCheck.start`): while nbdev renders and the
files are written, it starts Python and imports the installed packages the promoted cells import
first thing (pandas, torch: the slow part of the check). Once the files are written it is sent
the module names, imports them all, and reports each failure with its traceback frames.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from prodkit.notebook import Cell, Notebook
from prodkit.promote.plan import Problem

# Imports nothing before the modules it checks but what Python's start-up already loaded (os,
# importlib), so the check costs an interpreter start and the imports themselves. Warm-up names
# are its arguments, the written modules one line of names on stdin; the failures come back as a
# Python literal (read with `ast.literal_eval`).
_SCRIPT = r"""
import importlib, os, sys
lib, root = os.path.realpath(sys.argv[1]), os.path.realpath(sys.argv[2])
names_in = os.fdopen(os.dup(0))  # the names come on stdin; what is imported reads an empty one
os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
sys.stdin = open(0, closefd=False)
sys.path.insert(0, sys.argv[1])

def inside(path, base):
    path = os.path.realpath(path)
    return path == base or path.startswith(base + os.sep)

def local(path):  # the project's own code: lib_path, or in the project but not an installed package
    if inside(path, lib):
        return True
    parts = os.path.relpath(os.path.realpath(path), root).split(os.sep)
    return inside(path, root) and not {"site-packages", "dist-packages"} & set(parts)

def installed(name):
    import importlib.util
    try:
        spec = importlib.util.find_spec(name.split(".")[0])
    except BaseException:
        return False
    if spec is None:
        return False
    places = [spec.origin] if spec.has_location and spec.origin else list(spec.submodule_search_locations or ())
    return not any(local(p) for p in places)

for name in sys.argv[3:]:  # warm-up: installed packages only, never the project's own
    if installed(name):
        try:
            importlib.import_module(name)
        except BaseException:
            pass  # the module's own import reports it
line = names_in.readline()
if not line.strip():
    sys.exit(0)  # nothing was written
for name, module in list(sys.modules.items()):  # nothing of the project may be loaded before it is written
    file = getattr(module, "__file__", None)
    if isinstance(file, str) and local(file):
        del sys.modules[name]
importlib.invalidate_caches()  # the files were written after this interpreter looked at lib_path
report = []
for name in line.split():
    try:
        importlib.import_module(name)
    except BaseException as e:
        frames, tb = [], e.__traceback__
        while tb is not None:
            frames.append((tb.tb_frame.f_code.co_filename, tb.tb_lineno))
            tb = tb.tb_next
        if isinstance(e, SyntaxError) and e.filename:
            frames.append((e.filename, e.lineno or 0))
        report.append({"module": name, "error": f"{type(e).__name__}: {e}", "frames": frames})
print(repr(report))
"""
_HEADER = re.compile(r"^# %% .*?#(\S+)")


def leading_imports(cells: list[Cell]) -> list[str]:
    """Absolute module names each cell imports before any other statement (warm-up candidates)."""
    names: list[str] = []
    for cell in cells:
        source = cell.source
        if source.lstrip().startswith("%%"):
            source = source.lstrip().split("\n", 1)[1] if "\n" in source.lstrip() else ""
        try:
            body = ast.parse(source).body
        except (SyntaxError, ValueError):
            continue
        for node in body:
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                continue  # a docstring
            if isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module != "__future__":
                names.append(node.module)
            elif not isinstance(node, ast.ImportFrom):
                break
    return list(dict.fromkeys(names))


class ImportCheck:
    """One subprocess that imports every module promote writes (in a fresh interpreter,
    lib_path first on sys.path). `start` early, `send` once written, then `report`; `close` always."""

    def __init__(self, lib_path: Path, root: Path, timeout: float = 300):
        self.lib_path, self.root, self.timeout = lib_path, root, timeout
        self.proc: subprocess.Popen | None = None
        self._input: str | None = None

    def start(self, warm: list[str]) -> None:
        if self.proc is None:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _SCRIPT, str(self.lib_path), str(self.root), *warm],
                cwd=self.root,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )

    def send(self, modules: list[str]) -> None:
        """Tell it to import `modules` now (they are written); `report` collects the answer."""
        self.start([])
        self._input = " ".join(modules) + "\n"  # validated module names: dotted identifiers
        if len(self._input) < 16384:  # fits a pipe buffer: never blocks while it prints
            try:
                self.proc.stdin.write(self._input)
                self.proc.stdin.flush()
                self._input = None
            except BrokenPipeError:  # it died before reading: `report` says why
                self._input = None

    def report(self) -> list[dict] | str:
        """The failures ({module, error, frames}) of the modules sent, or why the check failed."""
        try:
            stdout, stderr = self.proc.communicate(self._input, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.close()
            return f"importing {{module}} took over {self.timeout:.0f} s"
        if self.proc.returncode != 0 or not stdout.strip():
            tail = (stderr.strip().splitlines() or ["no output"])[-1]
            return f"import check crashed: {tail}"
        return ast.literal_eval(stdout.strip().splitlines()[-1])

    def close(self) -> None:
        """Stop the subprocess if it still runs (nothing to check, or promote failed)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def _cell_at(module_file: Path, line: int) -> str | None:
    """The notebook cell id of the `# %%` header above `line` in a generated module."""
    cell_id = None
    for number, text in enumerate(module_file.read_text(encoding="utf-8").splitlines(), start=1):
        if number > line:
            break
        if m := _HEADER.match(text):
            cell_id = m.group(1)
    return cell_id


def problems_of(report: list[dict] | str, modules: dict[str, Path], notebook: Notebook) -> list[Problem]:
    """One Problem per module of `modules` (name -> file) that failed, with its notebook cell."""
    if isinstance(report, str):
        return [Problem(kind="import-error", module=m, cell=0, message=report.replace("{module}", m)) for m in modules]
    ids = {c.id or f"cell{c.number}": c.number for c in notebook.cells}  # nbformat < 4.5: export's ids
    problems = []
    for failure in report:
        if failure["module"] not in modules:
            continue
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
