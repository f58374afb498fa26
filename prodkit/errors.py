"""Errors a user can act on. The CLI prints them as one line and exits with their code."""

from __future__ import annotations


class ProdkitError(Exception):
    """Base class for expected errors: printed as one line, no traceback."""

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None, cell: int | None = None, fix: str = ""):
        self.message = message
        self.path = path
        self.cell = cell
        self.fix = fix
        super().__init__(self.line())

    def line(self) -> str:
        """`file: cell N: message — fix` on one line."""
        where = ": ".join(p for p in (self.path, f"cell {self.cell}" if self.cell else None) if p)
        text = f"{where}: {self.message}" if where else self.message
        return f"{text} — {self.fix}" if self.fix else text

    def _render_traceback_(self) -> list[str]:
        """What IPython shows in a notebook instead of a traceback: the one line."""
        return [f"{type(self).__name__}: {self.line()}"]


class BadInput(ProdkitError):
    """The user gave a file, name or value prodkit cannot use (exit 2)."""

    exit_code = 2


class GateFailed(ProdkitError):
    """A check or gate did not hold (exit 1)."""

    exit_code = 1
