"""Model registration, side by side with raw MLflow calls (the peer) in one run.

  .venv/bin/python benchmarks/bench_models.py [--quick] [--gpu-only]

1. prodkit.register_model (parity and benchmark off) vs raw mlflow.pytorch.log_model +
   mlflow.register_model with pip_requirements, on the same sqlite store: target ratio <= 1.2;
2. prodkit.register_model vs a plain log_model call as users usually write it (no
   pip_requirements: MLflow infers them): how much faster prodkit is;
3. the full prodkit.register_model (parity + device benchmark on), for reference;
4. with CUDA: exported (torch.export, moved to the GPU) vs eager p50 latency at batch 64.
Calls alternate so machine load hits both sides alike; medians. JSON: benchmarks/results/models.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def churn_mlp(width: int = 64, depth: int = 2, features: int = 12):
    import torch

    torch.manual_seed(0)
    layers, d = [], features
    for _ in range(depth):
        layers += [torch.nn.Linear(d, width), torch.nn.ReLU()]
        d = width
    return torch.nn.Sequential(*layers, torch.nn.Linear(d, 1), torch.nn.Sigmoid()).eval()


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_registration(root: Path, repeats: int, plain_repeats: int) -> dict:
    import mlflow
    import mlflow.pytorch
    import torch

    from prodkit.config import init_project, load_project
    from prodkit.models import register_model
    from prodkit.models.register import pip_requirements
    from prodkit.models.tracking import open_store

    init_project(root)
    project = load_project(root)
    store = open_store(project)
    model, example = churn_mlp(), torch.randn(8, 12)
    reqs = pip_requirements("pt2")

    def prodkit_call():
        register_model(model, "bench-prodkit", example=example, metrics={"auc": 0.9}, parity=False,
                       benchmark=False, project=project)

    def raw_call(with_reqs: bool):
        def call():
            with mlflow.start_run(experiment_id=store.experiment_id):
                mlflow.log_metrics({"auc": 0.9})
                info = mlflow.pytorch.log_model(model, name="model", input_example=example.numpy(),
                                                pip_requirements=reqs if with_reqs else None)
            mlflow.register_model(info.model_uri, "bench-raw" if with_reqs else "bench-plain")
        return call

    prodkit_call(), raw_call(True)()  # warm up both: imports, torch.export machinery, sqlite
    ours, raw = [], []
    for _ in range(repeats):
        ours.append(timed(prodkit_call))
        raw.append(timed(raw_call(True)))
    plain = [timed(raw_call(False)) for _ in range(plain_repeats)]
    full = [timed(lambda: register_model(model, "bench-full", example=example, metrics={"auc": 0.9},
                                         project=project)) for _ in range(max(1, repeats // 2))]
    med = {k: statistics.median(v) for k, v in {"prodkit": ours, "raw": raw, "plain": plain, "full": full}.items()}
    return {
        "repeats": repeats, "plain_repeats": plain_repeats,
        "prodkit_register_s": med["prodkit"], "raw_log_register_with_reqs_s": med["raw"],
        "plain_log_register_no_reqs_s": med["plain"], "prodkit_full_register_s": med["full"],
        "ratio_prodkit_vs_raw": med["prodkit"] / med["raw"],
        "speedup_vs_plain": med["plain"] / med["prodkit"],
        "samples": {"prodkit": ours, "raw": raw, "plain": plain, "full": full},
    }


def bench_gpu(repeats: int) -> dict | None:
    """Exported vs eager p50 at batch 64 on CUDA, for a small and a wider MLP."""
    import torch

    if not torch.cuda.is_available():
        return None
    from torch.export.passes import move_to_device_pass

    from prodkit.models.bench import _percentile, time_forward
    from prodkit.models.parity import export_program

    rows = []
    for width, depth in ((64, 2), (1024, 4)):
        model = churn_mlp(width, depth)
        example = torch.randn(64, 12)
        program = move_to_device_pass(export_program(model, example), "cuda")
        exported = program.module()
        eager = churn_mlp(width, depth).to("cuda")
        x = example.to("cuda")
        eager_p50, exported_p50 = [], []
        for _ in range(repeats):  # alternate, medians of p50s
            eager_p50.append(_percentile(time_forward(eager, x, budget_s=0.3, min_iters=50), 0.5))
            exported_p50.append(_percentile(time_forward(exported, x, budget_s=0.3, min_iters=50), 0.5))
        with torch.no_grad():
            diff = float((exported(x) - eager(x)).abs().max())
        rows.append({"model": f"MLP {depth}x{width}", "eager_p50_ms": statistics.median(eager_p50),
                     "exported_p50_ms": statistics.median(exported_p50),
                     "ratio_exported_vs_eager": statistics.median(exported_p50) / statistics.median(eager_p50),
                     "max_abs_diff": diff})
    return {"gpu": torch.cuda.get_device_name(0), "torch": torch.__version__, "batch": 64, "rows": rows}


def print_table(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    reg = result.get("registration")
    if reg:
        table = Table(title="register a PyTorch model (medians, same sqlite store)", title_justify="left")
        for column in ("what", "seconds", "vs prodkit"):
            table.add_column(column)
        base = reg["prodkit_register_s"]
        for label, key in (("prodkit.register_model (parity, benchmark off)", "prodkit_register_s"),
                           ("raw log_model + register_model, pip_requirements", "raw_log_register_with_reqs_s"),
                           ("raw log_model + register_model, no pip_requirements", "plain_log_register_no_reqs_s"),
                           ("prodkit.register_model (parity + benchmark on)", "prodkit_full_register_s")):
            table.add_row(label, f"{reg[key]:.3f}", f"{reg[key] / base:.2f}x")
        console.print(table)
        console.print(f"ratio prodkit / raw (target <= 1.2): {reg['ratio_prodkit_vs_raw']:.2f}; "
                      f"prodkit is {reg['speedup_vs_plain']:.1f}x faster than log_model without pip_requirements")
    gpu = result.get("gpu")
    if gpu:
        table = Table(title=f"CUDA p50 at batch 64 on {gpu['gpu']} (torch {gpu['torch']})", title_justify="left")
        for column in ("model", "eager ms", "exported ms", "exported/eager", "max abs diff"):
            table.add_column(column)
        for row in gpu["rows"]:
            table.add_row(row["model"], f"{row['eager_p50_ms']:.4f}", f"{row['exported_p50_ms']:.4f}",
                          f"{row['ratio_exported_vs_eager']:.2f}", f"{row['max_abs_diff']:.2g}")
        console.print(table)
    elif "gpu" in result:
        console.print("no CUDA here: the exported-vs-eager GPU comparison was skipped")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--gpu-only", action="store_true", help="only the CUDA exported-vs-eager comparison")
    parser.add_argument("--no-gpu", action="store_true", help="skip the CUDA comparison")
    parser.add_argument("--output", default=str(REPO / "benchmarks" / "results" / "models.json"))
    args = parser.parse_args(argv)
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    result: dict = {"quick": args.quick}
    if not args.gpu_only:
        with tempfile.TemporaryDirectory() as tmp:
            result["registration"] = bench_registration(Path(tmp) / "proj", 3 if args.quick else 7,
                                                        1 if args.quick else 3)
    if not args.no_gpu:
        result["gpu"] = bench_gpu(3 if args.quick else 7)
    print_table(result)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
