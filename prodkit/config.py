"""Project discovery and settings.

The project root is the nearest folder, walking up, with a pyproject.toml. nbdev's
`[tool.nbdev]` there gives lib_path / nbs_path (where nbdev 3 reads them); prodkit's own
operational settings live in settings.ini under `[prodkit]` (and `[prodkit.business]`).
"""

from __future__ import annotations

import configparser
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from prodkit._io import atomic_write_text, relpath
from prodkit.errors import BadInput

STATE_DIR = ".prodkit"

DEFAULT_SETTINGS = {
    "tracking_uri": "",
    "tests_path": "tests",
    "readiness_fail_under": "0.8",
    "max_concurrency": "",
}

SETTINGS_TEMPLATE = """\
[prodkit]
# MLflow tracking URI. Empty: the embedded sqlite:///<root>/.prodkit/mlflow.db.
# MLFLOW_TRACKING_URI in the environment wins over this value.
tracking_uri =
# Where `%%promote --test` cells become pytest files.
tests_path = tests
# `prodkit check` fails (exit 1) below this readiness fraction.
readiness_fail_under = 0.8
# Parallel job runs; empty means the number of CPU cores.
max_concurrency =
# Webhook (Slack/Teams-style) that gets a JSON POST on run failure, drift, degraded outcomes,
# promotion and rollback. Empty: no notifications.
notify_url =

[prodkit.business]
# The business case (checked by BIZ-01): what this model moves, by how much, who owns it,
# and how fast one prediction must be.
kpi =
target =
owner =
latency_budget_ms =
"""

NBDEV_TEMPLATE = """
[tool.nbdev]
lib_path = {lib_path}
nbs_path = {nbs_path}
# Keep nbdev-export from rewriting [project] above.
update_pyproject = false
"""


@dataclass(frozen=True)
class Project:
    """A folder prodkit works in, with its paths and settings."""

    root: Path
    lib_path: Path
    nbs_path: Path
    has_nbdev: bool
    settings: dict[str, str] = field(default_factory=dict)
    sections: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def tests_path(self) -> Path:
        return self.root / (self.settings.get("tests_path") or "tests")

    @property
    def tracking_uri(self) -> str:
        """MLFLOW_TRACKING_URI, else settings.ini, else the embedded sqlite store."""
        return (
            os.environ.get("MLFLOW_TRACKING_URI")
            or self.settings.get("tracking_uri")
            or f"sqlite:///{self.state_dir / 'mlflow.db'}"
        )

    @property
    def artifacts_dir(self) -> Path:
        return self.state_dir / "mlartifacts"

    @property
    def jobs_db(self) -> Path:
        return self.state_dir / "jobs.db"

    @property
    def jobs_store(self) -> str:
        """Where the job store is: PRODKIT_JOBS_DB, else `jobs_db` in settings.ini, else `.prodkit/jobs.db`.

        A `postgresql://…` URL, or a SQLite file path (relative to the project root).
        """
        target = (os.environ.get("PRODKIT_JOBS_DB") or self.settings.get("jobs_db") or "").strip()
        if not target:
            return str(self.jobs_db)
        return target if "://" in target else str(self.root / target)

    @property
    def jobs_store_exists(self) -> bool:
        """False only for a SQLite store not created yet (a server store always exists)."""
        target = self.jobs_store
        return "://" in target or Path(target).exists()

    @property
    def runs_dir(self) -> Path:
        return self.state_dir / "runs"

    def section(self, name: str) -> dict[str, str]:
        """A settings.ini section such as `prodkit.business` ({} when absent)."""
        return dict(self.sections.get(name, {}))

    def relpath(self, path: Path) -> str:
        """`path` relative to the root when inside it (for messages and records)."""
        return relpath(path, self.root)


def find_root(start: Path | str | None = None) -> Path | None:
    """The nearest folder at or above `start` holding a pyproject.toml, or None."""
    p = Path(start or Path.cwd()).resolve()
    if p.is_file() or p.suffix == ".ipynb":
        p = p.parent
    for d in (p, *p.parents):
        if (d / "pyproject.toml").is_file():
            return d
    return None


def _read_settings(root: Path) -> dict[str, dict[str, str]]:
    path = root / "settings.ini"
    if not path.is_file():
        return {}
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as e:
        raise BadInput(
            f"cannot parse settings.ini ({e.__class__.__name__})", path=str(path), fix="fix the INI syntax"
        ) from None
    except UnicodeDecodeError as e:
        raise BadInput(f"settings.ini is not UTF-8 text (byte {e.start})", path=str(path),
                       fix="save it as UTF-8 (e.g. an owner name written in another encoding)") from None
    return {name: dict(parser[name]) for name in parser.sections() if name.startswith("prodkit")}


def _read_nbdev(root: Path) -> dict | None:
    path = root / "pyproject.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise BadInput(
            f"cannot parse pyproject.toml ({e})", path=str(path), fix="fix the TOML syntax"
        ) from None
    except UnicodeDecodeError as e:
        raise BadInput(f"pyproject.toml is not UTF-8 text (byte {e.start})", path=str(path),
                       fix="save it as UTF-8") from None
    return data.get("tool", {}).get("nbdev")


def _section_name(block: str) -> str:
    return block.lstrip("[").split("]", 1)[0]


RESERVED_FOLDERS = frozenset({".git", ".hg", ".svn", ".prodkit"})  # version control and prodkit's own state


