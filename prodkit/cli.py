"""The `prodkit` command's entry point.

`prodkit promote` with plain arguments is parsed here with argparse and runs without importing
Typer (a third of promote's start-up beyond nbdev's); everything else, and promote with
`--help` or arguments argparse does not take, goes to the Typer app in `prodkit._cli_app`.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The promote command's flags: (flag, dest, value when given). Kept equal to the Typer
# command's options by tests/promote/test_promote.py.
PROMOTE_FLAGS = (
    ("--check", "check", True),
    ("--force", "force", True),
    ("--allow-missing", "allow_missing", True),
    ("--import-check", "import_check", True),
    ("--no-import-check", "import_check", False),
    ("--json", "json_out", True),
)


def promote_command(
    path: Path, check: bool, force: bool, allow_missing: bool, import_check: bool, json_out: bool
) -> int:
    """`prodkit promote`: run it, print the result (table or JSON); the exit code."""
    from prodkit.promote import promote as run_promote

    result = run_promote(path, check=check, force=force, allow_missing=allow_missing, import_check=import_check)
    print_promote_result(result, json_out)
    return result.exit_code


def print_promote_result(result, json_out: bool) -> None:
    """The promote result as a table (plain text when not a terminal), or as JSON."""
    if json_out:
        from prodkit._cli_support import print_json

        print_json(result.to_dict())
    elif not sys.stdout.isatty():  # logs, pipes, CI; and Rich is not imported (a tenth of promote)
        from prodkit.promote.render import result_text

        sys.stdout.write(result_text(result))
        sys.stdout.flush()
    else:
        from prodkit._cli_support import out
        from prodkit.promote.render import print_result

        print_result(result, out)


class _NotPlain(Exception):
    """Arguments the fast parser leaves to Typer (which prints the usage error)."""


def _promote_args(args: list[str]) -> dict | None:
    """The keyword arguments of `promote_command` for `prodkit promote ARGS`, or None."""
    import argparse

    class Parser(argparse.ArgumentParser):
        def error(self, message):
            raise _NotPlain(message)

    if any(a in ("-h", "--help") for a in args):
        return None
    parser = Parser(add_help=False, allow_abbrev=False)
    parser.add_argument("path", type=Path)
    defaults = {"check": False, "force": False, "allow_missing": False, "import_check": True, "json_out": False}
    for flag, dest, value in PROMOTE_FLAGS:
        parser.add_argument(flag, dest=dest, action="store_const", const=value, default=defaults[dest])
    try:
        return vars(parser.parse_args(args))
    except _NotPlain:
        return None


def _fast_promote(args: list[str]) -> int | None:
    kwargs = _promote_args(args)
    if kwargs is None:
        return None
    from prodkit.promote import worker

    worker.start()  # nbdev loads in a child while this process reads and plans the notebook
    from prodkit.errors import ProdkitError

    try:
        return promote_command(**kwargs)
    except (ProdkitError, KeyboardInterrupt) as e:
        from prodkit._cli_support import report_error

        return report_error(e)
    finally:
        worker.stop()


def main() -> None:
    """Console-script entry point."""
    if sys.argv[1:2] == ["promote"] and (code := _fast_promote(sys.argv[2:])) is not None:
        sys.exit(code)
    from prodkit._cli_app import app

    app()


def __getattr__(name: str):
    if name in ("app", "err", "CAPABILITY_CLIS", "CORE_COMMANDS"):
        import prodkit._cli_app

        return getattr(prodkit._cli_app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if __name__ == "__main__":  # pragma: no cover
    main()

__all__ = ["main", "print_promote_result", "promote_command"]
