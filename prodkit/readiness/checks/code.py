"""Code checks: clean run, linear execution, dependencies, promotion, seeds, parameters, lint."""

from __future__ import annotations

import ast
import functools
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from prodkit._dists import canonical, import_distributions, requirement
from prodkit.notebook import PROMOTE_MAGIC
from prodkit.notebook.analysis import dotted_name
from prodkit.readiness.checks._state import promote
from prodkit.readiness.context import CheckContext
from prodkit.readiness.registry import Outcome, listed, register_check
from prodkit.records import PromoteStatus

INSTALL = re.compile(r"(?:^|[\s;&|/])(?:pip3?|conda|mamba|micromamba|uv\s+pip|uv|apt(?:-get)?|poetry|easy_install)"
                      r"\s+(?:-\S+\s+)*(?:install|add)\b|-m\s+pip\s+install\b")


def install_lines(ctx: CheckContext) -> list[int]:
    """Cells with package installs: `!pip install`, `%pip install`, `!conda install`, `%conda install` ..."""
    return sorted({f.cell.number for f, s in ctx.shell_lines
                   if s.kind in ("shell", "line_magic") and INSTALL.search(s.command)})

# ---- CODE-01 ---------------------------------------------------------------------------------


@register_check("CODE-01", section="Code", title="Clean top-to-bottom run",
                fix="restart the kernel and run all cells; fix the first failing cell")
def clean_run(ctx: CheckContext) -> Outcome:
    if not ctx.run:
        return Outcome.not_requested("not run (pass --run to run it top to bottom in a fresh kernel)",
                                     fix=f"prodkit check {ctx.project.relpath(ctx.notebook_path)} --run")
    return run_in_fresh_kernel(ctx)


def run_in_fresh_kernel(ctx: CheckContext) -> Outcome:
    """Execute a copy of the notebook in a fresh kernel in its own folder, with the executor scheduled
    runs use (prodkit.jobs.execute), so the check sees what a job would; nothing is written back."""
    import tempfile
    import time

    from prodkit.jobs.execute import RunRequest, execute_run
    from prodkit.jobs.records import SUCCEEDED, TIMED_OUT

    nb = ctx.notebook
    kernel = nb.kernel_name or "python3"
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="prodkit-check-") as tmp:
        request = RunRequest(run_id=0, job="readiness-check", notebook=str(nb.path), kernel=kernel,
                             output_path=str(Path(tmp) / nb.path.name), cwd=str(nb.path.parent),
                             timeout_s=ctx.timeout)
        outcome = execute_run(request)
    error = outcome.error
    cells = [error.cell] if error and error.cell else []
    if outcome.status == TIMED_OUT:
        return Outcome.problem(f"a cell ran longer than the {ctx.timeout} s timeout", cells,
                               fix="make the cell faster, or raise --timeout")
    if outcome.status != SUCCEEDED:
        what = f"{error.ename}: {_one_line(error.evalue)}" if error else outcome.status
        return Outcome.problem(what if error and error.cell else f"could not run it: {what}", cells)
    return Outcome.ok(f"ran top to bottom in a fresh {kernel} kernel in {time.perf_counter() - started:.1f} s")


