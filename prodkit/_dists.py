"""Distribution names, requirement lines and import names, through `packaging` and
`importlib.metadata` (both imported on first use)."""

from __future__ import annotations

import functools


def canonical(name: str) -> str:
    """The PEP 503 name: `Scikit_Learn` -> `scikit-learn`."""
    from packaging.utils import canonicalize_name

    return canonicalize_name(name)


def requirement(line: str) -> tuple[str, bool] | None:
    """One requirement (`pandas[x]>=2.1,<3 ; python_version>'3'`) as (canonical name, has a version
    constraint or URL); None for blank lines, comments, pip options (`-r`, `-e`) and malformed lines."""
    from packaging.requirements import InvalidRequirement, Requirement

    line = line.split("#", 1)[0].split(" --", 1)[0].strip().rstrip("\\").strip()
    if not line or line.startswith("-"):
        return None
    try:
        req = Requirement(line)
    except InvalidRequirement:
        return None
    return canonical(req.name), bool(req.specifier or req.url)


@functools.lru_cache(maxsize=1)
def import_distributions() -> dict[str, list[str]]:
    """Top-level import name -> the installed distributions that provide it (read once per process)."""
    import importlib.metadata

    return importlib.metadata.packages_distributions()
