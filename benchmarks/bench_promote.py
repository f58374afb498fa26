"""prodkit promote vs nbdev-export on a generated 200-cell notebook (50 exported cells),
and the import cost of `import prodkit` / `%load_ext prodkit`.

Both commands run as the console scripts they are, alternating, so drift in machine load hits
both; the ratio is the median of the per-pair ratios (min-max spread and raw seconds are in the
JSON), and each side's CPU seconds (the process and its children: prodkit's import check) are
reported too, as they are steadier than wall time on a shared machine. Target (issue 15): first
write <= 1.0x nbdev-export while doing more (hidden-state analysis, secrets refusal, hand-edit
detection, pytest files, the import check).

Run: .venv/bin/python benchmarks/bench_promote.py [--quick]
Writes benchmarks/results/promote.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
RESULTS = Path(__file__).parent / "results"


def _cells(kind: str, n_cells: int = 200, n_exported: int = 50, n_tests: int = 10) -> list[dict]:
    cells = []
    every = n_cells // n_exported
    for i in range(n_cells):
        if i % every == 0 and i // every < n_exported:
            body = f'def feature_{i}(x):\n    """Feature {i}."""\n    return x * {i} + len(str(x))\n'
            head = "%%promote bench.features\n" if kind == "prodkit" else "#| export\n"
            cells.append(head + body)
        elif kind == "prodkit" and i % every == 1 and i // every < n_tests:
            cells.append(f"%%promote --test bench.features\nassert feature_{i - 1}(1) == {i}\n")
        else:
            cells.append(f"x_{i} = {i} * 2\nprint(x_{i})\n")
    if kind == "nbdev":
        cells.insert(0, "#| default_exp bench.features\n")
    return cells


def _notebook(path: Path, sources: list[str]) -> None:
    cells = [
        {
            "cell_type": "code",
            "id": f"c{i:03d}",
            "metadata": {},
            "execution_count": i + 1,
            "outputs": [{"output_type": "stream", "name": "stdout", "text": [f"{i}\n"]}],
            "source": s,
        }
        for i, s in enumerate(sources)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "cells": cells,
                "nbformat": 4,
                "nbformat_minor": 5,
                "metadata": {
                    "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}
                },
            }
        )
    )


def _project(root: Path, kind: str) -> Path:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "bench-{kind}"\nversion = "0.0.1"\n\n[tool.nbdev]\nlib_path = "src"\n'
        'nbs_path = "nbs"\nupdate_pyproject = false\n'
    )
    nb = root / "nbs" / "bench.ipynb"
    _notebook(nb, _cells(kind))
    return nb


# Both tools run with bytecode caching on, as installed packages do (pip precompiles nbdev; an
# editable prodkit gets its .pyc on first import). Some machines export PYTHONDONTWRITEBYTECODE=1,
# which would make prodkit alone recompile its sources on every run.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _timed(cmd: list[str], cwd: Path, clean: list[Path], cpu: list[float] | None = None) -> float:
    """Wall seconds of one run; its CPU seconds (with its subprocesses) appended to `cpu`."""
    for path in clean:
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True, exist_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, env=ENV)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu is not None:
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return wall


def _ratios(mine: list[float], peer: list[float]) -> dict:
    pairs = [a / b for a, b in zip(mine, peer, strict=True)]
    return {"median": statistics.median(pairs), "min": min(pairs), "max": max(pairs), "pairs": pairs}


def bench_export(repeats: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pk_nb, nbdev_nb = _project(tmp / "pk", "prodkit"), _project(tmp / "nbdev", "nbdev")
        pk_cmd = [str(BIN / "prodkit"), "promote", str(pk_nb)]
        nbdev_cmd = [str(BIN / "nbdev-export"), "--path", str(nbdev_nb)]
        pk_clean = [tmp / "pk" / "src", tmp / "pk" / "tests"]
        _timed(pk_cmd, tmp / "pk", pk_clean)  # warm the file cache for both
        _timed(nbdev_cmd, tmp / "nbdev", [tmp / "nbdev" / "src"])
        pk, nbdev, pk_cpu, nbdev_cpu = [], [], [], []
        for _ in range(repeats):  # interleaved, so drift in machine load hits both
            pk.append(_timed(pk_cmd, tmp / "pk", pk_clean, pk_cpu))
            nbdev.append(_timed(nbdev_cmd, tmp / "nbdev", [tmp / "nbdev" / "src"], nbdev_cpu))
        written = sorted(str(p.relative_to(tmp / "pk")) for p in (tmp / "pk").rglob("*.py"))
        warm_pk, warm_nbdev = [], []
        for _ in range(repeats):  # unchanged notebook, outputs kept: the pre-commit / CI case
            warm_pk.append(_timed(pk_cmd, tmp / "pk", []))
            warm_nbdev.append(_timed(nbdev_cmd, tmp / "nbdev", []))
    cold, warm = _ratios(pk, nbdev), _ratios(warm_pk, warm_nbdev)
    return {
        "prodkit_median_s": statistics.median(pk),
        "nbdev_median_s": statistics.median(nbdev),
        "ratio": cold["median"],
        "ratio_spread": [cold["min"], cold["max"]],
        "prodkit_cpu_median_s": statistics.median(pk_cpu),
        "nbdev_cpu_median_s": statistics.median(nbdev_cpu),
        "cpu_ratio": statistics.median(pk_cpu) / statistics.median(nbdev_cpu),
        "raw": {"prodkit_s": pk, "nbdev_s": nbdev, "prodkit_cpu_s": pk_cpu, "nbdev_cpu_s": nbdev_cpu},
        "warm_prodkit_median_s": statistics.median(warm_pk),
        "warm_nbdev_median_s": statistics.median(warm_nbdev),
        "warm_ratio": warm["median"],
        "warm_ratio_spread": [warm["min"], warm["max"]],
        "warm_raw": {"prodkit_s": warm_pk, "nbdev_s": warm_nbdev},
        "repeats": repeats,
        "prodkit_writes": written,
    }


_IMPORT = "import time; t = time.perf_counter(); import prodkit; print(time.perf_counter() - t)"
_LOAD_EXT = (
    "from IPython.testing.globalipapp import start_ipython; import time; ip = start_ipython(); "
    "t = time.perf_counter(); ip.run_line_magic('load_ext', 'prodkit'); print(time.perf_counter() - t)"
)


def _median_of(code: str, repeats: int) -> float:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": ""}
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
            ).stdout.split()[-1]
        )
        for _ in range(repeats)
    ]
    return statistics.median(runs)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else 7
    result = {
        "export": bench_export(repeats),
        "import_prodkit_s": _median_of(_IMPORT, repeats),
        "load_ext_prodkit_s": _median_of(_LOAD_EXT, repeats),
    }
    e = result["export"]
    print(
        f"promote vs nbdev-export (200 cells, 50 exported, 10 tests): prodkit {e['prodkit_median_s']:.3f} s, "
        f"nbdev {e['nbdev_median_s']:.3f} s, ratio {e['ratio']:.2f} [{e['ratio_spread'][0]:.2f}-"
        f"{e['ratio_spread'][1]:.2f}] (target <= 1.0); CPU {e['prodkit_cpu_median_s']:.3f} s vs "
        f"{e['nbdev_cpu_median_s']:.3f} s, ratio {e['cpu_ratio']:.2f}"
    )
    print(
        f"  same, notebook unchanged (outputs kept): prodkit {e['warm_prodkit_median_s']:.3f} s, "
        f"nbdev {e['warm_nbdev_median_s']:.3f} s, ratio {e['warm_ratio']:.2f} "
        f"[{e['warm_ratio_spread'][0]:.2f}-{e['warm_ratio_spread'][1]:.2f}]"
    )
    print(
        f"import prodkit: {result['import_prodkit_s'] * 1000:.1f} ms; %load_ext prodkit: "
        f"{result['load_ext_prodkit_s'] * 1000:.1f} ms (target <= 150 ms each)"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "promote.json").write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
