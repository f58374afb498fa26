"""`%prodkit check` and `%prodkit business` in a notebook."""

from __future__ import annotations

import argparse

from IPython.core.error import UsageError


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # a UsageError line instead of SystemExit
        raise UsageError(f"{self.prog}: {message}  (usage: {self.format_usage().strip()[7:]})")


def _check_parser() -> _Parser:
    p = _Parser(prog="%prodkit check", add_help=False)
    p.add_argument("notebook", nargs="?")
    p.add_argument("--run", action="store_true")
    p.add_argument("--timeout", type=int, default=600)
    return p


def magic_check(shell, args: list[str]):
    """%prodkit check [NOTEBOOK] [--run] — the readiness checklist of the saved notebook."""
    from prodkit.errors import ProdkitError
    from prodkit.magics import current_notebook_path
    from prodkit.readiness import check

    opts = _check_parser().parse_args(args)
    path = current_notebook_path(shell, opts.notebook)
    try:
        return check(path, run=opts.run, timeout=opts.timeout)
    except ProdkitError as e:
        raise UsageError(e.line()) from None


def _business_parser() -> _Parser:
    p = _Parser(prog="%prodkit business", add_help=False)
    p.add_argument("--kpi")
    p.add_argument("--target")
    p.add_argument("--owner")
    p.add_argument("--latency-ms", dest="latency_budget_ms")
    p.add_argument("--project")
    return p


def magic_business(shell, args: list[str]):
    """%prodkit business --kpi K --target T --owner O --latency-ms MS — declare the business case (BIZ-01)."""
    from pathlib import Path

    from prodkit.config import load_project
    from prodkit.errors import ProdkitError
    from prodkit.readiness.business import set_business

    opts = _business_parser().parse_args(args)
    values = {k: v for k, v in vars(opts).items() if k != "project" and v is not None}
    if not values:
        raise UsageError("usage: %prodkit business --kpi K --target T --owner O --latency-ms MS")
    try:
        start = Path(opts.project) if opts.project else _notebook_or_cwd(shell)
        project = load_project(start)
        path = set_business(project.root, values)
    except ProdkitError as e:
        raise UsageError(e.line()) from None
    print(f"business case updated in {path}: " + ", ".join(f"{k} = {v}" for k, v in values.items()))


def _notebook_or_cwd(shell):
    from pathlib import Path

    from prodkit.magics import current_notebook_path

    try:
        return current_notebook_path(shell).parent
    except UsageError:
        return Path.cwd()


MAGICS = {"check": magic_check, "business": magic_business}

__all__ = ["MAGICS"]
