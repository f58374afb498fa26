"""Data checks on reading and writing: downloads at run time (DATA-06), writes outside the project (DATA-07)."""

from __future__ import annotations

import ast
import re

from prodkit.readiness.context import CheckContext
from prodkit.readiness.registry import Outcome, listed, register_check

_URL = re.compile(r"^(?:https?|ftp)://", re.I)
_DOWNLOAD_CALLS = re.compile(
    r"^(?:sklearn\.datasets\.fetch_\w+|urllib\.request\.(?:urlretrieve|urlopen)|urllib\.(?:urlretrieve|urlopen)|"
    r"requests\.get|httpx\.get|wget\.download|gdown\.download|"
    r"(?:tensorflow\.)?keras\.utils\.get_file|"
    r"tensorflow_datasets\.load|kagglehub\.\w*download\w*|opendatasets\.download|"
    r"huggingface_hub\.(?:hf_hub_download|snapshot_download)|nltk\.download|"
    r"(?:tensorflow\.)?keras\.datasets\.\w+\.load_data|torch\.hub\.download_url_to_file)$")
_DOWNLOAD_TAILS = ("load_dataset", "urlretrieve", "get_file", "hf_hub_download", "snapshot_download", "untar_data",
                   "download_url", "download_data")
_SHELL_DOWNLOADERS = ("wget", "curl", "gdown", "aria2c", "kaggle")
_READ_CALL = re.compile(r"(?:^|\.)read_\w+$|(?:^|\.)(?:loadtxt|genfromtxt|imread|open_dataset)$")


# where download helpers put what they fetch: a path derived from them is outside the project
_DOWNLOAD_HOMES = {"untar_data": "~/.fastai/data", "get_file": "~/.keras/datasets", "hf_hub_download": "~/.cache",
                   "snapshot_download": "~/.cache"}


def string_constants(ctx: CheckContext) -> dict[str, str]:
    """Module-level `NAME = "text"` assignments of the notebook (the last one wins), followed through
    joins (`train = os.path.join(base, "t")`) and download helpers (`path = untar_data(URL)`)."""
    found: dict[str, str] = {}
    for f in ctx.facts:
        for node in f.statements:
            if isinstance(node, ast.Assign):
                text = leading_text(node.value, found)  # base = "/data"; train = os.path.join(base, "t")
                if text is None and isinstance(node.value, ast.Call):
                    text = _DOWNLOAD_HOMES.get(_call_name(node.value).rsplit(".", 1)[-1])
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        if text is None:
                            found.pop(target.id, None)
                        else:
                            found[target.id] = text
    return found


