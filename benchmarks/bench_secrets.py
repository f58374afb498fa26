"""SEC-01's secrets scan on a generated 200-cell notebook (sources and text outputs), CPU time.

    .venv/bin/python benchmarks/bench_secrets.py [NOTEBOOK ...]

Prints the best of 15 scans of every cell source and text output, as `secret_findings` does;
extra notebooks given on the command line are scanned the same way.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_readiness import make_notebook  # noqa: E402

from prodkit.readiness.secrets import scan_text  # noqa: E402


def texts(nb: dict) -> list[tuple[str, bool]]:
    found = []
    for cell in nb["cells"]:
        found.append(("".join(cell["source"]), False))
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain")
            if text:
                found.append(("".join(text), True))
    return found


def best_ms(items: list[tuple[str, bool]], repeats: int = 15) -> float:
    scan = lambda: [scan_text(t, output=o) for t, o in items]  # noqa: E731
    scan()  # compile patterns, import detect-secrets
    times = []
    for _ in range(repeats):
        started = time.process_time()
        scan()
        times.append(time.process_time() - started)
    return min(times) * 1000


def main() -> None:
    generated = texts(make_notebook(200))
    print(f"200-cell generated notebook ({sum(len(t) for t, _ in generated) // 1000} KB of text): "
          f"{best_ms(generated):.1f} ms")
    for path in sys.argv[1:]:
        items = texts(json.loads(Path(path).read_text(encoding="utf-8")))
        print(f"{path}: {best_ms(items, 5):.1f} ms")


if __name__ == "__main__":
    main()
