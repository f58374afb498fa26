"""What the checks read: the notebook's per-cell facts (`prodkit.notebook.analysis`, parsed once
per cell), plus the project.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from prodkit.config import Project
from prodkit.notebook import Notebook
from prodkit.notebook.analysis import Call, CellFacts, ShellLine, dotted_name, output_texts

__all__ = ["Call", "CellFacts", "CheckContext", "ShellLine", "dotted_name", "output_texts"]

@dataclass
class CheckContext:
    """Everything a check may read. Facts are computed on first use and shared by all checks."""

    notebook: Notebook
    project: Project
    run: bool = False
    timeout: int = 600
    static: bool = False  # --static: read no project state (registry, jobs, monitoring)

    @cached_property
    def facts(self) -> list[CellFacts]:
        """Facts of every code cell; for a cell that does not parse (see `unparsed`), what its parseable
        statements hold (its `tree` is None)."""
        return [c.facts for c in self.notebook.code_cells]

    @cached_property
    def unparsed(self) -> list[CellFacts]:
        """Facts of the code cells that are not Python: checks reading code cannot vouch for them."""
        return [c.facts for c in self.notebook.code_cells if c.facts.parse_error is not None]

    @cached_property
    def shell_lines(self) -> list[tuple[CellFacts, ShellLine]]:
        """Every shell/magic line of the notebook (cells that do not parse included)."""
        return [(c.facts, s) for c in self.notebook.code_cells for s in c.facts.shell_lines]

    @cached_property
    def aliases(self) -> dict[str, str]:
        merged: dict[str, str] = {}
        for f in self.facts:
            merged.update(f.aliases)
        return merged

    def resolve(self, name: str) -> str:
        """`np.random.seed` -> `numpy.random.seed` using the notebook's imports."""
        head, _, rest = name.partition(".")
        target = self.aliases.get(head)
        if target is None:
            return name
        return f"{target}.{rest}" if rest else target

    def calls(self) -> list[tuple[CellFacts, Call, str]]:
        """(cell facts, call, resolved dotted name) for every call in the notebook."""
        return self._calls

    @cached_property
    def _calls(self) -> list[tuple[CellFacts, Call, str]]:
        return [(f, call, self.resolve(call.name)) for f in self.facts for call in f.calls]

    @cached_property
    def imported_modules(self) -> set[str]:
        return {i.module for f in self.facts for i in f.imports}

    @cached_property
    def all_names(self) -> set[str]:
        return set().union(*(f.names for f in self.facts)) if self.facts else set()

    @cached_property
    def outputs(self) -> dict[int, list[str]]:
        """Cell number -> its output texts."""
        return {c.number: output_texts(c) for c in self.notebook.code_cells if c.outputs}

    @property
    def notebook_path(self) -> Path:
        return self.notebook.path
