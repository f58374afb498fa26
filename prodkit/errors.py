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

    def __reduce__(self):
        """Pickled whole (path, cell, fix, and attributes of subclasses), e.g. from promote's worker."""
        return _rebuild, (type(self), self.message, self.path, self.cell, self.fix, self.__dict__)

    def line(self) -> str:
        """`file: cell N: message — fix` on one line."""
        text = self._where_and_message()
        return f"{text} — {self.fix}" if self.fix else text

    def _where_and_message(self) -> str:
        where = ": ".join(p for p in (self.path, f"cell {self.cell}" if self.cell else None) if p)
        return f"{where}: {self.message}" if where else self.message

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a traceback (notebook cells, papermill outputs): the error
        and, on the next line, the fix. `%tb` and `%debug` still reach the traceback."""
        lines = [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self._where_and_message()}"]
        return lines + [f"\x1b[0;32m→ {self.fix}\x1b[0m"] if self.fix else lines


class BadInput(ProdkitError):
    """The user gave a file, name or value prodkit cannot use (exit 2)."""

    exit_code = 2


class GateFailed(ProdkitError):
    """A check or gate did not hold (exit 1)."""

    exit_code = 1


def _rebuild(cls: type, message: str, path: str | None, cell: int | None, fix: str, state: dict) -> ProdkitError:
    error = cls.__new__(cls)
    ProdkitError.__init__(error, message, path=path, cell=cell, fix=fix)
    error.__dict__.update(state)
    return error
