"""Project discovery and `prodkit init`."""

from __future__ import annotations

import json
import tomllib

from typer.testing import CliRunner

from prodkit.cli import app
from prodkit.config import init_project, load_project

runner = CliRunner()


def test_init_adds_sections_without_destroying_content(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "mine"\ndependencies = ["pandas"]\n\n[tool.ruff]\nline-length = 99\n'
    )
    (tmp_path / "settings.ini").write_text("[other]\nkeep = yes\n")
    (tmp_path / ".gitignore").write_text("*.pyc")
    res = runner.invoke(app, ["init", str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    assert "added [tool.nbdev] to pyproject.toml" in json.loads(res.output)["changed"]
    data = tomllib.loads((tmp_path / "pyproject.toml").read_text())
    assert data["project"]["dependencies"] == ["pandas"] and data["tool"]["ruff"]["line-length"] == 99
    assert data["tool"]["nbdev"]["lib_path"] == "src" and data["tool"]["nbdev"]["update_pyproject"] is False
    settings = (tmp_path / "settings.ini").read_text()
    assert "[other]\nkeep = yes" in settings and "[prodkit]" in settings and "[prodkit.business]" in settings
    assert (tmp_path / ".gitignore").read_text() == "*.pyc\n.prodkit/\n"
    assert init_project(tmp_path) == []  # idempotent


def test_project_paths_and_settings(tmp_path, monkeypatch):
    init_project(tmp_path)
    (tmp_path / "nbs" / "deep").mkdir()
    project = load_project(tmp_path / "nbs" / "deep")
    assert project.root == tmp_path.resolve() and project.lib_path == project.root / "src"
    assert project.tracking_uri == f"sqlite:///{project.root / '.prodkit' / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5999")
    assert load_project(tmp_path).tracking_uri == "http://127.0.0.1:5999"
    assert "kpi" in project.section("prodkit.business")


def test_loose_notebook_folder_is_its_own_root(tmp_path):
    nb = tmp_path / "loose" / "a.ipynb"
    nb.parent.mkdir()
    nb.write_text("{}")
    project = load_project(nb)
    assert project.root == nb.parent.resolve() and not project.has_nbdev


def test_help_everywhere():
    for args in (["--help"], ["init", "--help"], ["promote", "--help"], ["demo", "--help"]):
        res = runner.invoke(app, args)
        assert res.exit_code == 0 and "Usage" in res.output


def test_init_ci_writes_a_pipeline_and_rejects_unknown_kinds(tmp_path):
    res = runner.invoke(app, ["init", str(tmp_path), "--ci", "gitlab"])
    assert res.exit_code == 0, res.output
    assert "prodkit promote" in (tmp_path / ".gitlab-ci.yml").read_text()
    res = runner.invoke(app, ["init", str(tmp_path), "--ci", "jenkins"])
    assert res.exit_code == 2 and "unknown CI kind" in res.output


def test_atomic_write_keeps_normal_file_modes(tmp_path):
    import os

    from prodkit._io import atomic_write_text

    fresh = tmp_path / "fresh.txt"
    atomic_write_text(fresh, "a")
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask
    script = tmp_path / "run.sh"
    script.write_text("old")
    script.chmod(0o755)
    atomic_write_text(script, "new")
    assert script.stat().st_mode & 0o777 == 0o755 and script.read_text() == "new"


def test_init_adds_only_missing_settings_sections(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\n')
    (tmp_path / "settings.ini").write_text("[prodkit.business]\nkpi = churn\n")
    changed = init_project(tmp_path)
    assert "added [prodkit] to settings.ini" in changed
    project = load_project(tmp_path)
    assert project.section("prodkit.business")["kpi"] == "churn" and "tracking_uri" in project.settings


def test_settings_or_pyproject_that_is_not_utf8_is_one_line_exit_2(tmp_path):
    """Security review: a cp1252 settings.ini (`owner = José`) gave a 27-line UnicodeDecodeError traceback."""
    import subprocess
    import sys

    from prodkit.config import init_project

    init_project(tmp_path)
    settings = tmp_path / "settings.ini"
    settings.write_bytes(settings.read_bytes() + "[prodkit.business]\nowner = Jos\xe9\n".encode("latin-1"))
    proc = subprocess.run([sys.executable, "-m", "prodkit.cli", "jobs", "list"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "settings.ini is not UTF-8 text" in proc.stderr and "Traceback" not in proc.stderr
