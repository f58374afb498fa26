"""Readiness checks vs pynblint and `nbqa ruff`: generated notebooks and 150 real ones.

    .venv/bin/python benchmarks/bench_readiness.py [--quick] [--real-only]

Generated notebooks (50/200/500 cells): prodkit in-process (first call in a fresh process and
warm) and as the `prodkit check` CLI. Real notebooks: the 70 labelled ones of
tests/readiness/realnb plus benchmarks/data/realnb-extra.tar.xz (85 more, see
benchmarks/data/SOURCES.md), the first 150 by name in one `prodkit init` project, checked as a
folder with `prodkit check nbs --static --json` in a fresh process (target <= 3 s), and the first
check of one real notebook in a fresh process (target <= 0.3 s). The peers run as their CLIs
from benchmarks/.peers/venv (created on first use: pynblint pins old typer/click that conflict
with ours). Writes benchmarks/results/readiness.json.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEERS = HERE / ".peers" / "venv"
RESULTS = HERE / "results" / "readiness.json"
CORPUS = HERE.parent / "tests" / "readiness" / "realnb" / "notebooks"
EXTRA = HERE / "data" / "realnb-extra.tar.xz"
REAL_COUNT = 150
# first check in a fresh process: a typical sklearn chapter (66 cells, 217 KB), the largest notebook
# (229 cells, 1.3 MB) and an nbdev library notebook
REAL_ONES = ("hom2__06_decision_trees.ipynb", "hom2__02_end_to_end_machine_learning_project.ipynb",
             "nbdev__01_config.ipynb")
TARGETS = {"folder_150_static_cli_s": 3.0, "first_check_s": 0.3}
PYPROJECT = """[project]
name = "bench"
version = "0.0.1"
dependencies = ["numpy>=1.26", "pandas>=2.1,<3", "scikit-learn>=1.4"]