def _one_line(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= 160 else text[:157] + "..."


# ---- CODE-02 ---------------------------------------------------------------------------------


@register_check("CODE-02", section="Code", title="Linear execution, no stale cells or errors",
                fix="restart the kernel and run all cells (Kernel → Restart Kernel and Run All), then save")
def linear_execution(ctx: CheckContext) -> Outcome:
    cells = [c for c in ctx.notebook.code_cells if c.source.strip()]
    counts = [(c, c.execution_count) for c in cells]
    errors = [c.number for c in cells if any(o.get("output_type") == "error" for o in c.outputs)]
    if not any(ec for _, ec in counts) and not errors:
        return Outcome("skip", "no saved execution counts (outputs cleared): order cannot be checked", [],
                       "run it with --run (CODE-01), or save it after Restart and Run All", counted=False)
    problems, involved = [], list(errors)
    executed = [(c, ec) for c, ec in counts if ec]
    out_of_order = [c.number for (p, pec), (c, ec) in zip(executed, executed[1:], strict=False) if ec <= pec]
    if out_of_order:
        problems.append(f"ran out of order at cells {_cells(out_of_order)}")
        involved += out_of_order
    stale = [c.number for c, ec in counts if not ec]
    if stale:
        problems.append(f"{len(stale)} cell(s) never ran ({_cells(stale)})")
        involved += stale
    if executed and not out_of_order:
        first = executed[0][1]
        gaps = [c.number for (p, pec), (c, ec) in zip(executed, executed[1:], strict=False) if ec - pec > 1]
        if first > 1:
            problems.append(f"first execution count is {first}: code ran before this session's first cell")
            involved.append(executed[0][0].number)
        if gaps:
            problems.append(f"execution counts skip at cells {_cells(gaps)} (cells re-run or deleted)")
            involved += gaps
    if errors:
        problems.append(f"error output left in cells {_cells(errors)}")
    if problems:
        return Outcome.problem("; ".join(problems), involved)
    return Outcome.ok(f"{len(executed)} cells ran once each, top to bottom, without errors")


def _cells(numbers: list[int]) -> str:
    return listed(sorted(set(numbers)), 8)


# ---- CODE-03 ---------------------------------------------------------------------------------

# Import name -> distribution, for packages that may not be installed where the check runs (installed
# ones are found through importlib.metadata.packages_distributions()); also names the fix in the message.
IMPORT_TO_DIST = {
    "sklearn": "scikit-learn", "skimage": "scikit-image", "cv2": "opencv-python", "PIL": "pillow",
    "yaml": "pyyaml", "bs4": "beautifulsoup4", "dateutil": "python-dateutil", "dotenv": "python-dotenv",
    "jwt": "pyjwt", "google": "google-cloud", "Crypto": "pycryptodome", "attr": "attrs", "magic": "python-magic",
    "docx": "python-docx", "pptx": "python-pptx", "serial": "pyserial", "usb": "pyusb", "zmq": "pyzmq",
    "pytorch_lightning": "pytorch-lightning", "OpenSSL": "pyopenssl", "psycopg2": "psycopg2-binary",
    "mpl_toolkits": "matplotlib", "pkg_resources": "setuptools", "fitz": "pymupdf",
    "sentence_transformers": "sentence-transformers", "umap": "umap-learn",
}
# Always available in a Jupyter kernel: not a dependency of the production code.
_KERNEL_PROVIDED = {"IPython", "ipykernel", "ipywidgets", "__future__", "prodkit"}


def declared_dependencies(root: Path) -> dict[str, bool] | None:
    """Declared distribution (canonical name) -> has a version constraint; None when nothing declares any."""
    found: dict[str, bool] = {}
    declared_somewhere = False
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        except (OSError, tomllib.TOMLDecodeError):
            project = {}
        if "dependencies" in project:
            declared_somewhere = True
        requirements = list(project.get("dependencies", []))
        for extra in (project.get("optional-dependencies") or {}).values():
            requirements += list(extra)
        _add_requirements(found, requirements)
    for path in sorted(root.glob("requirements*.txt")):
        declared_somewhere = True
        _add_requirements(found, path.read_text(encoding="utf-8", errors="replace").splitlines())
    return found if declared_somewhere else None


def _add_requirements(found: dict[str, bool], lines: list) -> None:
    for line in lines:
        if isinstance(line, str) and (parsed := requirement(line)):
            found[parsed[0]] = found.get(parsed[0], False) or parsed[1]


@functools.lru_cache(maxsize=64)
def _modules_in(folder: Path, mtime_ns: int, any_package: bool) -> frozenset[str]:
    """Importable module names in one folder (cached while the folder is unchanged: a folder check
    of 150 notebooks lists nbs/ once, not 150 times)."""
    names = set()
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.endswith(".py"):
                names.add(entry.name[:-3])
            elif entry.is_dir() and (any_package or os.path.exists(os.path.join(entry.path, "__init__.py"))):
                names.add(entry.name)
    return frozenset(names)


def _local_modules(ctx: CheckContext) -> set[str]:
    names: set[str] = set()
    for folder in (ctx.project.lib_path, ctx.notebook_path.parent, ctx.project.root):
        try:
            names |= _modules_in(folder, folder.stat().st_mtime_ns, folder == ctx.project.lib_path)
        except OSError:
            continue
    for f in ctx.facts:
        if (d := f.cell.promote) is not None and d.module:
            names.add(d.module.split(".")[0])
    for _f, line in ctx.shell_lines:  # `%%writefile mymodule.py`: a module the notebook writes itself
        if line.kind == "cell_magic" and line.name in ("writefile", "file") and line.text.split():
            target = Path(line.text.split()[-1])
            if target.suffix == ".py":
                names.add(target.stem)
    return names


def undeclared_imports(ctx: CheckContext) -> tuple[dict[str, list[int]], list[str], bool]:
    """Third-party imports not declared (module -> cells), declared ones without a version, and
    whether the project declares dependencies at all."""
    declared = declared_dependencies(ctx.project.root)
    local = _local_modules(ctx)
    used: dict[str, list[int]] = {}
    for f in ctx.facts:
        for imp in f.imports:
            module = imp.module
            top = module.split(".")[0]
            if imp.optional:  # `try: import x / except ImportError:` — the notebook copes without it
                continue
            if not top or module.startswith(".") or top in sys.stdlib_module_names or top in local \
                    or top in _KERNEL_PROVIDED:
                continue
            used.setdefault(top, []).append(f.cell.number)
    if declared is None:
        return used, [], False
    missing: dict[str, list[int]] = {}
    unpinned: list[str] = []
    for module, cells in used.items():
        dist = _declared_dist(module, declared)
        if dist is None:
            missing[module] = cells
        elif not declared[dist]:
            unpinned.append(dist)
    return missing, sorted(set(unpinned)), True


def _declared_dist(module: str, declared: dict[str, bool]) -> str | None:
    """The declared distribution that provides `import module`, if any."""
    for candidate in (module, IMPORT_TO_DIST.get(module, module)):
        if canonical(candidate) in declared:
            return canonical(candidate)
    return next((canonical(d) for d in import_distributions().get(module, []) if canonical(d) in declared), None)


def _with_distribution(module: str) -> str:
    """`cv2 (opencv-python)`: the import and the distribution to declare, where their names differ."""
    installed = import_distributions().get(module) or []
    dist = IMPORT_TO_DIST.get(module) or (installed[0] if len(installed) == 1 else module)
    return module if canonical(dist) == canonical(module) else f"{module} ({dist})"


@register_check("CODE-03", section="Code", reads_code=True, title="Dependencies declared and pinned, no !pip",
                fix="declare every import in pyproject.toml [project] dependencies with a version range, "
                    "and remove !pip/%pip install lines")
def dependencies(ctx: CheckContext) -> Outcome:
    installs = install_lines(ctx)
    missing, unpinned, declared_any = undeclared_imports(ctx)
    problems, cells = [], list(installs)
    if installs:
        where = f" (cells {_cells(installs)})" if missing else ""  # the result's cells are the installs' alone
        problems.append(f"package installs inside the notebook{where}")
    if missing and not declared_any:
        problems.append(f"no dependencies declared (pyproject.toml or requirements.txt) for "
                        f"{listed(sorted(missing))}")
        cells += [c for cs in missing.values() for c in cs]
    elif missing:
        names = listed(_with_distribution(m) for m in sorted(missing))
        problems.append(f"imports not declared as dependencies: {names}")
        cells += [c for cs in missing.values() for c in cs]
    if problems:
        return Outcome.problem("; ".join(problems), cells)
    if unpinned:
        return Outcome.warn(f"declared without a version range: {listed(unpinned)}",
                            fix="add a version range, e.g. pandas>=2.1,<3")
    return Outcome.ok("every third-party import is a declared, versioned dependency")


def promote_status(ctx: CheckContext) -> PromoteStatus | None:
    """The promote capability's status of this notebook; None when no cell starts with %%promote
    (nothing promoted: reading the notebook again to say so is not needed)."""
    if not any(c.source.lstrip().startswith(PROMOTE_MAGIC) for c in ctx.notebook.code_cells):
        return None
    return promote(ctx)


# ---- CODE-04 ---------------------------------------------------------------------------------


@register_check("CODE-04", section="Code", scope="project", title="Logic promoted and tested",
                fix="mark reusable cells with %%promote MODULE and their checks with %%promote --test MODULE, "
                    "then run `prodkit promote`")
def promoted_and_tested(ctx: CheckContext) -> Outcome:
    status = promote_status(ctx)
    if status is not None:
        return _from_promote_status(ctx, status)
    default = ctx.notebook.default_module()
    modules: dict[str, list[int]] = {}
    tests: dict[str, list[int]] = {}
    for f in ctx.facts:
        d = f.cell.promote
        if d is None or d.kind == "params":
            continue
        (modules if d.kind == "module" else tests).setdefault(d.module or default, []).append(f.cell.number)
    loose = [f.cell.number for f in ctx.facts if f.defs and f.cell.promote is None]
    if not modules:
        return Outcome.problem("no %%promote cells: all logic lives only in the notebook", loose)
    untested = sorted(set(modules) - set(tests))
    if untested:
        cells = [c for m in untested for c in modules[m]]
        return Outcome.warn(f"promoted but untested: {', '.join(untested)}", cells,
                            fix="add a %%promote --test MODULE cell that asserts what the module does")
    if loose:
        return Outcome.warn("functions or classes defined outside %%promote cells", loose,
                            fix="promote them with %%promote MODULE, or move them into a promoted cell")
    return Outcome.ok(f"{len(modules)} module(s) promoted, each with tests: {', '.join(sorted(modules))}",
                      [c for cs in modules.values() for c in cs])


def _from_promote_status(ctx: CheckContext, status: PromoteStatus) -> Outcome:
    modules, tests = status.modules, status.tests
    problems = [f"cell {p.cell}: {p.message}" for p in status.problems]
    problem_cells = [p.cell for p in status.problems if p.cell]
    files = [(m.module, m) for m in modules] + [(t.path, t) for t in tests]
    unwritten = [name for name, f in files if not f.exists]
    stale = [name for name, f in files if f.exists and not f.up_to_date]
    if problems:
        more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
        return Outcome.problem("; ".join(problems[:3]) + more, problem_cells)
    if not modules:
        return Outcome.problem("nothing promoted: all logic lives only in the notebook")
    if unwritten:
        return Outcome.problem(f"promoted cells not written yet: {listed(unwritten, 4)}",
                               fix=f"run `prodkit promote {ctx.project.relpath(ctx.notebook_path)}`")
    if stale:
        return Outcome.problem(f"generated files out of date: {listed(stale, 4)}",
                               fix=f"run `prodkit promote {ctx.project.relpath(ctx.notebook_path)}`")
    if not tests:
        return Outcome.warn("promoted modules have no tests",
                            fix="add %%promote --test MODULE cells, then run `prodkit promote`")
    cells = [c for m in modules for c in m.cells]
    return Outcome.ok(f"{len(modules)} module(s) and {len(tests)} test file(s) promoted and up to date", cells)


# ---- CODE-05 ---------------------------------------------------------------------------------

_RANDOM_STATE_CALLS = re.compile(
    r"(?:^|\.)(?:train_test_split|KFold|StratifiedKFold|ShuffleSplit|StratifiedShuffleSplit|RandomForest\w+|"
    r"ExtraTrees\w+|GradientBoosting\w+|HistGradientBoosting\w+|DecisionTree\w+|KMeans|MiniBatchKMeans|MLP\w+|"
    r"SGD\w+|TSNE|IsolationForest|RandomizedSearchCV|make_classification|make_regression|make_blobs|"
    r"XGB\w+|LGBM\w+|CatBoost\w+|sample|shuffle|permutation_importance|resample)$")
# torch calls that draw random numbers; nn layers with randomly initialised weights (not ReLU, losses ...)
_TORCH_RANDOM = re.compile(r"^torch\.(?:rand\w*|randperm|normal|bernoulli|multinomial|utils\.data\.random_split|"
                           r"nn\.init\.\w+|nn\.(?:Linear|Bilinear|Conv\w*|LSTM\w*|GRU\w*|RNN\w*|Embedding\w*|"
                           r"Dropout\w*|Transformer\w*|MultiheadAttention|Lazy\w+))$")
_KERAS_RANDOM = re.compile(r"^(?:tensorflow\.)?keras\.layers\.(?:Dense|Conv\w*|LSTM|GRU|SimpleRNN|Embedding|"
                           r"Dropout|SpatialDropout\w*|Bidirectional)$|^tensorflow\.random\.\w+$")
_AUGMENTATIONS = re.compile(r"^torchvision\.transforms\.(?:v2\.)?(?:Random\w+|ColorJitter|RandAugment|AutoAugment|"
                            r"TrivialAugmentWide|AugMix)$")
_SEED_KEYWORDS = {"random_state", "seed", "rng", "generator", "random_seed"}
_SEEDS = {
    "random": re.compile(r"^random\.seed$"),
    "numpy": re.compile(r"^numpy\.random\.seed$"),
    "torch": re.compile(r"^(?:torch\.manual_seed|torch\.cuda\.manual_seed_all)$"),
    "tensorflow": re.compile(r"^(?:tensorflow\.random\.set_seed|tensorflow\.set_random_seed|"
                             r"(?:tensorflow\.)?keras\.utils\.set_random_seed)$"),
}
_GENERATORS = ("numpy.random.default_rng", "numpy.random.RandomState", "numpy.random.Generator")
def _torch_module_classes(ctx: CheckContext) -> set[str]:
    """Classes the notebook defines on torch.nn.Module: making one draws random initial weights."""
    found = set()
    for f in ctx.facts:
        for node in f.statements:
            if isinstance(node, ast.ClassDef) and any(
                    ctx.resolve(dotted_name(b) or "") in ("torch.nn.Module", "torch.nn.modules.module.Module")
                    or (dotted_name(b) or "") in found | {"nn.Module"} for b in node.bases):
                found.add(node.name)
    return found


def _shuffles(call) -> bool:
    """`DataLoader(..., shuffle=True)` (or a shuffle flag that is not a literal False)."""
    for k in call.node.keywords:
        if k.arg == "shuffle":
            return not (isinstance(k.value, ast.Constant) and not k.value.value)
        if k.arg == "sampler":
            return isinstance(k.value, ast.Call) and "Random" in (dotted_name(k.value.func) or "")
    return False


_GLOBAL_SEEDERS = re.compile(r"(?:^|\.)(?:seed_everything|set_seed|set_random_seed|seed_all)$")


@register_check("CODE-05", section="Code", reads_code=True, title="Seeded, deterministic",
                fix="seed every source of randomness once in an early cell (random.seed, np.random.seed, "
                    "torch.manual_seed) and pass random_state=SEED to sklearn")
def seeded(ctx: CheckContext) -> Outcome:
    seeded_at: dict[str, int] = {}
    for f, _call, resolved in ctx.calls():
        for source, pattern in _SEEDS.items():
            if pattern.match(resolved):
                seeded_at.setdefault(source, f.cell.number)
        if _GLOBAL_SEEDERS.search(resolved):
            for source in _SEEDS:
                seeded_at.setdefault(source, f.cell.number)
    unseeded: dict[int, str] = {}
    uses = 0

    def needs(source: str, cell: int, what: str, deferred: bool) -> None:
        """A draw from `source`: seeded before this cell (inside a function: seeded anywhere)."""
        nonlocal uses
        uses += 1
        if (source not in seeded_at) if deferred else seeded_at.get(source, 10**9) > cell:
            unseeded.setdefault(cell, what)

    modules = _torch_module_classes(ctx)
    for f, call, resolved in ctx.calls():
        cell = f.cell.number
        if call.name in modules:
            needs("torch", cell, f"{call.name}(...) initialises weights", call.deferred)
        elif resolved.startswith("random.") and resolved != "random.seed" and "random" in ctx.imported_modules:
            needs("random", cell, resolved, call.deferred)
        elif resolved.startswith("numpy.random."):
            if resolved in _GENERATORS:
                uses += 1
                if not call.nargs and not call.keywords:
                    unseeded.setdefault(cell, f"{resolved}() without a seed")
            elif resolved != "numpy.random.seed" and not resolved.startswith(tuple(g + "." for g in _GENERATORS)):
                needs("numpy", cell, resolved, call.deferred)
        elif _TORCH_RANDOM.match(resolved):
            needs("torch", cell, resolved, call.deferred)
        elif resolved == "torch.utils.data.DataLoader" and _shuffles(call):
            needs("torch", cell, "DataLoader(shuffle=True)", True)  # shuffles when iterated, not when made
        elif _AUGMENTATIONS.match(resolved):
            needs("torch", cell, f"{call.name.rsplit('.', 1)[-1]}(...) augmentation", call.deferred)
        elif _KERAS_RANDOM.match(resolved) and not resolved.endswith("set_seed"):
            needs("tensorflow", cell, resolved, call.deferred)
        elif _RANDOM_STATE_CALLS.search(call.name) and not (_SEED_KEYWORDS & call.keywords) and (
                resolved.startswith(("sklearn.", "xgboost.", "lightgbm.", "catboost."))
                or call.name.endswith((".sample", ".shuffle", ".train_test_split"))):
            if call.name.endswith("KFold") and "shuffle" not in call.keywords:
                continue
            needs("numpy", cell, f"{call.name.rsplit('.', 1)[-1]}(...) without random_state", call.deferred)
    if unseeded:
        items = sorted(unseeded.items())
        what = "; ".join(f"cell {c}: {w}" for c, w in items[:4]) + (f" (+{len(items) - 4} more)" if len(items) > 4
                                                                     else "")
        return Outcome.problem(f"randomness without a seed ({what})", list(unseeded))
    if not uses:
        return Outcome.not_applicable("no randomness used")
    return Outcome.ok("every source of randomness is seeded", sorted(set(seeded_at.values())))


# ---- CODE-06 ---------------------------------------------------------------------------------


@register_check("CODE-06", section="Code", title="Parameterised",
                fix="put run settings (dates, paths, thresholds) in one cell starting with %%parameters")
def parameterised(ctx: CheckContext) -> Outcome:
    status = promote_status(ctx)
    if status is not None and status.params_cell:
        return Outcome.ok(f"parameters cell: cell {status.params_cell}", [status.params_cell])
    cell = ctx.notebook.parameters_cell()
    if cell is not None:
        return Outcome.ok(f"parameters cell: cell {cell.number}", [cell.number])
    if _is_library_notebook(ctx):
        return Outcome.ok("library notebook (nbdev #| export / default_exp): no run settings to parameterise")
    return Outcome.problem("no parameters cell: a scheduled run cannot change dates, paths or thresholds")


_NBDEV_DIRECTIVE = re.compile(r"^\s*#\s*\|\s*(?:default_exp|export|exporti|exports)\b", re.M)


def _is_library_notebook(ctx: CheckContext) -> bool:
    """An nbdev notebook that exports a library (`#| default_exp`, `#| export` cells)."""
    return any(_NBDEV_DIRECTIVE.search(c.source) for c in ctx.notebook.code_cells)


# ---- CODE-07 ---------------------------------------------------------------------------------


def promoted_module_files(ctx: CheckContext) -> tuple[dict[Path, list[int]], bool]:
    """Promoted module files (that exist) -> the cells promoted into them; and whether any cell is promoted."""
    status = promote_status(ctx)
    default = ctx.notebook.default_module()
    cells_of: dict[str, list[int]] = {}
    for cell in ctx.notebook.code_cells:
        d = cell.promote
        if d is not None and d.kind == "module":
            cells_of.setdefault(d.module or default, []).append(cell.number)
    files: dict[Path, list[int]] = {}
    if status is not None and status.modules:
        for m in status.modules:
            path = Path(m.path)
            path = path if path.is_absolute() else ctx.project.root / path
            if path.is_file():
                files[path] = list(m.cells or cells_of.get(m.module, []))
        return files, True
    for module, cells in cells_of.items():
        base = ctx.project.lib_path.joinpath(*module.split("."))
        for path in (base.with_suffix(".py"), base / "__init__.py"):
            if path.is_file():
                files[path] = cells
                break
    return files, bool(cells_of)


@functools.lru_cache(maxsize=64)
def _ruff(paths_and_hashes: tuple[tuple[str, str], ...], cwd: str) -> tuple[tuple[str, int, str, str], ...]:
    """ruff's diagnostics (file, line, code, message) for these files; cached by content hash."""
    try:
        from ruff.__main__ import find_ruff_bin

        ruff = [find_ruff_bin()]
    except (ImportError, FileNotFoundError):
        ruff = [sys.executable, "-m", "ruff"]
    proc = subprocess.run([*ruff, "check", "--output-format", "json", "--no-fix", "--no-cache", "--quiet",
                           *(p for p, _ in paths_and_hashes)], cwd=cwd, capture_output=True, text=True, timeout=120)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"ruff failed: {proc.stderr.strip()[:200]}")
    return tuple((d["filename"], d["location"]["row"], d.get("code") or "", d["message"])
                 for d in json.loads(proc.stdout or "[]"))


