"""Helpers every CLI command uses: one-line errors with exit codes, JSON output, consoles."""

from __future__ import annotations

import contextvars
import functools
import json
import sys
from collections.abc import Callable
from typing import Any

from rich.console import Console, ConsoleDimensions
from rich.markup import escape

from prodkit.errors import ProdkitError

# Width of output that is not a terminal (CI logs, `| cat`, files): wide enough that no table is
# squeezed to Rich's 80-column fallback and no job name or path is cut to "linreg…".
UNLIMITED_WIDTH = 10_000
RULE_WIDTH = 80  # rules span the width: keep them readable in logs


class CliConsole(Console):
    """A Rich console at the terminal's width, or COLUMNS when set, else unlimited when not a terminal.

    Decided at each print, so a console made at import time also suits output redirected later.
    """

    def _unlimited(self) -> bool:
        return self._width is None and not self.is_terminal and "COLUMNS" not in self._environ

    @property
    def size(self) -> ConsoleDimensions:
        size = Console.size.fget(self)
        return ConsoleDimensions(UNLIMITED_WIDTH, size.height) if self._unlimited() else size

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)

    def rule(self, title: str = "", **kwargs: Any) -> None:
        if not self._unlimited():
            return super().rule(title, **kwargs)
        from rich.rule import Rule

        self.print(Rule(title, **kwargs), width=RULE_WIDTH)


out = CliConsole(soft_wrap=True)
err = CliConsole(stderr=True, soft_wrap=True)


def report_error(e: ProdkitError | KeyboardInterrupt) -> int:
    """Print `error: <one line>` (or `interrupted`) on stderr; the exit code (2 or 1; 130)."""
    if isinstance(e, KeyboardInterrupt):
        err.print("interrupted")
        return 130
    err.print(f"[bold red]error:[/] {escape(e.line())}", highlight=False, markup=True)
    return e.exit_code


# The IPython shell while `%prodkit` runs a command in a kernel (prodkit._magic_cli); None in the CLI.
NOTEBOOK_SHELL: contextvars.ContextVar = contextvars.ContextVar("prodkit_notebook_shell", default=None)


def in_notebook() -> bool:
    """True while a command runs under `%prodkit` (its result is displayed, its errors re-raised)."""
    return NOTEBOOK_SHELL.get() is not None


def shown(result: Any, show: Callable[[Any], None], exit_code: int = 0) -> Any:
    """A command's result: the CLI prints it with `show` and exits `exit_code`; `%prodkit` returns
    it, and the notebook displays it."""
    if in_notebook():
        return result
    show(result)
    if exit_code:
        import typer

        raise typer.Exit(exit_code)
    return result


def handle_errors(fn: Callable) -> Callable:
    """Turn a ProdkitError into `error: <one line>` on stderr and its exit code (2 or 1);
    under `%prodkit` it propagates (the magic makes it a one-line UsageError)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ProdkitError, KeyboardInterrupt) as e:
            if in_notebook():
                raise
            import typer  # not at import time: `prodkit promote` runs without Typer

            raise typer.Exit(report_error(e)) from None

    return wrapper


def print_json(data: Any) -> None:
    """Machine-readable output on stdout (no Rich markup)."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    sys.stdout.flush()


def print_result(result: Any, json_out: bool) -> None:
    """A result object on stdout: its `to_dict()` as JSON with --json, else its view (`prodkit._render`)."""
    if json_out:
        print_json(result.to_dict())
    else:
        out.print(result)