def leading_text(node: ast.AST | None, consts: dict[str, str]) -> str | None:
    """The text a path expression starts with, where it is known: "x.csv", f"/data/{x}", NAME,
    Path("/a") / "b", os.path.join("/a", b), "~/x"; None when unknown."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        first = node.values[0] if node.values else None
        return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
    if isinstance(node, ast.Name):
        return consts.get(node.id)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div | ast.Add):
        return leading_text(node.left, consts)
    if isinstance(node, ast.Call) and node.args:
        name = _call_name(node)
        if name.endswith(("Path", "join", "expanduser", "abspath", "PurePath", "str")):
            return leading_text(node.args[0], consts)
    return None


def _call_name(node: ast.Call) -> str:
    from prodkit.notebook.analysis import dotted_name

    return dotted_name(node.func) or ""


# ---- DATA-06 ---------------------------------------------------------------------------------


def _downloads(ctx: CheckContext) -> dict[int, set[str]]:
    consts = string_constants(ctx)
    found: dict[int, set[str]] = {}
    for f, call, resolved in ctx.calls():
        last = call.name.rsplit(".", 1)[-1]
        what = None
        if _DOWNLOAD_CALLS.match(resolved) or last in _DOWNLOAD_TAILS or \
                (last.startswith("fetch_") and resolved.startswith("sklearn.")):
            what = f"{last}()"
        elif ".datasets." in resolved and "download" in call.keywords:  # torchvision MNIST(..., download=True)
            if any(k.arg == "download" and isinstance(k.value, ast.Constant) and k.value.value is True
                   for k in call.node.keywords):
                what = f"{last}(download=True)"
        elif _READ_CALL.search(call.name) and call.node.args:
            text = leading_text(call.node.args[0], consts)
            if text and _URL.match(text):
                what = f"{last}(\"{text[:40]}{'…' if len(text) > 40 else ''}\")"
        if what:
            found.setdefault(f.cell.number, set()).add(what)
    for f, line in ctx.shell_lines:
        if line.kind == "shell" and line.name in _SHELL_DOWNLOADERS:
            if line.name != "kaggle" or "download" in line.text:
                found.setdefault(f.cell.number, set()).add(f"!{line.name}")
    return found


@register_check("DATA-06", section="Data", title="Data not downloaded at run time", severity="warn", reads_code=True,
                fix="download the data once into the project's data/ folder (or a versioned store) and read it from "
                    "there; pass its path as a parameter")
def no_runtime_downloads(ctx: CheckContext) -> Outcome:
    found = _downloads(ctx)
    if not found:
        return Outcome.ok("no data downloaded while the notebook runs")
    kinds = sorted(set().union(*found.values()))
    return Outcome.problem(f"data downloaded at run time: {listed(kinds, 4)}",
                           list(found))


# ---- DATA-07 ---------------------------------------------------------------------------------

# method or function name -> index of its path argument (keyword names below)
_WRITERS = {
    "to_csv": 0, "to_parquet": 0, "to_excel": 0, "to_json": 0, "to_pickle": 0, "to_feather": 0, "to_hdf": 0,
    "to_netcdf": 0, "to_stata": 0, "to_html": 0, "to_sql": None, "savefig": 0, "save": 0, "save_model": 0,
    "save_weights": 0, "save_pretrained": 0, "write_text": None, "write_bytes": None, "imwrite": 0, "imsave": 0,
    "savez": 0, "savez_compressed": 0, "savetxt": 0, "dump": 1, "write_image": 0, "write_html": 0,
    "copy": 1, "copyfile": 1, "copy2": 1, "copytree": 1, "move": 1, "makedirs": 0, "mkdir": None, "rmtree": 0,
    "remove": 0, "unlink": None,
}
_PATH_KEYWORDS = ("path", "path_or_buf", "fname", "filename", "file", "f", "filepath", "save_directory", "dst",
                  "excel_writer", "file_name")
_OUTSIDE = re.compile(r"^(?:/|~|[A-Za-z]:[\\/]|\\\\|\.\.(?:[\\/]|$))|[\\/]\.\.(?:[\\/]|$)")
_HARMLESS = ("/dev/null", "/dev/stdout", "/dev/stderr")
_SHELL_WRITE = re.compile(r"(?:>>?|\btee(?:\s+-a)?|^(?:mkdir|cp|mv|touch)\b.*?)\s+((?:/(?!dev/)|~|\.\./)\S*)")


def _path_argument(call, last: str, resolved: str) -> ast.AST | None:
    """The argument of a writer call that names where it writes."""
    node = call.node
    for k in node.keywords:
        if k.arg in _PATH_KEYWORDS:
            return k.value
    if resolved.startswith(("os.", "shutil.")) and node.args:
        index = 1 if last in ("copy", "copyfile", "copy2", "copytree", "move") else 0
        return node.args[index] if index < len(node.args) else None
    if last in ("write_text", "write_bytes", "mkdir", "unlink") and isinstance(node.func, ast.Attribute):
        return node.func.value  # Path("/x").write_text(...)
    index = 1 if resolved in ("torch.save", "joblib.dump", "pickle.dump") else _WRITERS.get(last)
    if index is None or index >= len(node.args):
        return None
    return node.args[index]


def _opened_for_writing(call) -> bool:
    node = call.node
    mode = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "mode"), None)
    return isinstance(mode, ast.Constant) and isinstance(mode.value, str) and any(m in mode.value for m in "wax+")


def _outside_writes(ctx: CheckContext) -> dict[int, set[str]]:
    consts = string_constants(ctx)
    found: dict[int, set[str]] = {}
    for f, call, resolved in ctx.calls():
        last = call.name.rsplit(".", 1)[-1]
        if call.name in ("open", "io.open", "codecs.open") or resolved in ("io.open", "codecs.open"):
            target = call.node.args[0] if call.node.args and _opened_for_writing(call) else None
        elif last in _WRITERS or resolved in ("torch.save", "joblib.dump", "numpy.save"):
            if last == "save" and resolved not in ("torch.save", "numpy.save") and not call.node.args:
                continue
            if last == "dump" and not resolved.startswith(("joblib.", "pickle.", "json.", "yaml.", "cloudpickle.")):
                continue
            target = _path_argument(call, last, resolved)
        else:
            continue
        found_text = _outside(leading_text(target, consts), ctx)
        if found_text:
            found.setdefault(f.cell.number, set()).add(f"{last}(\"{found_text[:40]}\")")
    for f, line in ctx.shell_lines:  # `!echo ... > /etc/x`, `!mkdir ~/.kaggle`, `!cp a /abs/b`
        if line.kind == "shell" and (m := _SHELL_WRITE.search(line.command)):
            found.setdefault(f.cell.number, set()).add(f"!{line.name} … {m.group(1)[:40]}")
    for f, call, resolved in ctx.calls():  # a dataset downloaded into a root outside the project
        if resolved.startswith("torchvision.datasets.") and "download" in call.keywords:
            root = next((k.value for k in call.node.keywords if k.arg == "root"),
                        call.node.args[0] if call.node.args else None)
            if text := _outside(leading_text(root, consts), ctx):
                found.setdefault(f.cell.number, set()).add(f"{call.name.rsplit('.', 1)[-1]}(root=\"{text[:40]}\")")
    return found


def _outside(text: str | None, ctx: CheckContext) -> str | None:
    """`text` when it is a path outside the project (absolute, `~`, or `..` that climbs out of the project
    from the notebook's folder: `../data/x.csv` from nbs/ is the project's own data/), else None."""
    if not text or not _OUTSIDE.search(text.strip()) or text.startswith(_HARMLESS) or "\n" in text:
        return None
    stripped = text.strip()
    if not stripped.startswith(("/", "~", "\\")) and not re.match(r"^[A-Za-z]:[\\/]", stripped):
        import os

        target = os.path.normpath(os.path.join(str(ctx.notebook_path.parent), stripped))
        root = os.path.normpath(str(ctx.project.root))
        if target == root or target.startswith(root + os.sep):
            return None
    return text


@register_check("DATA-07", section="Data", title="No writes outside the project", reads_code=True,
                fix="write under the project (Path('outputs') / 'x.csv'), or take the output folder as a parameter")
def no_outside_writes(ctx: CheckContext) -> Outcome:
    found = _outside_writes(ctx)
    if not found:
        return Outcome.ok("no writes to absolute, home or parent-folder paths")
    kinds = sorted(set().union(*found.values()))
    return Outcome.problem(f"writes outside the project: {listed(kinds, 4)}", list(found))
