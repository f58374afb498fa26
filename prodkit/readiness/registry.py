"""The check registry: one decorated function per stable check id.

Adding a check means adding one function in `prodkit/readiness/checks/<section>.py`:

    @register_check("CODE-99", section="Code", title="...", fix="one line: what to do", reads_code=True)
    def no_globals(ctx: CheckContext) -> Outcome:
        return Outcome.ok("...") or Outcome.problem("...", cells=[3])

`Outcome.problem` takes the check's severity ("fail" or "warn") as its status. `scope="project"`
puts a check in the project set-up score instead of the notebook score (see `result.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prodkit.readiness.context import CheckContext

SECTIONS = ("Data", "Model", "Code", "Ops", "Security", "Business")
STATUSES = ("pass", "warn", "fail", "skip")
# "notebook": what the notebook itself holds (its own findings); "project": set-up around it that a
# fresh project has not done yet (business case, promoted modules, registry, jobs, monitoring).
SCOPES = ("notebook", "project")


@dataclass
class Outcome:
    """What a check function returns. `status=None` means "a problem, at the check's severity"."""

    status: str | None
    message: str
    cells: list[int] = field(default_factory=list)
    fix: str | None = None  # overrides the registered fix text for this outcome ("": none, e.g. n/a)
    counted: bool = True  # False: left out of the score (e.g. CODE-01 without --run)

    @classmethod
    def ok(cls, message: str, cells: list[int] | None = None) -> Outcome:
        return cls("pass", message, sorted(set(cells or [])))

    @classmethod
    def problem(cls, message: str, cells: list[int] | None = None, fix: str | None = None) -> Outcome:
        return cls(None, message, sorted(set(cells or [])), fix)

    @classmethod
    def warn(cls, message: str, cells: list[int] | None = None, fix: str | None = None) -> Outcome:
        return cls("warn", message, sorted(set(cells or [])), fix)

    @classmethod
    def fail(cls, message: str, cells: list[int] | None = None, fix: str | None = None) -> Outcome:
        return cls("fail", message, sorted(set(cells or [])), fix)

    @classmethod
    def not_set_up(cls, what: str, run: str) -> Outcome:
        """Project state this check reads does not exist yet: a skip that scores nothing."""
        return cls("skip", f"not set up yet: {what}", [], f"run {run}")

    @classmethod
    def not_applicable(cls, message: str, cells: list[int] | None = None) -> Outcome:
        """What the check looks for is not in the notebook (no model trained, no randomness): `n/a`,
        shown as a skip and left out of the score (a notebook earns no points for what it does not do)."""
        return cls("skip", f"n/a: {message}", sorted(set(cells or [])), "", counted=False)  # "": nothing to fix

    @classmethod
    def not_requested(cls, message: str, fix: str) -> Outcome:
        """The user did not ask for this check (e.g. CODE-01 without --run): left out of the score."""
        return cls("skip", message, [], fix, counted=False)


@dataclass(frozen=True)
class CheckSpec:
    """A registered check."""

    id: str
    section: str
    title: str
    severity: str  # status of a problem: "fail" or "warn"
    fix: str
    fn: Callable[[CheckContext], Outcome]
    reads_state: bool = False  # reads prodkit's stores (.prodkit/, MLflow), not the repository
    scope: str = "notebook"  # which score it counts in: "notebook" or "project"
    reads_code: bool = False  # reads parsed code: cannot pass while a cell does not parse


REGISTRY: dict[str, CheckSpec] = {}


def listed(items, limit: int = 6) -> str:
    """`a, b, c (+4 more)`: a list for a message, never silently cut."""
    items = [str(i) for i in items]
    shown = ", ".join(items[:limit])
    return shown + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def register_check(check_id: str, *, section: str, title: str, fix: str, severity: str = "fail",
                   reads_state: bool = False, scope: str | None = None, reads_code: bool = False):
    """Decorator registering `fn(ctx) -> Outcome` under a stable id.

    `reads_state`: the check reads project state (registry, jobs, monitoring) that a CI
    checkout does not have; `prodkit check --static` leaves such checks out of the score.
    `scope`: "notebook" (the notebook's own findings) or "project" (set-up around it); default
    "project" for state checks, else "notebook". `reads_code`: the check reads the parsed cells,
    so while a cell does not parse it says "not evaluated" instead of passing.
    """
    scope = scope or ("project" if reads_state else "notebook")
    if section not in SECTIONS:
        raise ValueError(f"unknown section {section!r}")
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    if severity not in ("fail", "warn"):
        raise ValueError("severity must be 'fail' or 'warn'")

    def decorate(fn):
        if check_id in REGISTRY:
            raise ValueError(f"check {check_id} is registered twice")
        REGISTRY[check_id] = CheckSpec(check_id, section, title, severity, fix, fn, reads_state, scope, reads_code)
        return fn

    return decorate


def all_checks() -> list[CheckSpec]:
    """Every registered check, in section order then id order."""
    import prodkit.readiness.checks  # noqa: F401  (registers them)

    def key(spec: CheckSpec):
        prefix, _, num = spec.id.rpartition("-")
        return SECTIONS.index(spec.section), prefix, int(num) if num.isdigit() else 0

    return sorted(REGISTRY.values(), key=key)
