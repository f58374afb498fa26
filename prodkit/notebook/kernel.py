"""Which saved notebook a kernel runs."""

from __future__ import annotations

import os
from pathlib import Path

from prodkit.errors import BadInput


def kernel_notebook_path(user_ns: dict | None = None, explicit: str | None = None) -> Path | None:
    """The saved notebook a kernel runs: `explicit` (see `resolve_explicit_notebook`; never replaced by
    another notebook), else Jupyter's `__session__`, JPY_SESSION_NAME, or PRODKIT_NOTEBOOK (set by
    prodkit for the kernels of jobs and the demo). None if unknown."""
    if explicit:
        return resolve_explicit_notebook(explicit)
    candidates = [
        (user_ns or {}).get("__session__"),
        os.environ.get("JPY_SESSION_NAME"),
        os.environ.get("PRODKIT_NOTEBOOK"),
    ]
    for candidate in candidates:
        if candidate and str(candidate).endswith(".ipynb") and Path(candidate).is_file():
            return Path(candidate).resolve()
    return None


def resolve_explicit_notebook(explicit: str, cwd: Path | None = None) -> Path:
    """A path the user typed: against the working folder, then the project root; else BadInput.

    `%prodkit check nbs/x.ipynb` in a kernel whose working folder is `nbs/` finds the project's
    `nbs/x.ipynb`; a path found nowhere is refused, never swapped for the current notebook.
    """
    from prodkit.config import load_project

    cwd = Path(cwd or Path.cwd())
    given = Path(explicit).expanduser()
    candidates = [given] if given.is_absolute() else [cwd / given]
    if not given.is_absolute():
        try:
            candidates.append(load_project(cwd).root / given)
        except Exception:  # noqa: BLE001 - no project around cwd: only cwd counts
            pass
    for candidate in candidates:
        if candidate.exists():
            return candidate.resolve()
    tried = " nor ".join(dict.fromkeys(str(c) for c in candidates))
    raise BadInput(f"no such notebook {explicit!r} (neither {tried})" if len(candidates) > 1
                   else f"no such notebook {explicit!r}", fix="check the path (relative to the working folder "
                                                              "or the project root)")
