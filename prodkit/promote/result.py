"""The result of `prodkit promote`, rendered by the CLI, the magic and the REST API alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from prodkit._io import relpath
from prodkit.promote.files import FileOutcome
from prodkit.promote.plan import Problem


@dataclass
class NotebookPromotion:
    notebook: Path
    files: list[FileOutcome] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    params_cell: int | None = None
    skipped: str = ""  # why a notebook in a folder was skipped

    def to_dict(self, root: Path) -> dict:
        return {
            "notebook": relpath(self.notebook, root),
            "files": [f.to_dict(root) for f in self.files],
            "problems": [p.to_dict() for p in self.problems],
            "params_cell": self.params_cell,
            "skipped": self.skipped,
        }


@dataclass
class PromoteResult:
    root: Path
    check: bool
    notebooks: list[NotebookPromotion] = field(default_factory=list)
    allow_missing: bool = False
    seconds: float = 0.0

    @property
    def files(self) -> list[FileOutcome]:
        return [f for nb in self.notebooks for f in nb.files]

    @property
    def problems(self) -> list[Problem]:
        return [p for nb in self.notebooks for p in nb.problems]

    def count(self, action: str) -> int:
        return sum(f.action == action for f in self.files)

    @property
    def exit_code(self) -> int:
        """1 when a gate did not hold: refused or out-of-date files, blocking problems, import errors."""
        if any(f.action in ("refused", "out-of-date", "blocked") for f in self.files):
            return 1
        if any(p.kind == "import-error" for p in self.problems):
            return 1
        return 1 if self.problems and not self.allow_missing else 0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def to_dict(self) -> dict:
        return {
            "root": str(self.root),
            "check": self.check,
            "ok": self.ok,
            "exit_code": self.exit_code,
            "seconds": round(self.seconds, 3),
            "counts": {
                a: self.count(a) for a in ("written", "unchanged", "out-of-date", "refused", "blocked")
            },
            "notebooks": [nb.to_dict(self.root) for nb in self.notebooks],
        }

    def view(self):
        """The rows every form shows (`prodkit.promote.render.promote_view`)."""
        from prodkit.promote.render import promote_view

        return promote_view(self)

    def __rich__(self):
        from prodkit._render import to_rich

        return to_rich(self.view())

    def __str__(self) -> str:
        from prodkit._render import to_text

        return to_text(self.view())

    def _repr_html_(self) -> str:
        from prodkit._render import to_html

        return to_html(self.view())

    def __repr__(self) -> str:
        c = self.to_dict()["counts"]
        return f"PromoteResult(ok={self.ok}, written={c['written']}, unchanged={c['unchanged']}, problems={len(self.problems)})"
