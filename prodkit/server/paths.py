"""Confine request paths to the server's root_dir before anything is read."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from tornado.web import HTTPError

from prodkit.server.errors import RequestError

MAX_PATH = 1024  # characters of a notebook's API path
_DRIVE = re.compile(r"^[A-Za-z]:")


def resolve_notebook(root_dir: str | Path, rel: object, *, allow_hidden: bool = False) -> Path:
    """The notebook at API path `rel` (relative to `root_dir`), symlinks resolved.

    403 for absolute paths, `..` and anything that resolves outside the root (symlinks
    included); 404 when it is not an existing .ipynb file; 400 (field "path") when no path,
    a path that is too long or not valid text was given.
    Nothing is opened here: only the path is resolved and stat'ed.
    """
    if not isinstance(rel, str) or not rel.strip():
        raise RequestError(400, "missing ?path=: give the notebook's path relative to the server root", field="path")
    if len(rel) > MAX_PATH:
        raise RequestError(400, f"path is longer than {MAX_PATH} characters", field="path")
    if "\x00" in rel or not _is_text(rel):
        raise RequestError(400, "invalid path (a NUL byte or a lone surrogate in it)", field="path")
    text = rel.replace("\\", "/")
    pure = PurePosixPath(text)
    if pure.is_absolute() or _DRIVE.match(text):
        raise HTTPError(403, f"{rel}: absolute paths are not allowed; give a path relative to the server root")
    if ".." in pure.parts:
        raise HTTPError(403, f"{rel}: '..' is not allowed in paths")
    if not allow_hidden and any(part.startswith(".") for part in pure.parts if part != "."):
        raise HTTPError(404, f"{rel}: no such notebook")
    root = Path(root_dir).expanduser().resolve()
    target = (root / pure).resolve()
    if target != root and root not in target.parents:
        raise HTTPError(403, f"{rel}: resolves outside the server root")
    if target.suffix != ".ipynb":
        raise RequestError(400, f"{rel}: not a notebook (.ipynb)", field="path")
    if not target.is_file():
        raise HTTPError(404, f"{rel}: no such notebook")
    return target


def _is_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def api_path(root_dir: str | Path, target: Path) -> str:
    """`target` as the server-relative POSIX path the client uses."""
    return target.relative_to(Path(root_dir).expanduser().resolve()).as_posix()
