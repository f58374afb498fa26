"""Helpers for the promote safety tests: the real CLI and before/after snapshots of a folder."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def prodkit(*args, cwd=None) -> subprocess.CompletedProcess:
    """The real `prodkit` command (the environment's PYTHONPATH decides which prodkit runs)."""
    return subprocess.run(
        [str(BIN / "prodkit"), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def nbdev_export(root: Path) -> None:
    proc = subprocess.run([str(BIN / "nbdev-export")], cwd=root, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every entry under `folder` (relative path -> kind and content hash / link target)."""
    found: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = os.path.relpath(path, folder)
            if path.is_symlink():
                found[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                found[rel] = ("dir",)
            else:
                found[rel] = ("file", hashlib.sha256(path.read_bytes()).hexdigest())
    return found


def changes(before: dict, after: dict) -> set[str]:
    """Paths added, removed or changed between two snapshots."""
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}


def outside(paths: set[str], root: Path, parent: Path, allowed: list[Path]) -> set[str]:
    """The changed `paths` (relative to `parent`) that are not under one of the `allowed` folders."""
    bad = set()
    for rel in paths:
        full = (parent / rel).absolute()
        if not any(full == a or a in full.parents for a in allowed):
            bad.add(rel)
    return bad


def one_error_line(stderr: str) -> str:
    """The single `error:` line the CLI prints for bad input (no traceback, nothing else)."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1 and lines[0].startswith("error:"), stderr
    return lines[0]
