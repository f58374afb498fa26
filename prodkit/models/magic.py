"""`%prodkit register MODEL NAME [--example EXPR] [--metric k=v] ...`: register a notebook variable."""

from __future__ import annotations

import typer

from prodkit.errors import BadInput

EXAMPLE_GUESSES = ("example", "X_val", "X_valid", "X_test")


def _shell():
    from prodkit._cli_support import NOTEBOOK_SHELL

    return NOTEBOOK_SHELL.get()


def _metrics(items: list[str]) -> dict[str, float]:
    metrics = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            metrics[key.strip()] = float(value)
        except ValueError:
            raise BadInput(f"--metric {item!r}: expected NAME=NUMBER", fix="e.g. --metric auc=0.91") from None
        if not sep or not key.strip():
            raise BadInput(f"--metric {item!r}: expected NAME=NUMBER", fix="e.g. --metric auc=0.91")
    return metrics


def _example(shell, expr: str | None):
    if expr:
        try:
            return shell.ev(expr)
        except Exception as e:  # noqa: BLE001 - the user's expression
            raise BadInput(f"--example {expr!r} failed: {type(e).__name__}: {e}") from None
    for guess in EXAMPLE_GUESSES:
        if guess in shell.user_ns:
            print(f"using {guess}[:8] as the input example (pass --example to choose)")
            return shell.user_ns[guess][:8]
    raise BadInput("no input example", fix="pass --example EXPR, e.g. --example X_val[:8]")


def _variable(shell, name: str, what: str):
    if name not in shell.user_ns:
        raise BadInput(f"no variable {name!r} in this notebook{what}", fix="train the model first, or check the name")
    return shell.user_ns[name]


def register_command(
    model: str = typer.Argument(..., help="The notebook variable holding the trained model."),
    name: str = typer.Argument(..., help="Registered model name."),
    example: str = typer.Option(None, "--example", help="Expression for a few input rows, e.g. X_val[:8] "
                                f"(default: the first of {', '.join(EXAMPLE_GUESSES)}, [:8])."),
    metric: list[str] = typer.Option(None, "--metric", help="NAME=NUMBER, repeatable."),
    data: str = typer.Option(None, "--data", help="The variable holding the training data (DataFrame or path)."),
    primary_metric: str = typer.Option(None, "--primary-metric", help="The metric the gate compares."),
    no_parity: bool = typer.Option(False, "--no-parity", help="Skip the torch.export parity check."),
    no_benchmark: bool = typer.Option(False, "--no-benchmark", help="Skip the device benchmark."),
):
    """Register the model in the notebook variable MODEL as NAME (MLflow), with its provenance."""
    from prodkit.models import register_model

    shell = _shell()
    trained = _variable(shell, model, "")
    frame = _variable(shell, data, " for --data") if data else None
    return register_model(trained, name, example=_example(shell, example), metrics=_metrics(metric or []),
                          data=frame, primary_metric=primary_metric, parity=not no_parity,
                          benchmark=not no_benchmark)


def notebook_commands(app: typer.Typer) -> None:
    """Add `%prodkit register` (a notebook-only command: it takes the model from the kernel)."""
    app.command("register")(register_command)


__all__ = ["notebook_commands", "register_command"]
