"""IPython extension: `%%promote` and `%prodkit`.

Loading it must stay instant: nothing heavy is imported here. `%%promote` lines are
validated and stripped by an input transformer, so the cell itself runs exactly as an
ordinary cell (display, errors and execution counts unchanged). A `%%promote` line whose
arguments are wrong is left in place, and the cell magic then reports the problem.
"""

from __future__ import annotations

import importlib
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

from prodkit.errors import ProdkitError
from prodkit.notebook import PROMOTE_MAGIC, parse_promote_args, without_leading_blank_lines

# `%prodkit <sub>` handlers of other capabilities: `<module>.MAGICS = {"sub": fn(shell, args)}`.
CAPABILITY_MAGICS = (
    "prodkit.readiness.magic",
    "prodkit.jobs.magic",
    "prodkit.models.magic",
    "prodkit.monitor.magic",
)


def check_module(name: str) -> str:
    """`name` if promote would accept it (the one validator, and no shadowing of the standard
    library or an installed package, judged from the kernel's project); else ProdkitError."""
    from prodkit.config import find_root, load_project
    from prodkit.promote.modname import check_not_shadowing, validate_module_name

    validate_module_name(name)
    root = find_root(Path.cwd())
    try:
        lib_path = load_project(root).lib_path if root else None
    except ProdkitError:
        lib_path = None
    return check_not_shadowing(name, root, lib_path)


def checked_directive(args: str):
    """The `%%promote` line's directive, with its module name checked by `check_module`."""
    directive = parse_promote_args(args)
    if directive.module:
        check_module(directive.module)
    return directive


def strip_promote_line(lines: list[str]) -> list[str]:
    """Input transformer: drop a valid leading `%%promote ...` line, keeping line numbers."""
    if not lines or not lines[0].lstrip().startswith(PROMOTE_MAGIC):
        return lines
    try:
        checked_directive(lines[0].strip()[len(PROMOTE_MAGIC) :])
    except ProdkitError:
        return lines  # let the cell magic raise a clear UsageError
    return ["\n", *lines[1:]]


def bind_promoted_module(shell, result) -> None:
    """post_run_cell hook: after a `%%promote MODULE` cell runs, MODULE is importable in the kernel.

    Later cells (and other promoted cells) can then `from churn.data import X` before the
    module was ever written to disk, exactly as they will after `prodkit promote`.
    """
    raw = getattr(getattr(result, "info", None), "raw_cell", "") or ""
    first = without_leading_blank_lines(raw).split("\n", 1)
    if not first[0].strip().startswith(PROMOTE_MAGIC) or not result.success:
        return
    try:
        directive = checked_directive(first[0].strip()[len(PROMOTE_MAGIC) :])
    except ProdkitError:
        return
    if directive.kind != "module":
        return
    from prodkit.promote.names import safe_analyse

    names = safe_analyse(first[1] if len(first) > 1 else "")
    if names is None:
        return
    try:
        name = check_module(directive.module or _default_module(shell))
    except ProdkitError as e:  # a bad default module (`#| default_exp`, file name): never bind it
        print(f"prodkit: not importable as a module: {e.line()}", file=sys.stderr)
        return
    module = _notebook_module(name)
    for name in names.defines:
        if name in shell.user_ns:
            setattr(module, name, shell.user_ns[name])


def _default_module(shell) -> str:
    explicit = shell.user_ns.get("__prodkit_default_module__")
    if explicit:
        return explicit
    from prodkit.notebook import kernel_notebook_path, read_notebook

    path = kernel_notebook_path(shell.user_ns)
    if path is None:
        return "notebook"
    try:
        return read_notebook(path).default_module()  # `#| default_exp`, else the file name
    except ProdkitError:
        return "notebook"


def _notebook_module(name: str):
    """The in-kernel module object for `name`, created with its parent packages where missing.

    A module the kernel already imported for real (the project's own package) is never
    replaced: a missing submodule is hung below it, and a real leaf module simply receives the
    cell's names. Names that shadow the standard library or an installed package never get
    here (`check_module`).
    """
    import types

    parent = None
    parts = name.split(".")
    for depth, part in enumerate(parts):
        qualified = ".".join(parts[: depth + 1])
        module = sys.modules.get(qualified)
        if module is None:
            module = types.ModuleType(qualified, "Defined by %%promote cells of a notebook (prodkit).")
            module.__prodkit_notebook__ = True
            module.__path__ = []  # a package, so submodules can hang below it
            sys.modules[qualified] = module
        if parent is not None and getattr(parent, part, None) is not module:
            setattr(parent, part, module)
        parent = module
    return parent