_CELL_MARKER = re.compile(r"^# %% (?:auto\b|\S+ #(\S+))")


def _marker_of_line(path: Path, line: int) -> str | None:
    """The `# %% NOTEBOOK #ID` marker above a line of a promoted module: the cell id it came from,
    "" for nbdev's own scaffolding (header, `__all__`), None when the file has no markers."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()[:line]
    except OSError:
        return None
    markers = [m for text in lines if (m := _CELL_MARKER.match(text))]
    if not markers:
        return None if not any(text.startswith("# %%") for text in lines) else ""
    return markers[-1].group(1) or ""


def _cell_number(ctx: CheckContext, marker: str | None) -> int | None:
    if not marker:
        return None
    for cell in ctx.notebook.cells:
        if cell.id == marker:
            return cell.number
    m = re.fullmatch(r"cell(\d+)", marker)
    return int(m.group(1)) if m else None


@register_check("CODE-07", section="Code", scope="project", title="Lint clean (ruff) on promoted modules",
                fix="fix the ruff findings in the %%promote cells (or `ruff check --fix` the module and sync back)")
def lint_clean(ctx: CheckContext) -> Outcome:
    from prodkit._io import sha256_file

    files, any_promoted = promoted_module_files(ctx)
    nb = ctx.project.relpath(ctx.notebook_path)
    if not any_promoted:
        return Outcome.not_set_up("no promoted modules to lint", f"`%%promote MODULE` cells, then `prodkit promote {nb}`")
    if not files:
        return Outcome.not_set_up("promoted modules are not written yet", f"`prodkit promote {nb}`")
    key = tuple(sorted((str(p), sha256_file(p)) for p in files))
    diagnostics = _ruff(key, str(ctx.project.root))
    if not diagnostics:
        return Outcome.ok(f"ruff clean: {', '.join(ctx.project.relpath(p) for p in sorted(files))}",
                          [c for cs in files.values() for c in cs])
    by_file = {str(p.resolve()): cells for p, cells in files.items()}
    marked = [(d, _marker_of_line(Path(d[0]), d[1])) for d in diagnostics]
    diagnostics = [d for d, marker in marked if marker != ""]  # nbdev's scaffolding is not the user's code
    if not diagnostics:
        return Outcome.ok(f"ruff clean: {', '.join(ctx.project.relpath(p) for p in sorted(files))}",
                          [c for cs in files.values() for c in cs])
    cells = sorted({_cell_number(ctx, marker) or c for d, marker in marked if marker != ""
                    for c in by_file.get(str(Path(d[0]).resolve()), [0])[:1]} - {0})
    shown = "; ".join(f"{ctx.project.relpath(Path(d[0]))}:{d[1]} {d[2]} {d[3]}" for d in diagnostics[:3])
    more = f" (+{len(diagnostics) - 3} more)" if len(diagnostics) > 3 else ""
    return Outcome.problem(f"{len(diagnostics)} ruff finding(s): {shown}{more}", cells)
