"""Printing readiness results in a terminal or a CI log (each result's one view, `ReadinessResult.view`)."""

from __future__ import annotations

from rich.console import Console

from prodkit.readiness.result import ReadinessResult

LOG_WIDTH = 100  # a table printed to a pipe or CI log without COLUMNS wraps here, not at its widest line


def print_results(results: list[ReadinessResult], console: Console) -> None:
    """Each result, then a blank line; wrapped at LOG_WIDTH when the console is not a terminal."""
    for result in results:
        console.print(result, width=min(console.width, LOG_WIDTH) if not console.is_terminal else None)
        console.print()
