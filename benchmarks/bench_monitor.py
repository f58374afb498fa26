"""Benchmark: prodkit drift vs a raw evidently Report, side by side in one process.

1. 100k rows x 20 numeric columns, 5 of them shifted: prodkit.monitor.compare against
   `Report([DataDriftPreset()], include_tests=True).run(...)` + `.dict()` (what a user of
   evidently would write). Runs alternate after one warm-up each; the ratio is of medians
   of CPU time (process_time: robust when other work shares the cores), wall time beside it.
   Both must flag exactly the 5 shifted columns.
2. 1M rows x 20 columns in Parquet files, `prodkit drift REF CUR --json` in a child process
   (chunked read, seeded sample of 100k rows): wall time and peak memory (max RSS).
   `--peer-1m` also runs raw evidently on the full 1M rows in a child process (slow).

    .venv/bin/python benchmarks/bench_monitor.py [--quick] [--peer-1m]

Writes benchmarks/results/monitor.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "monitor.json"
SHIFTED = [f"f{i:02d}" for i in range(5)]


def make_frames(rows: int, columns: int = 20, seed: int = 0):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    names = [f"f{i:02d}" for i in range(columns)]
    reference = pd.DataFrame(rng.normal(size=(rows, columns)), columns=names)
    current = pd.DataFrame(rng.normal(size=(rows, columns)), columns=names)
    for name in SHIFTED:
        current[name] += 0.5
    return reference, current


def raw_evidently(reference, current) -> list[str]:
    """What a user of evidently 0.7 writes: the preset with tests, then the per-column tests."""
    from evidently import Report
    from evidently.presets import DataDriftPreset

    data = Report([DataDriftPreset()], include_tests=True).run(current_data=current, reference_data=reference).dict()
    failed = {t["metric_config"]["metric_id"] for t in data["tests"] if str(getattr(t["status"], "value", t["status"])) == "FAIL"}
    return sorted(m["config"]["column"] for m in data["metrics"] if "column" in m["config"] and m["id"] in failed)


def prodkit_drift(reference, current) -> list[str]:
    from prodkit.monitor import compare

    return sorted(compare(reference, current).drifted)


def side_by_side(rows: int, repeats: int) -> dict:
    reference, current = make_frames(rows)
    runners = {"prodkit": prodkit_drift, "evidently": raw_evidently}
    flagged = {name: fn(reference, current) for name, fn in runners.items()}  # warm-up (imports, caches)
    wall: dict[str, list[float]] = {name: [] for name in runners}
    cpu: dict[str, list[float]] = {name: [] for name in runners}
    for i in range(repeats):
        order = list(runners) if i % 2 == 0 else list(reversed(runners))
        for name in order:
            started, started_cpu = time.perf_counter(), time.process_time()
            runners[name](reference, current)
            wall[name].append(time.perf_counter() - started)
            cpu[name].append(time.process_time() - started_cpu)
    med_wall = {name: statistics.median(t) for name, t in wall.items()}
    med_cpu = {name: statistics.median(t) for name, t in cpu.items()}
    return {
        "rows": rows, "columns": 20, "shifted": SHIFTED, "repeats": repeats,
        "wall_s": {name: [round(t, 3) for t in ts] for name, ts in wall.items()},
        "cpu_s": {name: [round(t, 3) for t in ts] for name, ts in cpu.items()},
        "median_wall_s": {name: round(m, 3) for name, m in med_wall.items()},
        "median_cpu_s": {name: round(m, 3) for name, m in med_cpu.items()},
        "ratio_prodkit_over_evidently": round(med_cpu["prodkit"] / med_cpu["evidently"], 3),
        "ratio_min_cpu": round(min(cpu["prodkit"]) / min(cpu["evidently"]), 3),
        "ratio_wall": round(med_wall["prodkit"] / med_wall["evidently"], 3),
        "load_average": os.getloadavg()[0],
        "flagged": flagged,
        "exactly_the_shifted": {name: f == SHIFTED for name, f in flagged.items()},
    }


# Peak memory of a child: its own VmHWM, printed at exit. (wait4's ru_maxrss is no good here:
# Linux carries the parent's high-water mark across fork+exec, so every child would report ours.)
PEAK = """
import atexit, sys
def _peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            sys.stderr.write("\\nPEAK_KB " + line.split()[1] + "\\n")
atexit.register(_peak)
"""

CLI = PEAK + """
from prodkit.cli import main
sys.argv = ["prodkit", *sys.argv[1:]]
main()
"""


def _child(argv: list[str]) -> dict:
    """Run a child Python process: wall time and its peak resident memory (VmHWM)."""
    started = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True)
    wall = time.perf_counter() - started
    peak = [line.split()[1] for line in proc.stderr.splitlines() if line.startswith("PEAK_KB ")]
    return {"wall_s": round(wall, 2), "peak_rss_mb": round(int(peak[-1]) / 1024, 1) if peak else None,
            "exit": proc.returncode, "stdout": proc.stdout,
            "stderr": "\n".join(line for line in proc.stderr.splitlines() if not line.startswith("PEAK_KB"))[-500:]}


RAW_1M = PEAK + """
import sys, warnings, pandas as pd
warnings.simplefilter("ignore")
from evidently import Report
from evidently.presets import DataDriftPreset
ref, cur = pd.read_parquet(sys.argv[1]), pd.read_parquet(sys.argv[2])
data = Report([DataDriftPreset()], include_tests=True).run(current_data=cur, reference_data=ref).dict()
print(data["metrics"][0]["value"])
"""


IN_MEMORY_1M = PEAK + """
import sys, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, sys.argv[2])
from bench_monitor import make_frames
from prodkit.monitor import compare
ref, cur = make_frames(int(sys.argv[1]), seed=1)
print(compare(ref, cur).drifted)
"""


def large(rows: int, peer: bool) -> dict:
    reference, current = make_frames(rows, seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        ref_path, cur_path = Path(tmp) / "reference.parquet", Path(tmp) / "current.parquet"
        reference.to_parquet(ref_path)  # pandas' defaults: one row group of 1M rows
        current.to_parquet(cur_path)
        del reference, current
        sizes = {"reference_mb": round(ref_path.stat().st_size / 2**20, 1)}
        ours = _child([sys.executable, "-c", CLI, "drift", str(ref_path), str(cur_path), "--json"])
        data = json.loads(ours.pop("stdout")) if ours["exit"] == 0 else {}
        result = {"rows": rows, "columns": 20, **sizes, "prodkit_cli": ours,
                  "sample": data.get("sample"), "flagged": sorted(c for c, v in data.get("columns", {}).items() if v["drift"])}
        result["exactly_the_shifted"] = result["flagged"] == SHIFTED
        in_memory = _child([sys.executable, "-c", IN_MEMORY_1M, str(rows), str(Path(__file__).resolve().parent)])
        in_memory.pop("stdout")
        result["prodkit_in_memory"] = in_memory
        if peer:
            raw = _child([sys.executable, "-c", RAW_1M, str(ref_path), str(cur_path)])
            raw.pop("stdout")
            result["evidently_full_rows"] = raw
    return result


def print_table(report: dict) -> None:
    s = report["side_by_side"]
    print(f"\n{s['rows']:,} rows x 20 numeric, 5 shifted  (median of {s['repeats']}; load average {s['load_average']:.1f})")
    print(f"  {'':<12}{'CPU s':>8}{'wall s':>9}  {'flagged exactly the 5':>22}")
    for name in ("prodkit", "evidently"):
        print(f"  {name:<12}{s['median_cpu_s'][name]:>8.3f}{s['median_wall_s'][name]:>9.3f}  "
              f"{str(s['exactly_the_shifted'][name]):>22}")
    print(f"  ratio prodkit / evidently: {s['ratio_prodkit_over_evidently']:.3f} median CPU, "
          f"{s['ratio_min_cpu']:.3f} min CPU, {s['ratio_wall']:.3f} median wall  (target <= 1.05)")
    if "large" in report:
        big = report["large"]
        cli = big["prodkit_cli"]
        print(f"\n{big['rows']:,} rows x 20 (Parquet, {big['reference_mb']} MB each), prodkit drift --json in a child process")
        print(f"  wall {cli['wall_s']} s, peak RSS {cli['peak_rss_mb']} MB, sample {big['sample']}, "
              f"exactly the 5: {big['exactly_the_shifted']}")
        mem = big["prodkit_in_memory"]
        print(f"  in-memory frames, prodkit.monitor.compare: wall {mem['wall_s']} s, peak RSS {mem['peak_rss_mb']} MB "
              f"(the two 1M-row frames themselves included)")
        if "evidently_full_rows" in big:
            raw = big["evidently_full_rows"]
            print(f"  raw evidently on all rows: wall {raw['wall_s']} s, peak RSS {raw['peak_rss_mb']} MB (exit {raw['exit']})")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Fewer repeats and 20k rows (smoke run).")
    parser.add_argument("--peer-1m", action="store_true", help="Also run raw evidently on all 1M rows (slow, ~5 GB).")
    parser.add_argument("--skip-large", action="store_true", help="Skip the 1M-row part.")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    report = {"side_by_side": side_by_side(20_000 if args.quick else 100_000, 2 if args.quick else 5)}
    if not args.skip_large:
        report["large"] = large(200_000 if args.quick else 1_000_000, args.peer_1m)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)
    print(f"\nwrote {RESULTS}")
    return report


if __name__ == "__main__":
    main()
