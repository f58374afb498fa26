"""Helpers every CLI command uses: one-line errors with exit codes, JSON output, consoles."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from prodkit.errors import ProdkitError

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def handle_errors(fn: Callable) -> Callable:
    """Turn a ProdkitError into `error: <one line>` on stderr and its exit code (2 or 1)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ProdkitError as e:
            err.print(f"[bold red]error:[/] {escape(e.line())}", highlight=False, markup=True)
            raise typer.Exit(e.exit_code) from None
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None

    return wrapper


def print_json(data: Any) -> None:
    """Machine-readable output on stdout (no Rich markup)."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    sys.stdout.flush()
