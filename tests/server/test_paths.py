"""Path confinement, without a server: what resolve_notebook accepts and refuses."""

from __future__ import annotations

import os

import pytest
from tornado.web import HTTPError

from prodkit.server.paths import resolve_notebook


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "root"
    (root / "nbs").mkdir(parents=True)
    (root / "nbs" / "a.ipynb").write_text("{}")
    (root / "nbs" / "notes.txt").write_text("x")
    (root / ".hidden").mkdir()
    (root / ".hidden" / "h.ipynb").write_text("{}")
    outside = tmp_path / "outside.ipynb"
    os.mkfifo(outside)  # opening it would block: proves nothing outside is read
    (root / "nbs" / "link.ipynb").symlink_to(outside)
    (root / "nbs" / "dirlink").symlink_to(tmp_path, target_is_directory=True)
    return root


def test_a_notebook_inside_the_root_resolves(root):
    assert resolve_notebook(root, "nbs/a.ipynb") == (root / "nbs" / "a.ipynb").resolve()
    assert resolve_notebook(root, "./nbs/a.ipynb") == (root / "nbs" / "a.ipynb").resolve()


@pytest.mark.parametrize("rel, code", [
    ("../outside.ipynb", 403),
    ("nbs/../../outside.ipynb", 403),
    ("nbs\\..\\..\\outside.ipynb", 403),
    ("/etc/passwd", 403),
    ("C:/Windows/win.ini", 403),
    ("nbs/link.ipynb", 403),            # a symlink out of the root
    ("nbs/dirlink/outside.ipynb", 403),  # a symlinked folder out of the root
    ("nbs/missing.ipynb", 404),
    ("nbs/notes.txt", 400),
    (".hidden/h.ipynb", 404),
    ("", 400),
    (None, 400),
    (42, 400),
])
def test_paths_outside_the_root_or_invalid_are_refused(root, rel, code):
    with pytest.raises(HTTPError) as info:
        resolve_notebook(root, rel)
    assert info.value.status_code == code
    assert info.value.log_message  # a message for the JSON error


def test_hidden_paths_resolve_when_the_server_allows_hidden(root):
    assert resolve_notebook(root, ".hidden/h.ipynb", allow_hidden=True).name == "h.ipynb"