[tool.nbdev]
lib_path = "src"
nbs_path = "nbs"
update_pyproject = false
"""


def make_notebook(n_cells: int, seed: int = 0) -> dict:
    """A PoC-like notebook: imports, data, features, plots (PNG), tables (HTML), prints, markdown."""
    rnd = random.Random(seed)
    png = base64.b64encode(bytes(rnd.randrange(256) for _ in range(30_000))).decode()
    html_table = "<table>" + "".join(f"<tr><td>{i}</td><td>{rnd.random():.4f}</td><td>{rnd.choice('abc')}</td></tr>"
                                     for i in range(50)) + "</table>"
    cells = [{"cell_type": "code", "source": "import numpy as np\nimport pandas as pd\nimport random\n"
              "from sklearn.model_selection import train_test_split\nfrom sklearn.linear_model import LogisticRegression\n"
              "np.random.seed(0)\nrandom.seed(0)", "outputs": [], "metadata": {}},
             {"cell_type": "code", "source": "%%promote --params\nthreshold = 0.5\nrun_date = '2026-01-01'",
              "outputs": [], "metadata": {}},
             {"cell_type": "code", "source": "%%promote bench.features\nimport numpy as np\n\n\n"
              "def scale(x):\n    return (x - np.mean(x)) / np.std(x)\n", "outputs": [], "metadata": {}},
             {"cell_type": "code", "source": "%%promote --test bench.features\nassert abs(scale(np.arange(5)).mean()) < 1e-9",
              "outputs": [], "metadata": {}}]
    kinds = ["md", "table", "plot", "print", "train", "feature"]
    while len(cells) < n_cells:
        kind = rnd.choice(kinds)
        i = len(cells)
        if kind == "md":
            cells.append({"cell_type": "markdown", "source": f"## Step {i}\nLook at the data again.", "metadata": {}})
            continue
        if kind == "table":
            src = f"df{i} = pd.DataFrame(np.random.rand(50, 2), columns=['a', 'b'])\ndf{i}.head(50)"
            outputs = [{"output_type": "execute_result", "execution_count": None, "metadata": {},
                        "data": {"text/html": html_table, "text/plain": "    a    b\n0  0.1  0.2\n" * 25}}]
        elif kind == "plot":
            src = f"import matplotlib.pyplot as plt\nplt.plot(np.random.rand(100))\nplt.title('plot {i}')"
            outputs = [{"output_type": "display_data", "metadata": {},
                        "data": {"image/png": png, "text/plain": "<Figure size 640x480 with 1 Axes>"}}]
        elif kind == "print":
            src = "for epoch in range(20):\n    print(f'epoch {epoch} loss {0.5 / (epoch + 1):.4f}')"
            outputs = [{"output_type": "stream", "name": "stdout",
                        "text": "".join(f"epoch {e} loss {0.5 / (e + 1):.4f}\n" for e in range(20))}]
        elif kind == "train":
            src = (f"X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=0)\n"
                   f"clf{i} = LogisticRegression(max_iter=200).fit(X_tr, y_tr)\nscore{i} = clf{i}.score(X_te, y_te)\nscore{i}")
            outputs = [{"output_type": "execute_result", "execution_count": None, "metadata": {},
                        "data": {"text/plain": f"{rnd.random():.4f}"}}]
        else:
            src = f"def feature_{i}(df):\n    out = df.copy()\n    out['r'] = out.a / (out.b + 1)\n    return out\n"
            outputs = []
        cells.append({"cell_type": "code", "source": src, "outputs": outputs, "metadata": {}})
    count = 0
    for cell in cells:
        if cell["cell_type"] == "code":
            count += 1
            cell["execution_count"] = count
            for o in cell.get("outputs", []):
                if o["output_type"] == "execute_result":
                    o["execution_count"] = count
    return {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                         "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def ensure_peers() -> Path | None:
    """The peers' venv (pynblint, nbqa, ruff), created once; None when it cannot be installed."""
    if (PEERS / "bin" / "pynblint").exists() and (PEERS / "bin" / "nbqa").exists():
        return PEERS
    print("creating benchmarks/.peers/venv with pynblint, nbqa and ruff (once) …", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
        subprocess.run([str(PEERS / "bin" / "pip"), "install", "-q", "pynblint", "nbqa", "ruff", "click<8.2"],
                       check=True)
    except subprocess.CalledProcessError:
        return None
    return PEERS


def wall(cmd: list[str], cwd: Path, repeats: int, timeout: float | None = None) -> tuple[float, int]:
    return _wall(cmd, cwd, repeats, timeout)[:2]


def _wall(cmd: list[str], cwd: Path, repeats: int, timeout: float | None = None) -> tuple[float, int, str]:
    """Median wall seconds, the last exit code and the last stdout (exit 124 and the timeout on a timeout)."""
    times, code, stdout = [], 0, ""
    for _ in range(repeats):
        started = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                                  input="y\n" * 5, env={**os.environ, "NO_COLOR": "1"})
        except subprocess.TimeoutExpired:
            return float(timeout or 0), 124, ""
        times.append(time.perf_counter() - started)
        code, stdout = proc.returncode, proc.stdout
        if code not in (0, 1):
            stdout += proc.stderr
    return statistics.median(times), code, stdout


FIRST_CALL = """
import sys, time, json
started = time.perf_counter()
from prodkit.readiness import check_notebook
imported = time.perf_counter()
r = check_notebook(sys.argv[1], static=len(sys.argv) > 2)
done = time.perf_counter()
print(json.dumps({"import_s": imported - started, "first_check_s": done - imported,
                  "score": getattr(r, "score", None)}))
"""

