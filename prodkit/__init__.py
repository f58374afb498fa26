"""prodkit: take a Jupyter proof of concept to production without leaving Jupyter.

`import prodkit` is instant: the public API below is resolved lazily on first use.
"""

from __future__ import annotations

from prodkit._lazy import lazy_exports

__version__ = "0.1.0"

# public name -> "module:attribute"; capabilities add theirs here.
_LAZY = {
    "load_project": "prodkit.config:load_project",
    "check": "prodkit.readiness:check",
    "register_model": "prodkit.models:register_model",
    "load_model": "prodkit.models:load_model",
    "score": "prodkit.models.score:score",
    "add_job": "prodkit.jobs:add_job",
    "run_job": "prodkit.jobs:run_job",
    "Scheduler": "prodkit.jobs:Scheduler",
    "monitor": "prodkit.monitor",
    "models": "prodkit.models",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


def load_ipython_extension(ipython) -> None:
    """`%load_ext prodkit` registers `%%promote` and `%prodkit`."""
    from prodkit.magics import load_ipython_extension as _load

    _load(ipython)


def unload_ipython_extension(ipython) -> None:
    from prodkit.magics import unload_ipython_extension as _unload

    _unload(ipython)
