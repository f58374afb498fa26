"""Reading a notebook file: any nbformat, each cell validated, bad input one line naming file and cell.

nbformat 4 is read as plain JSON (10x faster than nbformat). Older formats (3 and before) are
converted with nbformat's own converter, imported only then, and the notebook carries a note.

`keep_parsed()` (the side panel's worker processes) makes `read_notebook` return the same
`Notebook` for the same file content: the file is read each time and its bytes hashed, so a
changed file is never served from memory, and each cell is parsed once per content, not once per
reader. Callers treat a `Notebook` as read-only.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from pathlib import Path
from typing import Any

from prodkit.errors import BadInput

CELL_TYPES = ("code", "markdown", "raw")

_parsed: OrderedDict[tuple[str, bytes], Any] | None = None  # (resolved path, content hash) -> Notebook
_parsed_max = 0


def keep_parsed(max_notebooks: int = 64) -> None:
    """From now on, in this process, reuse the `Notebook` read from identical file content (LRU of
    `max_notebooks`; 0 stops it)."""
    global _parsed, _parsed_max
    _parsed, _parsed_max = (OrderedDict() if max_notebooks > 0 else None), max_notebooks


def read_notebook(path: Path | str):
    """Read and validate a notebook file; bad input raises BadInput naming the file (and cell)."""
    path = Path(path)
    if not path.is_file():
        raise BadInput("no such notebook", path=str(path), fix="check the path")
    if _parsed is None:
        return _parse_notebook(path, path.read_bytes())
    data = path.read_bytes()
    key = (str(path.resolve()), hashlib.blake2b(data, digest_size=16).digest())
    if key in _parsed:
        _parsed.move_to_end(key)
        return _parsed[key]
    notebook = _parse_notebook(path, data)
    _parsed[key] = notebook
    if len(_parsed) > _parsed_max:
        _parsed.popitem(last=False)
    return notebook


def _parse_notebook(path: Path, data: bytes):
    from prodkit.notebook import Notebook

    raw = _load_json(path, data)
    notes: list[str] = []
    version = raw.get("nbformat")
    if isinstance(version, int) and version < 4:
        raw = _upgrade(raw, path)
        notes.append(f"nbformat {version} notebook, read converted to nbformat 4 (the file is unchanged)")
    elif not isinstance(version, int):
        raise BadInput(f"not a Jupyter notebook (nbformat is {version!r})", path=str(path),
                       fix="pass a .ipynb file")
    if not isinstance(raw.get("cells"), list):
        raise BadInput("not a Jupyter notebook (no 'cells' list)", path=str(path), fix="pass a .ipynb file")
    cells = [_cell(path, number, c) for number, c in enumerate(raw["cells"], start=1)]
    metadata = raw.get("metadata")
    return Notebook(path=path.resolve(), cells=cells, metadata=metadata if isinstance(metadata, dict) else {},
                    nbformat=raw.get("nbformat", 4), raw=raw, notes=notes)


def _load_json(path: Path, data: bytes) -> dict[str, Any]:
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadInput("not a notebook (not UTF-8 text)", path=str(path), fix="pass a .ipynb file") from None
    except json.JSONDecodeError as e:
        raise BadInput(
            f"not valid JSON (line {e.lineno}, column {e.colno}): {e.msg}",
            path=str(path),
            fix="open it in Jupyter and save it again, or restore it from git",
        ) from None
    except RecursionError:
        raise BadInput("not a notebook (JSON nested too deeply)", path=str(path), fix="pass a .ipynb file") from None
    if not isinstance(raw, dict):
        raise BadInput("not a Jupyter notebook (not a JSON object)", path=str(path), fix="pass a .ipynb file")
    return raw


def _upgrade(raw: dict[str, Any], path: Path) -> dict[str, Any]:
    """An nbformat < 4 notebook as nbformat 4 JSON, by nbformat's converter."""
    if raw.get("nbformat") == 3 and not isinstance(raw.get("worksheets"), list):
        raise BadInput("not a Jupyter notebook (nbformat 3 without a 'worksheets' list)", path=str(path),
                       fix="pass a .ipynb file")
    nbformat = _import_nbformat()
    try:
        converted = nbformat.reads(json.dumps(raw), as_version=4)  # nbformat's reader + converter
        return json.loads(json.dumps(converted))
    except Exception as e:  # nbformat raises many kinds for broken old notebooks
        raise BadInput(f"nbformat {raw.get('nbformat')} notebook that cannot be converted: "
                       f"{e.__class__.__name__}: {str(e)[:120]}", path=str(path),
                       fix="open it in Jupyter and save it again (that upgrades it)") from None


