"""Notebook cells -> modules and pytest files, on nbdev's export machinery.

`promote(path)` (in `pipeline.py`) is the one entry point for the CLI, the `%prodkit promote`
magic and the REST API.
"""

from prodkit.promote.pipeline import PromoteResult, promote

__all__ = ["promote", "PromoteResult"]
