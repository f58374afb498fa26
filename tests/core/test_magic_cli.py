"""`%prodkit` runs the `prodkit` command's own click commands: the same options, help and errors."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from pktest import REPO, code, write_notebook


@pytest.fixture
def shell():
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "prodkit")
    yield ip
    ip.run_line_magic("unload_ext", "prodkit")


def cli_stderr(cwd, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
           "COLUMNS": "100"}
    return subprocess.run([sys.executable, "-m", "prodkit.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("args", [("jobs", "add", "j", "nbs/a.ipynb", "--bogus"),
                                  ("check", "nbs/a.ipynb", "--timeout", "soon"),
                                  ("models", "rollback")])
def test_a_bad_option_gets_the_same_message_from_the_magic_and_the_cli(shell, empty_project, monkeypatch, args):
    write_notebook(empty_project.nbs_path / "a.ipynb", [code("x = 1")])
    monkeypatch.chdir(empty_project.root)
    done = cli_stderr(empty_project.root, *args)
    assert done.returncode == 2
    message = next(line for line in done.stderr.splitlines() if line.startswith("Error: "))[len("Error: "):]
    with pytest.raises(UsageError) as refused:
        shell.run_line_magic("prodkit", " ".join(args))
    line = str(refused.value)
    assert "\n" not in line and line.startswith(f"{message}  (usage: %prodkit {args[0]}")


def test_magic_help_is_the_commands_typer_help(shell, empty_project, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "100")
    cli_help = cli_stderr(empty_project.root, "jobs", "add", "--help").stdout
    assert shell.run_line_magic("prodkit", "jobs add --help") is None
    magic_help = capsys.readouterr().out
    assert magic_help.startswith("Usage: %prodkit jobs add [OPTIONS] {name} [notebook]")  # NOTEBOOK: this one
    assert magic_help.split("Options:")[1] == cli_help.split("Options:")[1]
    assert "--retry-backoff" in magic_help and "--cron" in magic_help
    shell.run_line_magic("prodkit", "help jobs add")
    assert capsys.readouterr().out == magic_help


def test_a_command_error_is_one_line_and_a_cli_command_runs_in_the_kernel(shell, empty_project, monkeypatch, capsys):
    monkeypatch.chdir(empty_project.root)
    with pytest.raises(UsageError) as refused:
        shell.run_line_magic("prodkit", "jobs show 99")
    assert "\n" not in str(refused.value) and "no jobs in this project" in str(refused.value)
    shell.run_line_magic("prodkit", "business --owner jane@corp")
    assert "owner = jane@corp" in (empty_project.root / "settings.ini").read_text()
    assert "business case updated" in capsys.readouterr().out


def test_the_click_command_is_built_on_the_first_call_not_at_load_ext():
    probe = ("import sys\nfrom IPython.testing.globalipapp import start_ipython\nip = start_ipython()\n"
             "ip.run_line_magic('load_ext', 'prodkit')\nprint('typer' in sys.modules, 'prodkit._cli_app' in sys.modules)\n"
             "ip.run_line_magic('prodkit', 'jobs --help')\nprint('prodkit._cli_app' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO)
    assert done.stdout.split()[:2] == ["False", "False"] and done.stdout.split()[-1] == "True"