def inside_root(root: Path, value: object, file: Path, setting: str, example: str) -> Path:
    """`root / value` for a configured folder; BadInput naming the file and setting when the
    value is not a relative path that stays inside the project root (symlinks resolved)."""
    fix = f'use a folder inside the project, e.g. {setting.split("] ")[-1]} = "{example}"'
    if not isinstance(value, str) or not value.strip() or not value.isprintable():
        raise BadInput(f"{setting} = {value!r} is not a folder name", path=str(file), fix=fix)
    path = root / value
    try:
        inside = not Path(value).is_absolute() and path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        inside = False
    if not inside:
        raise BadInput(f"{setting} = {value!r} leaves the project root", path=str(file), fix=fix)
    reserved = RESERVED_FOLDERS.intersection(path.resolve().relative_to(root.resolve()).parts)
    if reserved:
        raise BadInput(f"{setting} = {value!r} is inside {sorted(reserved)[0]}/, which prodkit never writes to",
                       path=str(file), fix=fix)
    return path


def load_project(start: Path | str | None = None, *, require_nbdev: bool = False) -> Project:
    """The project around `start` (a file or folder; default the cwd).

    Without a pyproject.toml the folder of `start` is the root with default paths, so
    checks and jobs work on a loose notebook. `require_nbdev` (promote) insists on
    `[tool.nbdev]` and says how to add it.
    """
    root = find_root(start)
    nbdev_cfg = _read_nbdev(root) if root else None
    if require_nbdev and nbdev_cfg is None:
        where = str(root / "pyproject.toml") if root else str(Path(start or Path.cwd()).resolve())
        raise BadInput(
            "no [tool.nbdev] in pyproject.toml (prodkit needs lib_path/nbs_path)",
            path=where,
            fix="run `prodkit init` in the project folder",
        )
    if root is None:
        base = Path(start or Path.cwd()).resolve()
        root = base.parent if base.suffix == ".ipynb" or base.is_file() else base
    nbdev_cfg = nbdev_cfg or {}
    sections = _read_settings(root)
    settings = {**DEFAULT_SETTINGS, **sections.get("prodkit", {})}
    pyproject, ini = root / "pyproject.toml", root / "settings.ini"
    inside_root(root, settings.get("tests_path") or "tests", ini, "[prodkit] tests_path", "tests")
    return Project(
        root=root,
        lib_path=inside_root(root, nbdev_cfg.get("lib_path", "src"), pyproject, "[tool.nbdev] lib_path", "src"),
        nbs_path=inside_root(root, nbdev_cfg.get("nbs_path", "nbs"), pyproject, "[tool.nbdev] nbs_path", "nbs"),
        has_nbdev=bool(nbdev_cfg),
        settings=settings,
        sections=sections,
    )


def init_project(
    root: Path | str, *, name: str | None = None, lib_path: str = "src", nbs_path: str = "nbs"
) -> list[str]:
    """Add prodkit's config to a project without touching what is already there.

    Creates pyproject.toml when missing, appends `[tool.nbdev]` when absent, writes
    settings.ini `[prodkit]` sections when absent, creates the folders, and ignores
    `.prodkit/` in git. Returns what it changed, for the caller to print.
    """
    root = Path(root).resolve()
    pyproject = root / "pyproject.toml"
    inside_root(root, lib_path, pyproject, "[tool.nbdev] lib_path", "src")  # before writing anything
    inside_root(root, nbs_path, pyproject, "[tool.nbdev] nbs_path", "nbs")
    root.mkdir(parents=True, exist_ok=True)
    changed: list[str] = []
    if not pyproject.exists():
        project_name = name or root.name.replace("_", "-").lower() or "project"
        atomic_write_text(
            pyproject, f'[project]\nname = "{project_name}"\nversion = "0.0.1"\nrequires-python = ">=3.11"\n'
        )
        changed.append("created pyproject.toml")
    if _read_nbdev(root) is None:
        text = pyproject.read_text(encoding="utf-8")
        sep = "" if text.endswith("\n") else "\n"
        block = NBDEV_TEMPLATE.format(lib_path=json.dumps(lib_path), nbs_path=json.dumps(nbs_path))
        atomic_write_text(pyproject, text + sep + block)
        changed.append("added [tool.nbdev] to pyproject.toml")
    settings = root / "settings.ini"
    existing = settings.read_text(encoding="utf-8") if settings.exists() else ""
    present = set(_read_settings(root)) if existing else set()
    missing = [block for block in SETTINGS_TEMPLATE.split("\n\n[") if _section_name(block) not in present]
    if missing:
        text = "\n\n".join(b if b.startswith("[") else "[" + b for b in missing)
        sep = "" if not existing else "\n" if existing.endswith("\n") else "\n\n"
        atomic_write_text(settings, existing + sep + text.rstrip("\n") + "\n")
        names = ", ".join(f"[{_section_name(b)}]" for b in missing)
        changed.append(f"added {names} to settings.ini" if existing else "created settings.ini")
    project = load_project(root)
    for folder in (project.lib_path, project.nbs_path, project.tests_path):
        if not folder.exists():
            folder.mkdir(parents=True)
            changed.append(f"created {project.relpath(folder)}/")
    gitignore = root / ".gitignore"
    ignored = gitignore.read_text(encoding="utf-8") if gitignore.exists() else ""
    if f"{STATE_DIR}/" not in ignored.split():
        sep = "" if not ignored or ignored.endswith("\n") else "\n"
        atomic_write_text(gitignore, ignored + sep + f"{STATE_DIR}/\n")
        changed.append(f"ignored {STATE_DIR}/ in .gitignore")
    return changed
