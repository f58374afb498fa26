"""Module names taken from notebooks: the one validator every source goes through.

A module name is untrusted notebook content, whatever it comes from: `%%promote NAME`,
nbdev's `#| default_exp NAME` and `#| export NAME` (in the source or in `nbdev` metadata),
`%prodkit module NAME`, or the notebook's file name. Before anything is rendered it must be
a dotted Python identifier (NFKC-normal, no keyword, short enough for a file name), must not
shadow the standard library or an installed distribution, and its file must resolve inside
lib_path (tests inside tests_path).
"""

from __future__ import annotations

import functools
import importlib.util
import keyword
import sys
import tomllib
import unicodedata
from pathlib import Path

from prodkit._dists import canonical, import_distributions
from prodkit.errors import BadInput

MAX_NAME_BYTES = 200  # the test file test_<a_b_c>.py must stay under the 255-byte file name limit
RESERVED = frozenset({"__init__", "__main__"})  # parts that would turn a module into a package's own file
RESERVED_TOP = frozenset({"_modidx"})  # nbdev's index, rebuilt by promote
_FIX = "use letters, digits, _ and dots, like churn.features"


def validate_module_name(name: object) -> str:
    """`name` if it is a dotted Python identifier that stays inside lib_path; else BadInput.

    No `..`, `/`, `\\`, absolute paths, keywords, control characters or names that Python
    would normalise to another one (NFKC). Shadowing is checked by `shadowing`.
    """
    if not isinstance(name, str) or not name:
        raise BadInput(f"module name {name!r} must be a dotted name like churn.features", fix=_FIX)
    shown = _shown(name)
    if any(c in name for c in "/\\") or name.startswith(".") or name.endswith(".") or ".." in name:
        raise BadInput(f"module name {shown} must be a dotted name inside lib_path, like churn.features", fix=_FIX)
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        raise BadInput(f"module name {shown} is longer than {MAX_NAME_BYTES} bytes", fix="use a shorter name")
    parts = name.split(".")
    for part in parts:
        if not part.isidentifier() or keyword.iskeyword(part):
            raise BadInput(f"module name {shown}: {_shown(part)} is not a valid Python identifier", fix=_FIX)
        if unicodedata.normalize("NFKC", part) != part:
            raise BadInput(
                f"module name {shown}: Python would import {_shown(part)} as "
                f"{_shown(unicodedata.normalize('NFKC', part))}",
                fix=_FIX,
            )
        if part in RESERVED:
            raise BadInput(f"module name {shown}: {part} is not a module of its own", fix=_FIX)
    if parts[0] in RESERVED_TOP:
        raise BadInput(f"module name {shown}: {parts[0]} is nbdev's index file", fix="use another name")
    return name


def _shown(value: str, limit: int = 60) -> str:
    """`value` as a one-line repr, cut to `limit` characters (names can be hostile or huge)."""
    text = ascii(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def own_distribution(root: Path | None) -> str | None:
    """The normalised `[project] name` of the pyproject.toml at `root` (None if absent)."""
    if root is None:
        return None
    return _own_distribution(Path(root))


@functools.lru_cache(maxsize=16)
def _own_distribution(root: Path) -> str | None:
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    name = data.get("project", {}).get("name") if isinstance(data.get("project"), dict) else None
    return canonical(name) if isinstance(name, str) else None


def _find(top: str) -> tuple[bool, Path | None]:
    """(importable, file) for `import top`: file is None for namespace folders and built-ins.
    A module that `%%promote` itself defined in this kernel counts as not importable."""
    loaded = sys.modules.get(top)
    if loaded is not None and getattr(loaded, "__prodkit_notebook__", False):
        return False, None
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return loaded is not None, None
    if spec is None:
        return loaded is not None, None
    real = spec.origin and spec.origin not in ("built-in", "frozen", "namespace")
    return True, Path(spec.origin) if real else None


def shadowing(name: str, root: Path | None = None, lib_path: Path | None = None) -> str | None:
    """Why module `name` would shadow (or be shadowed by) another module, or None.

    Its top-level package must not be a standard-library module, a package of an installed
    distribution other than the project's own, nor a regular module importable from outside
    the project root. One that imports from lib_path is the project's own.
    """
    top = name.split(".", 1)[0]
    if top in sys.stdlib_module_names:
        return f"{top} is a standard-library module: `import {top}` would load one or the other"
    importable, location = _find(top)
    if not importable or (location is not None and lib_path is not None and _inside(location, lib_path)):
        return None
    dists = import_distributions().get(top) or []
    own = own_distribution(root)
    if any(canonical(d) == own for d in dists):
        return None
    if dists:
        return f"{top} is a package of the installed distribution {dists[0]}: `import {top}` would load one or the other"
    if location is not None and root is not None and not _inside(location, Path(root)):
        return f"{top} is already importable from {location}: `import {top}` would load one or the other"
    return None


def check_not_shadowing(name: str, root: Path | None = None, lib_path: Path | None = None) -> str:
    """`name`, or BadInput saying what it shadows."""
    reason = shadowing(name, root, lib_path)
    if reason:
        raise BadInput(
            f"module name {_shown(name)} shadows another module ({reason})",
            fix=f"put it in a package of your own, e.g. myproject.{name}",
        )
    return name


def _inside(path: Path, base: Path) -> bool:
    try:
        path.resolve().relative_to(base.resolve())
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def confined(base: Path, relative: str, setting: str) -> Path:
    """`base / relative`, refused (BadInput) unless it resolves inside `base` (no symlink out)."""
    path = base / relative
    if not _inside(path, base):
        raise BadInput(
            f"{path} resolves outside {setting} ({base}): a symlink points out of the project",
            fix="remove the symlink, or use another module name",
        )
    return path


def module_file(lib_path: Path, name: str) -> Path:
    """The file of module `name` under lib_path (validated and confined)."""
    validate_module_name(name)
    return confined(lib_path, name.replace(".", "/") + ".py", "lib_path")


def test_file(tests_path: Path, name: str) -> Path:
    """The pytest file of module `name` under tests_path (validated and confined)."""
    validate_module_name(name)
    return confined(tests_path, f"test_{name.replace('.', '_')}.py", "tests_path")