def _import_nbformat():
    """nbformat, without the 1-2 s jsonschema spends building rfc3987_syntax's IRI grammars on import.

    nbformat imports jsonschema, whose optional `iri` format checker imports rfc3987_syntax when
    it is installed (Jupyter's extras install it), and that builds Lark grammars at import time:
    measured 0.9-2.3 s here, against 0.15 s for nbformat without it. Converting an old notebook
    needs no format checks, so when jsonschema is not loaded yet it loads without that checker
    (the `iri` format then falls back to the `rfc3987` package, or is not checked, in this process).
    """
    import sys

    if "jsonschema" in sys.modules or "rfc3987_syntax" in sys.modules:
        import nbformat

        return nbformat
    sys.modules["rfc3987_syntax"] = None  # an import of it raises ImportError, which jsonschema tolerates
    try:
        import nbformat
    finally:
        del sys.modules["rfc3987_syntax"]
    return nbformat


def _bad_cell(path: Path, number: int, what: str) -> BadInput:
    return BadInput(f"malformed cell: {what}", path=str(path), cell=number,
                    fix="open it in Jupyter and save it again, or fix that cell in the JSON")


def _cell(path: Path, number: int, c: Any):
    from prodkit.notebook import Cell, source_text

    if not isinstance(c, dict) or not isinstance(c.get("cell_type"), str):
        raise _bad_cell(path, number, "no cell_type")
    source = c.get("source")
    if isinstance(source, list) and not all(isinstance(s, str) for s in source):
        raise _bad_cell(path, number, "'source' is a list with something other than text in it")
    if source is not None and not isinstance(source, str | list):
        raise _bad_cell(path, number, f"'source' is a {type(source).__name__}, not text")
    text = source_text(source)
    _check_text(path, number, text, "source")
    outputs = c.get("outputs") if c.get("outputs") is not None else []
    if not isinstance(outputs, list) or not all(isinstance(o, dict) for o in outputs):
        raise _bad_cell(path, number, "'outputs' is not a list of outputs")
    metadata = c.get("metadata") if c.get("metadata") is not None else {}
    if not isinstance(metadata, dict):
        raise _bad_cell(path, number, "'metadata' is not an object")
    tags = metadata.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise _bad_cell(path, number, "'metadata.tags' is not a list of text")
    count = c.get("execution_count")
    if count is not None and (not isinstance(count, int) or isinstance(count, bool)):
        raise _bad_cell(path, number, "'execution_count' is not a number")
    cell_id = c.get("id")
    return Cell(number=number, cell_type=c["cell_type"], source=text, id=cell_id if isinstance(cell_id, str) else None,
                execution_count=count, outputs=outputs, metadata=metadata)


def _check_text(path: Path, number: int, text: str, what: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise _bad_cell(path, number, f"{what} holds a lone surrogate character at position {e.start} "
                                      f"(not valid Unicode)") from None


def notebook_paths(path: Path | str) -> list[Path]:
    """`path` itself, or the notebooks under a folder (checkpoints and hidden folders skipped)."""
    path = Path(path)
    if path.is_dir():
        found = sorted(
            p
            for p in path.rglob("*.ipynb")
            if not any(
                part.startswith(".") or part == "__pycache__" for part in p.relative_to(path).parts[:-1]
            )
        )
        if not found:
            raise BadInput(
                "no notebooks in this folder", path=str(path), fix="pass a .ipynb file or a folder with some"
            )
        return found
    if path.suffix != ".ipynb" and path.exists():
        raise BadInput(
            "not a notebook (expected a .ipynb file)", path=str(path), fix="pass a .ipynb file or a folder"
        )
    if not path.exists():
        raise BadInput("no such file or folder", path=str(path), fix="check the path")
    return [path]
