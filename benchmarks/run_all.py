"""Run every side-by-side benchmark (benchmarks/bench_*.py), or the named ones.

Usage: .venv/bin/python benchmarks/run_all.py [NAME ...] [--quick]
Each writes benchmarks/results/<name>.json; this prints their summaries in one place.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    quick = ["--quick"] if "--quick" in argv else []
    names = [a for a in argv if not a.startswith("-")]
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in names]
        if not scripts:
            print(
                f"no benchmark named {' '.join(names)}; have: "
                + ", ".join(s.stem.removeprefix("bench_") for s in sorted(HERE.glob("bench_*.py")))
            )
            return 2
    for script in scripts:
        print(f"== {script.stem}", flush=True)
        spec = importlib.util.spec_from_file_location(script.stem, script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.main(quick)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