IN_PROCESS_FOLDER = """
import sys, time, json
from pathlib import Path
started = time.perf_counter()
from prodkit.readiness import check_notebook
errors = {}
for p in sorted(Path(sys.argv[1]).glob("*.ipynb")):
    try:
        check_notebook(p, static=True)
    except Exception as e:
        errors[p.name] = f"{e.__class__.__name__}: {str(e)[:120]}"
seconds = time.perf_counter() - started
per_check = {}
try:  # where the time goes: each check's function summed over the folder (internal API, best effort)
    from prodkit.config import load_project
    from prodkit.notebook import read_notebook
    from prodkit.readiness.context import CheckContext
    from prodkit.readiness.registry import all_checks
    project = load_project(Path(sys.argv[1]))
    for p in sorted(Path(sys.argv[1]).glob("*.ipynb")):
        if p.name in errors:
            continue
        ctx = CheckContext(read_notebook(p), project)
        for spec in all_checks():
            if spec.reads_state:
                continue
            t = time.perf_counter()
            try:
                spec.fn(ctx)
            except Exception:
                pass
            per_check[spec.id] = per_check.get(spec.id, 0.0) + time.perf_counter() - t
except Exception as e:
    per_check = {"unavailable": str(e)[:120]}
print(json.dumps({"seconds": seconds, "errors": errors, "per_check_s": per_check}))
"""


def bench_size(n_cells: int, repeats: int, peers: Path | None, workdir: Path) -> dict:
    from prodkit.config import init_project
    from prodkit.promote import promote
    from prodkit.readiness import check_notebook

    root = workdir / f"nb{n_cells}"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT)
    init_project(root)
    nb = root / "nbs" / f"poc_{n_cells}.ipynb"
    nb.write_text(json.dumps(make_notebook(n_cells)))
    promote(nb, import_check=False)
    size_mb = nb.stat().st_size / 2**20

    first = json.loads(subprocess.run([sys.executable, "-c", FIRST_CALL, str(nb)], capture_output=True, text=True,
                                      check=True).stdout)
    warm = []
    for _ in range(max(repeats, 3)):
        started = time.perf_counter()
        result = check_notebook(nb)
        warm.append(time.perf_counter() - started)
    per_check = {}
    from prodkit.config import load_project
    from prodkit.notebook import read_notebook
    from prodkit.readiness.context import CheckContext
    from prodkit.readiness.registry import all_checks

    ctx = CheckContext(read_notebook(nb), load_project(root))
    for spec in all_checks():
        started = time.perf_counter()
        spec.fn(ctx)
        per_check[spec.id] = round(time.perf_counter() - started, 4)

    row = {"cells": n_cells, "file_mb": round(size_mb, 2), "score": result.score,
           "prodkit_first_call_s": round(first["first_check_s"], 3), "prodkit_import_s": round(first["import_s"], 3),
           "prodkit_warm_s": round(statistics.median(warm), 3), "slowest_checks": dict(
               sorted(per_check.items(), key=lambda kv: -kv[1])[:4])}
    cli = [sys.executable, "-m", "prodkit.cli", "check", str(nb), "--json", "--fail-under", "0"]
    row["prodkit_cli_s"], _ = wall(cli, root, repeats)
    if peers is not None:
        row["pynblint_cli_s"], row["pynblint_exit"] = wall([str(peers / "bin" / "pynblint"), str(nb), "-y"],
                                                           root, repeats)
        row["nbqa_ruff_cli_s"], row["nbqa_ruff_exit"] = wall([str(peers / "bin" / "nbqa"), "ruff", str(nb)],
                                                             root, repeats)
        row["pynblint_over_prodkit"] = round(row["pynblint_cli_s"] / row["prodkit_cli_s"], 2)
        row["nbqa_ruff_over_prodkit"] = round(row["nbqa_ruff_cli_s"] / row["prodkit_cli_s"], 2)
    return row


