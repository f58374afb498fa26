"""`prodkit init --ci github|gitlab`: a CI pipeline that gates the user's project.

The pipeline runs `prodkit promote NBS --check` (generated modules and tests up to date),
the generated tests with pytest, and `prodkit check NBS --fail-under X` (X from settings.ini
`readiness_fail_under` when the file is written). Templates live in prodkit/templates/ci/.
"""

from __future__ import annotations

from pathlib import Path

from prodkit._io import atomic_write_text
from prodkit.config import Project, load_project
from prodkit.errors import BadInput

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "ci"
TARGETS = {"github": ".github/workflows/prodkit.yml", "gitlab": ".gitlab-ci.yml"}


def render_ci(project: Project, kind: str) -> str:
    """The pipeline text for `kind` ("github" or "gitlab") filled in for `project`."""
    if kind not in TARGETS:
        raise BadInput(f"unknown CI kind {kind!r}", fix=f"use one of: {', '.join(TARGETS)}")
    from prodkit.readiness.cli import fail_under_default

    template = (TEMPLATES / f"{kind}.yml").read_text(encoding="utf-8")
    return template.format(
        python="3.11",
        nbs_path=project.relpath(project.nbs_path),
        tests_path=project.relpath(project.tests_path),
        fail_under=f"{fail_under_default(project.root):g}",
    )


def write_ci(project: Project | Path | str, kind: str, *, force: bool = False) -> list[str]:
    """Write the CI pipeline for `kind` into the project; returns what changed (for printing).

    An existing file with other content is the user's: it is kept unless `force`, and the
    BadInput says how to proceed.
    """
    if not isinstance(project, Project):
        project = load_project(project)
    text = render_ci(project, kind)
    target = project.root / TARGETS[kind]
    existed = target.exists()
    if existed:
        if target.read_text(encoding="utf-8") == text:
            return []
        if not force:
            raise BadInput(f"{TARGETS[kind]} already exists with other content", path=str(target),
                           fix="merge the prodkit job in by hand (see `prodkit.readiness.ci.render_ci`), or pass --force")
    atomic_write_text(target, text)
    return [f"{'rewrote' if existed else 'created'} {TARGETS[kind]}"]
