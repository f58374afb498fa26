"""`%prodkit register MODEL_VAR NAME [--example EXPR] [--metric k=v] ...` in a notebook."""

from __future__ import annotations

import argparse

EXAMPLE_GUESSES = ("example", "X_val", "X_valid", "X_test")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="%prodkit register", add_help=False, exit_on_error=False)
    p.add_argument("model")
    p.add_argument("name")
    p.add_argument("--example", help="expression for a few input rows, e.g. X_val[:8]")
    p.add_argument("--metric", action="append", default=[], help="k=v, repeatable")
    p.add_argument("--data", help="variable holding the training data (DataFrame or path)")
    p.add_argument("--primary-metric")
    p.add_argument("--no-parity", action="store_true")
    p.add_argument("--no-benchmark", action="store_true")
    return p


USAGE = ("usage: %prodkit register MODEL_VAR NAME [--example EXPR] [--metric k=v]... [--data VAR] "
         "[--primary-metric K] [--no-parity] [--no-benchmark]")


def _metrics(items: list[str]) -> dict[str, float]:
    from IPython.core.error import UsageError

    metrics = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            metrics[key.strip()] = float(value)
        except ValueError:
            raise UsageError(f"--metric {item!r}: expected NAME=NUMBER, e.g. --metric auc=0.91") from None
        if not sep or not key.strip():
            raise UsageError(f"--metric {item!r}: expected NAME=NUMBER")
    return metrics


def _example(shell, expr: str | None):
    from IPython.core.error import UsageError

    if expr:
        try:
            return shell.ev(expr)
        except Exception as e:  # noqa: BLE001 - the user's expression
            raise UsageError(f"--example {expr!r} failed: {type(e).__name__}: {e}") from None
    for guess in EXAMPLE_GUESSES:
        if guess in shell.user_ns:
            print(f"using {guess}[:8] as the input example (pass --example to choose)")
            return shell.user_ns[guess][:8]
    raise UsageError("no input example: pass --example EXPR, e.g. --example X_val[:8]")


def magic_register(shell, args: list[str]):
    """%prodkit register MODEL_VAR NAME [--example EXPR] [--metric k=v] — register the model in the registry"""
    from IPython.core.error import UsageError

    from prodkit.errors import ProdkitError

    try:
        ns, unknown = _parser().parse_known_args(args)
    except (argparse.ArgumentError, SystemExit):
        raise UsageError(USAGE) from None
    if unknown:
        raise UsageError(f"unknown arguments {unknown}; {USAGE}")
    if ns.model not in shell.user_ns:
        raise UsageError(f"no variable {ns.model!r} in this notebook: train the model first, or check the name")
    data = None
    if ns.data:
        if ns.data not in shell.user_ns:
            raise UsageError(f"no variable {ns.data!r} for --data")
        data = shell.user_ns[ns.data]
    from prodkit.models import register_model

    try:
        return register_model(shell.user_ns[ns.model], ns.name, example=_example(shell, ns.example),
                              metrics=_metrics(ns.metric), data=data, primary_metric=ns.primary_metric,
                              parity=not ns.no_parity, benchmark=not ns.no_benchmark)
    except ProdkitError as e:
        raise UsageError(e.line()) from None


MAGICS = {"register": magic_register}