def real_project(workdir: Path) -> tuple[Path, list[Path]]:
    """A `prodkit init` project whose nbs/ holds the first 150 (by name) real notebooks."""
    import tarfile

    from prodkit.config import init_project

    root = workdir / "real"
    nbs = root / "nbs"
    nbs.mkdir(parents=True)
    with tarfile.open(EXTRA) as tar:
        tar.extractall(nbs, filter="data")
    for p in CORPUS.glob("*.ipynb"):
        shutil.copyfile(p, nbs / p.name)
    paths = sorted(nbs.glob("*.ipynb"))
    for extra in paths[REAL_COUNT:]:
        extra.unlink()
    init_project(root)
    return root, paths[:REAL_COUNT]


def _checked(stdout: str) -> int | None:
    try:
        data = json.loads(stdout)
    except ValueError:
        return None
    return len(data) if isinstance(data, list) else 1


def bench_real(repeats: int, peers: Path | None, workdir: Path) -> dict:
    """150 real notebooks as one folder (fresh process each run), and one real notebook's first check."""
    root, paths = real_project(workdir)
    row: dict = {"notebooks": len(paths), "mb": round(sum(p.stat().st_size for p in paths) / 2**20, 1),
                 "cpus": os.cpu_count()}
    cli = [sys.executable, "-m", "prodkit.cli", "check", "nbs", "--static", "--json", "--fail-under", "0"]
    seconds, code, stdout = _wall(cli, root, repeats, timeout=600)
    row |= {"prodkit_folder_cli_s": round(seconds, 2), "prodkit_folder_cli_exit": code,
            "prodkit_folder_checked": _checked(stdout)}
    if row["prodkit_folder_checked"] != len(paths):
        row["prodkit_folder_cli_error"] = stdout.strip().splitlines()[-1][:300] if stdout.strip() else ""
    loop = json.loads(subprocess.run([sys.executable, "-c", IN_PROCESS_FOLDER, str(root / "nbs")], cwd=root,
                                     capture_output=True, text=True, check=True).stdout)
    row |= {"prodkit_folder_in_process_s": round(loop["seconds"], 2), "prodkit_in_process_errors": loop["errors"],
            "slowest_checks_s": dict(sorted(((k, round(v, 3)) for k, v in loop["per_check_s"].items()
                                             if isinstance(v, float)), key=lambda kv: -kv[1])[:6])}
    row["first_check"] = {name: first_check(root, name, repeats) for name in REAL_ONES}
    row["prodkit_first_check_s"] = max(f["first_check_s"] for f in row["first_check"].values())
    if peers is not None:
        row["pynblint_folder_s"], row["pynblint_exit"] = wall(
            [str(peers / "bin" / "pynblint"), "nbs", "-y", "-o", str(workdir / "pynblint.json")], root, 1, timeout=600)
        row["nbqa_ruff_folder_s"], row["nbqa_ruff_exit"] = wall([str(peers / "bin" / "nbqa"), "ruff", "nbs"], root,
                                                                repeats, timeout=600)
        complete = row["prodkit_folder_checked"] == len(paths)
        for peer in ("pynblint", "nbqa_ruff"):
            row[f"{peer}_folder_s"] = round(row[f"{peer}_folder_s"], 2)
            row[f"{peer}_over_prodkit"] = round(row[f"{peer}_folder_s"] / row["prodkit_folder_cli_s"], 2) \
                if complete else None  # no ratio against a run that stopped early
            row[f"{peer}_over_prodkit_in_process"] = round(row[f"{peer}_folder_s"] / row["prodkit_folder_in_process_s"], 2)
    row["meets_targets"] = {"folder_150_static_cli_s": row["prodkit_folder_cli_s"] <= TARGETS["folder_150_static_cli_s"]
                            and row["prodkit_folder_checked"] == len(paths),
                            "first_check_s": row["prodkit_first_check_s"] <= TARGETS["first_check_s"]}
    return row