def current_notebook_path(shell, explicit: str | None = None) -> Path:
    """The saved notebook this kernel belongs to (explicit path, Jupyter's __session__, or env)."""
    from prodkit.notebook import kernel_notebook_path

    try:
        path = kernel_notebook_path(shell.user_ns, explicit)  # an explicit path is resolved or refused
    except ProdkitError as e:
        raise UsageError(e.line()) from None
    if path is not None:
        return path
    raise UsageError(
        "cannot tell which notebook this kernel runs: pass its path, e.g. `%prodkit promote nbs/churn.ipynb`"
    )


def _core_subcommands() -> dict[str, Callable]:
    return {"module": _magic_module, "promote": _magic_promote, "help": _magic_help}


def _capability_subcommands() -> dict[str, Callable]:
    found: dict[str, Callable] = {}
    for name in CAPABILITY_MAGICS:
        found.update(importlib.import_module(name).MAGICS)
    return found


def _magic_module(shell, args: list[str]):
    """%prodkit module NAME — the default module for `%%promote` cells without a name."""
    if len(args) != 1:
        raise UsageError("usage: %prodkit module NAME   (e.g. %prodkit module churn.features)")
    try:
        check_module(args[0])
    except ProdkitError as e:
        raise UsageError(e.line()) from None
    shell.user_ns["__prodkit_default_module__"] = args[0]
    print(f"%%promote cells without a module now go to {args[0]}")


def _magic_promote(shell, args: list[str]):
    """%prodkit promote [NOTEBOOK] [--force] [--allow-missing] — promote the saved notebook."""
    from prodkit.promote import promote

    flags = {a for a in args if a.startswith("--")}
    paths = [a for a in args if not a.startswith("--")]
    unknown = flags - {"--force", "--allow-missing", "--check"}
    if unknown or len(paths) > 1:
        raise UsageError("usage: %prodkit promote [NOTEBOOK] [--check] [--force] [--allow-missing]")
    nb_path = current_notebook_path(shell, paths[0] if paths else None)
    print(f"promoting the saved file {nb_path.name} (save the notebook first to include recent edits)")
    try:
        return promote(
            nb_path,
            check="--check" in flags,
            force="--force" in flags,
            allow_missing="--allow-missing" in flags,
        )
    except ProdkitError as e:
        raise UsageError(e.line()) from None


def _magic_help(shell, args: list[str]):
    """%prodkit help — list sub-commands."""
    handlers = {**_core_subcommands(), **_capability_subcommands()}
    for name, fn in sorted(handlers.items()):
        doc = (fn.__doc__ or "").strip().splitlines()
        print(f"  {doc[0] if doc else name}")


@magics_class
class ProdkitMagics(Magics):
    @cell_magic
    def promote(self, line: str, cell: str):
        """%%promote [MODULE] | --test [MODULE] [--name NAME] | --params

        The cell runs as usual and is exported by `prodkit promote`:
        to MODULE (a dotted name inside lib_path), as a pytest test of MODULE, or as the
        papermill parameters cell.
        """
        try:
            checked_directive(line)
        except ProdkitError as e:
            raise UsageError(e.line()) from None
        # Reached only when the input transformer is not installed (e.g. %%promote via run_cell_magic).
        return self.shell.run_cell(cell, store_history=False).raise_error()

    @line_magic
    def prodkit(self, line: str):
        """%prodkit SUBCOMMAND ... — `%prodkit help` lists them."""
        args = shlex.split(line)
        if not args:
            return _magic_help(self.shell, [])
        handlers = _core_subcommands()
        if args[0] not in handlers:
            handlers = {**handlers, **_capability_subcommands()}
        if args[0] not in handlers:
            raise UsageError(f"unknown sub-command {args[0]!r}: `%prodkit help` lists them")
        return handlers[args[0]](self.shell, args[1:])


def load_ipython_extension(ipython) -> None:
    """`%load_ext prodkit`."""
    ipython.register_magics(ProdkitMagics)
    if strip_promote_line not in ipython.input_transformers_cleanup:
        ipython.input_transformers_cleanup.append(strip_promote_line)
    _hook = _post_run_hook(ipython)
    ipython.events.register("post_run_cell", _hook)
    ipython._prodkit_post_run = _hook


def _post_run_hook(ipython):
    old = getattr(ipython, "_prodkit_post_run", None)
    if old is not None:  # %reload_ext: replace, never stack
        ipython.events.unregister("post_run_cell", old)

    def hook(result):
        bind_promoted_module(ipython, result)

    return hook


def unload_ipython_extension(ipython) -> None:
    if strip_promote_line in ipython.input_transformers_cleanup:
        ipython.input_transformers_cleanup.remove(strip_promote_line)
    hook = getattr(ipython, "_prodkit_post_run", None)
    if hook is not None:
        ipython.events.unregister("post_run_cell", hook)
        ipython._prodkit_post_run = None
