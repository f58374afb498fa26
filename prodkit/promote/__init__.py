"""Notebook cells -> modules and pytest files, on nbdev's export machinery.

`promote(path)` (in `pipeline.py`) is the one entry point for the CLI, the `%prodkit promote`
magic and the REST API. Exported lazily: the CLI forks `promote.worker` before the pipeline loads.
"""

from prodkit._lazy import lazy_exports

__all__ = ["promote", "PromoteResult"]
__getattr__, __dir__ = lazy_exports(
    __name__, {"promote": "prodkit.promote.pipeline", "PromoteResult": "prodkit.promote.pipeline"}
)