def first_check(root: Path, name: str, repeats: int) -> dict:
    """Median seconds of the first static check of one notebook in a fresh process, and of the CLI on it."""
    runs = [json.loads(subprocess.run([sys.executable, "-c", FIRST_CALL, f"nbs/{name}", "static"], cwd=root,
                                      capture_output=True, text=True, check=True).stdout)
            for _ in range(max(repeats, 3))]
    cli = [sys.executable, "-m", "prodkit.cli", "check", f"nbs/{name}", "--static", "--json", "--fail-under", "0"]
    return {"first_check_s": round(statistics.median(r["first_check_s"] for r in runs), 3),
            "import_s": round(statistics.median(r["import_s"] for r in runs), 3),
            "cli_s": round(wall(cli, root, repeats)[0], 3)}


def print_real(r: dict) -> None:
    print(f"\nreal notebooks: {r['notebooks']} ({r['mb']} MB), {r['cpus']} CPUs")
    checked = r["prodkit_folder_checked"]
    print(f"  prodkit check nbs --static --json   {r['prodkit_folder_cli_s']:>6.2f} s  exit {r['prodkit_folder_cli_exit']}, "
          f"{checked if checked is not None else 'no'} results (target <= {TARGETS['folder_150_static_cli_s']} s)")
    if r.get("prodkit_folder_cli_error"):
        print(f"    {r['prodkit_folder_cli_error']}")
    print(f"  same 150, one process, per notebook  {r['prodkit_folder_in_process_s']:>6.2f} s  "
          f"({len(r['prodkit_in_process_errors'])} could not be checked)")
    print(f"  slowest checks over the folder (s): {r['slowest_checks_s']}")
    for name, f in r["first_check"].items():
        print(f"  first check, fresh process: {f['first_check_s']:.3f} s after a {f['import_s']:.3f} s import, "
              f"CLI {f['cli_s']:.2f} s  {name} (target <= {TARGETS['first_check_s']} s)")
    for peer, label in (("pynblint", "pynblint nbs"), ("nbqa_ruff", "nbqa ruff nbs")):
        if f"{peer}_folder_s" in r:
            ratio = r[f"{peer}_over_prodkit"]
            vs = f"{ratio}x the prodkit CLI" if ratio is not None else \
                f"{r[f'{peer}_over_prodkit_in_process']}x prodkit in one process"
            print(f"  {label:<36}{r[f'{peer}_folder_s']:>6.2f} s  exit {r[f'{peer}_exit']}  ({vs})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repeat, 200 cells only")
    parser.add_argument("--real-only", action="store_true", help="only the 150 real notebooks")
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else 3
    sizes = [] if args.real_only else [200] if args.quick else [50, 200, 500]
    peers = ensure_peers()
    workdir = Path(tempfile.mkdtemp(prefix="prodkit-bench-readiness-"))
    try:
        rows = [bench_size(n, repeats, peers, workdir) for n in sizes]
        real = bench_real(repeats, peers, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    header = (f"{'cells':>5} {'MB':>5} {'first':>7} {'warm':>7} {'cli':>7} {'pynblint':>9} {'nbqa ruff':>10} "
              f"{'pynb/pk':>8} {'nbqa/pk':>8}")
    print(header)
    for r in rows:
        print(f"{r['cells']:>5} {r['file_mb']:>5} {r['prodkit_first_call_s']:>6.3f}s {r['prodkit_warm_s']:>6.3f}s "
              f"{r['prodkit_cli_s']:>6.2f}s {r.get('pynblint_cli_s', float('nan')):>8.2f}s "
              f"{r.get('nbqa_ruff_cli_s', float('nan')):>9.2f}s {r.get('pynblint_over_prodkit', float('nan')):>8} "
              f"{r.get('nbqa_ruff_over_prodkit', float('nan')):>8}")
    print("first = all static checks, first call in a fresh process (lazy imports included, `import prodkit.readiness`"
          " excluded); warm = repeated in-process; cli = `prodkit check --json` wall incl. interpreter start.")
    print_real(real)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"benchmark": "readiness", "rows": rows, "real": real, "targets": TARGETS,
                                   "python": sys.version.split()[0], "cpus": os.cpu_count()}, indent=2))
    print(f"wrote {RESULTS.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
