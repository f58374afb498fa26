"""Property-style check of issue 11's "Done means": whatever a notebook's names and metadata
say, `prodkit promote` writes only under lib_path and tests_path, `--check` writes nothing,
no metadata runs as code, and the exit code is 0, 1 or 2 (never a traceback).

Notebooks are generated from a seeded random generator (PRODKIT_FUZZ_SEED to vary it):
hostile module names (absolute paths, `..` segments, newlines, NUL, unicode, very long,
keywords, stdlib and installed names) delivered through every source of a module name,
hostile cell ids and file names. The sandbox's parent folder is snapshotted around each run.
"""

from __future__ import annotations

import keyword
import os
import random
import string
import sys

import pytest
from pktest import code, markdown, write_notebook
from promote.safety_helpers import changes, outside, snapshot
from typer.testing import CliRunner

from prodkit.cli import app

SEED = int(os.environ.get("PRODKIT_FUZZ_SEED", "20261202"))
CASES = 60
BODY = "def f():\n    return 1"
runner = CliRunner()


def _payload(target: str) -> str:
    return f"__import__('pathlib').Path({target!r}).write_text('pwned')"


def hostile_names(rng: random.Random, parent, in_source: bool) -> list[object]:
    """Candidate module names; with `in_source` the name is written into a cell's source, where
    a line break starts the cell's own code (which promote copies and imports by design)."""
    injected = "a\nvalue = 1" if in_source else f"a\n{_payload(str(parent / 'pwned'))}"
    victim = parent / "victim" / "v"
    dotted = ".".join(victim.parts[1:])
    word = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(1, 8)))
    return [
        str(victim),
        "/etc/prodkit_never",
        "../../victim/v",
        "../" * rng.randint(1, 6) + "x",
        "..a..b",
        ".." + dotted,
        "." + dotted,
        "a..b",
        ".a",
        "a.",
        "a/b",
        "a\\b",
        "C:\\temp\\x",
        injected,
        "a\x00b",
        "a\rb",
        "a\u2028b",
        "ñame_" + word,
        "ﬁle",
        "é" * rng.randint(90, 150),
        "a" * rng.randint(200, 400),
        rng.choice(keyword.kwlist),
        rng.choice(sorted(sys.stdlib_module_names)),
        rng.choice(["typer", "rich", "nbdev", "IPython", "prodkit"]) + "." + word,
        "__init__",
        "x.__main__",
        "_modidx",
        "a b",
        "",
        " ",
        "~",
        "$HOME",
        "a;b",
        'a"b',
        12,
        None,
        word,
        f"{word}.{word}_core",
    ]


def hostile_cell_id(rng: random.Random, parent, number: int) -> object:
    return rng.choice(
        [
            f"ok-{number}",
            f"x\n{_payload(str(parent / 'pwned'))}\n#",
            "x y",
            "",
            12,
            "é",
            "a" * 65,
            "#",
            "a\rb",
            "\x00",
            f"cell-{number}",
        ]
    )


def _cells(rng: random.Random, name, source: int, parent) -> tuple[list[dict], dict, str | None]:
    """(cells, notebook metadata, file name) delivering `name` through source number `source`."""
    text = name if isinstance(name, str) else str(name)
    meta: dict = {}
    if source == 0:
        cells = [code(f"%%promote {text}\n{BODY}")]
    elif source == 1:
        cells = [code(f"%%promote fuzzmod\n{BODY}"), code(f"%%promote --test {text}\nassert True")]
    elif source == 2:
        cells = [code(f"#| default_exp {text}"), code(f"#| export\n{BODY}")]
    elif source == 3:
        cells = [code(f"#| export {text}\n{BODY}")]
    elif source == 4:
        cells = [code(f"#| export: {text}\n{BODY}")]
    elif source == 5:
        cells = [code(f"%prodkit module {text}"), code(f"%%promote\n{BODY}")]
    elif source == 6:
        cells = [code(f"%%promote fuzzmeta\n{BODY}"), code("def g():\n    return 2", metadata={"nbdev": {"export": name}})]
    elif source == 7:
        cells = [code(f"#| export\n{BODY}")]
        meta = {"nbdev": {"default_exp": name}}
    else:
        cells = [code(f"%%promote\n{BODY}")]
        if isinstance(name, str) and name and "/" not in name and "\x00" not in name:
            if len(name.encode("utf-8", "surrogatepass")) < 200:
                return cells, meta, name
    if rng.random() < 0.3:
        cells.insert(0, markdown(f'# Title\n> summary"""; {_payload(str(parent / "pwned"))}; """'))
    return cells, meta, None


def _write(path, cells: list[dict], meta: dict, rng: random.Random, parent) -> None:
    for number, cell in enumerate(cells, start=1):
        cell["id"] = f"c{number}"
    if rng.random() < 0.3:  # one cell of the notebook gets a hostile id
        number = rng.randrange(len(cells))
        cells[number]["id"] = hostile_cell_id(rng, parent, number + 1)
    write_notebook(path, cells, metadata=meta)


def _promote(nb, *args):
    result = runner.invoke(app, ["promote", str(nb), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{nb.name!r}: {result.exception!r}\n{result.output}"
    )
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output, result.output
    return result


@pytest.mark.slow
@pytest.mark.filterwarnings("error::UserWarning")  # a warning would be noise beside the one error line
def test_property_hostile_names_and_metadata_never_write_outside_lib_and_tests(empty_project):
    """Generated hostile notebooks: --check changes nothing anywhere; promote changes nothing
    outside lib_path and tests_path (the sandbox is the project; its parent is watched)."""
    rng = random.Random(SEED)
    parent = empty_project.root.parent
    (parent / "victim").mkdir()
    (parent / "victim" / "v.py").write_text("# precious\n")
    allowed = [empty_project.lib_path.absolute(), empty_project.tests_path.absolute()]
    codes = []
    for case in range(CASES):
        source = rng.randrange(9)
        name = rng.choice(hostile_names(rng, parent, in_source=source < 6))
        cells, meta, file_name = _cells(rng, name, source, parent)
        nb = empty_project.nbs_path / f"{file_name or f'case_{case}'}.ipynb"
        if rng.random() < 0.1:
            nb = empty_project.nbs_path / f"odd\n{case}\t{rng.choice(['é', ' ', '#', '%%'])}.ipynb"
        _write(nb, cells, meta, rng, parent)
        label = f"case {case}: source {source}, name {name!r}, notebook {nb.name!r}"

        before = snapshot(parent)
        _promote(nb, "--check")
        assert changes(before, snapshot(parent)) == set(), f"--check wrote something ({label})"

        before = snapshot(parent)
        result = _promote(nb)
        changed = changes(before, snapshot(parent))
        assert outside(changed, empty_project.root, parent, allowed) == set(), f"{label}\n{result.output}"
        assert not (parent / "pwned").exists() and not (empty_project.root / "pwned").exists(), label
        codes.append(result.exit_code)
        nb.unlink()
    assert (parent / "victim" / "v.py").read_text() == "# precious\n"
    assert 2 in codes and 0 in codes  # the generator produced both refused and promotable notebooks
