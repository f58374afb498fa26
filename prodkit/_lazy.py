"""One lazy-export mechanism for packages whose public names live in slower modules.

    __getattr__, __dir__ = lazy_exports(__name__, {"add_job": "prodkit.jobs.api", ...})

A name is imported from its module on first use and then cached in the package, so importing
the package itself costs nothing (`import prodkit` and `%load_ext prodkit` stay instant).
A target "module:attr" names another attribute; a bare module path exports the module itself
when the name is its last part (`"monitor": "prodkit.monitor"`).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[Callable, Callable]:
    """`__getattr__` and `__dir__` for `package` resolving `exports` (name -> module[:attr])."""

    def __getattr__(name: str):
        target = exports.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module_name, _, attr = target.partition(":")
        module = importlib.import_module(module_name)
        if attr:
            value = getattr(module, attr)
        elif module_name.rsplit(".", 1)[-1] == name:
            value = module
        else:
            value = getattr(module, name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__():
        return sorted([*vars(sys.modules[package]), *exports])

    return __getattr__, __dir__
