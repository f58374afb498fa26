"""IPython extension: `%%promote` and `%prodkit`.

Loading it must stay instant: nothing heavy is imported here. `%%promote` lines are
validated and stripped by an input transformer, so the cell itself runs exactly as an
ordinary cell (display, errors and execution counts unchanged). A `%%promote` line whose
arguments are wrong is left in place, and the cell magic then reports the problem.
"""

from __future__ import annotations

import sys
from pathlib import Path

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

from prodkit.errors import ProdkitError
from prodkit.notebook import (
    DIRECTIVE_MAGICS,
    PROMOTE_MAGIC,
    parse_directive_line,
    parse_promote_args,
    without_leading_blank_lines,
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
    """Input transformer: drop a valid leading `%%promote ...` or `%%parameters` line, keeping line numbers."""
    if not lines or not lines[0].lstrip().startswith(DIRECTIVE_MAGICS):
        return lines
    try:
        if lines[0].lstrip().startswith(PROMOTE_MAGIC):
            checked_directive(lines[0].strip()[len(PROMOTE_MAGIC) :])
        elif parse_directive_line(lines[0]) is None:
            return lines  # `%%parametersX`: not ours
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


@magics_class
class ProdkitMagics(Magics):
    @cell_magic
    def promote(self, line: str, cell: str):
        """%%promote [MODULE] | --test [MODULE] [--name NAME]

        The cell runs as usual and is exported by `prodkit promote`:
        to MODULE (a dotted name inside lib_path) or as a pytest test of MODULE.
        (`%%promote --params` is the older spelling of `%%parameters`.)
        """
        try:
            checked_directive(line)
        except ProdkitError as e:
            raise UsageError(e.line()) from None
        # Reached only when the input transformer is not installed (e.g. %%promote via run_cell_magic).
        return self.shell.run_cell(cell, store_history=False).raise_error()

    @cell_magic
    def parameters(self, line: str, cell: str):
        """%%parameters

        The cell runs as usual and is the notebook's papermill parameters cell: a job run's
        parameters are injected after it.
        """
        try:
            parse_directive_line(f"%%parameters {line}")
        except ProdkitError as e:
            raise UsageError(e.line()) from None
        return self.shell.run_cell(cell, store_history=False).raise_error()

    @line_magic
    def prodkit(self, line: str):
        """%prodkit COMMAND ... — the `prodkit` command's commands, run here (`%prodkit help`)."""
        from prodkit._magic_cli import run_line

        return run_line(self.shell, line)


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
