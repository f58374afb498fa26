"""`%prodkit drift REF CURRENT [--html FILE]`: drift between two DataFrames (names in the notebook) or files."""

from __future__ import annotations

from IPython.core.error import UsageError

USAGE = "usage: %prodkit drift REF CURRENT [--html FILE]   (DataFrame variables or .csv/.parquet files)"


def _frame(shell, arg: str):
    value = shell.user_ns.get(arg)
    if value is not None:
        return value
    from prodkit.monitor.frames import read_table

    return read_table(arg)


def magic_drift(shell, args: list[str]):
    """%prodkit drift REF CURRENT [--html FILE] — drift of CURRENT against REF (evidently)."""
    from prodkit.errors import ProdkitError

    html = None
    if "--html" in args:
        at = args.index("--html")
        if at + 1 >= len(args):
            raise UsageError(USAGE)
        html = args[at + 1]
        args = args[:at] + args[at + 2:]
    if len(args) != 2:
        raise UsageError(USAGE)
    try:
        from prodkit.monitor.drift import compare

        return compare(_frame(shell, args[0]), _frame(shell, args[1]), html=html, names=(args[0], args[1]))
    except ProdkitError as e:
        raise UsageError(e.line()) from None


MAGICS = {"drift": magic_drift}
