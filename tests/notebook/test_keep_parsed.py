"""`keep_parsed` (the panel's worker processes): the same file content is parsed once, a changed file never
comes from memory, even when its size and mtime are those of the parsed one."""

from __future__ import annotations

import os

import pytest
from pktest import code, write_notebook

from prodkit.notebook import read_notebook
from prodkit.notebook.reader import keep_parsed


@pytest.fixture
def kept():
    keep_parsed(8)
    yield
    keep_parsed(0)


def _write_same_stat(path, source: str, like: os.stat_result) -> None:
    write_notebook(path, [code(source)])
    os.utime(path, ns=(like.st_atime_ns, like.st_mtime_ns))
    assert path.stat().st_size == like.st_size and path.stat().st_mtime_ns == like.st_mtime_ns


def test_identical_content_is_parsed_once(tmp_path, kept):
    path = write_notebook(tmp_path / "a.ipynb", [code("x = helper_a()")])
    first = read_notebook(path)
    facts = first.cells[0].facts
    again = read_notebook(path)
    assert again is first and again.cells[0].facts is facts


def test_an_edit_with_the_same_size_and_mtime_is_read_anew(tmp_path, kept):
    path = write_notebook(tmp_path / "a.ipynb", [code("x = helper_a()")])
    assert "helper_a" in read_notebook(path).cells[0].facts.names
    _write_same_stat(path, "x = helper_b()", path.stat())
    edited = read_notebook(path)
    assert edited.cells[0].source == "x = helper_b()"
    assert "helper_b" in edited.cells[0].facts.names and "helper_a" not in edited.cells[0].facts.names


def test_two_files_with_the_same_content_keep_their_own_path(tmp_path, kept):
    a = write_notebook(tmp_path / "a.ipynb", [code("x = 1")])
    b = write_notebook(tmp_path / "b.ipynb", [code("x = 1")])
    assert read_notebook(a).path == a.resolve() and read_notebook(b).path == b.resolve()


def test_without_keep_parsed_every_read_parses(tmp_path):
    path = write_notebook(tmp_path / "a.ipynb", [code("x = 1")])
    assert read_notebook(path) is not read_notebook(path)
