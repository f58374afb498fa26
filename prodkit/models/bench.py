"""Device benchmark: p50/p95 latency at batch 1, 8, 64, throughput and peak memory, per device."""

from __future__ import annotations

import time
from typing import Any

BATCH_SIZES = (1, 8, 64)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def time_forward(model, x, *, budget_s: float = 0.2, min_iters: int = 10, max_iters: int = 500,
                 warmup: int = 3) -> list[float]:
    """Latencies (ms) of `model(x)` on x's device, synchronising CUDA around each call."""
    import torch

    sync = torch.cuda.synchronize if x.is_cuda else (lambda: None)
    times: list[float] = []
    with torch.no_grad():
        for _ in range(warmup):
            model(x)
        sync()
        start = time.perf_counter()
        while len(times) < max_iters:
            elapsed = time.perf_counter() - start
            if len(times) >= min_iters and elapsed >= budget_s:
                break
            if len(times) >= 3 and elapsed >= 10 * budget_s:  # a slow model: a few samples will do
                break
            t0 = time.perf_counter()
            model(x)
            sync()
            times.append((time.perf_counter() - t0) * 1000.0)
    return times


def _activation_bytes(model, x) -> int:
    """Bytes of every module output in one forward pass (CPU peak-memory estimate)."""
    import torch

    total = 0

    def hook(_module, _inputs, output):
        nonlocal total
        for t in output if isinstance(output, (tuple, list)) else (output,):
            if isinstance(t, torch.Tensor):
                total += t.numel() * t.element_size()

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    return total


def weight_bytes(model) -> int:
    return sum(t.numel() * t.element_size() for t in [*model.parameters(), *model.buffers()])


def benchmark(model, example, device: str = "cpu", sizes=BATCH_SIZES, budget_s: float = 0.2) -> dict[str, Any]:
    """Latency per batch size and peak memory of `model` (already on `device`) on that device.

    CUDA peak memory is the allocator's measured peak at the largest batch; on CPU it is an
    estimate: weights plus every module's output at the largest batch.
    """
    import torch

    from prodkit.models.parity import batches_from

    inputs = {int(x.shape[0]): x for x in batches_from(example, sizes)}
    result: dict[str, Any] = {"device": device, "batches": {}}
    for size in sizes:
        x = inputs[size].to(device)
        times = time_forward(model, x, budget_s=budget_s)
        p50 = _percentile(times, 0.5)
        result["batches"][str(size)] = {
            "p50_ms": round(p50, 4), "p95_ms": round(_percentile(times, 0.95), 4),
            "throughput_per_s": round(size / (p50 / 1000.0), 1) if p50 > 0 else None, "iters": len(times),
        }
    largest = inputs[max(sizes)].to(device)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        with torch.no_grad():
            model(largest)
        torch.cuda.synchronize()
        result["peak_mem_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 3)
        result["peak_mem_kind"] = "measured (torch.cuda.max_memory_allocated)"
        result["gpu"] = torch.cuda.get_device_name(torch.device(device))
    else:
        result["peak_mem_mb"] = round((weight_bytes(model) + _activation_bytes(model, largest)) / 2**20, 3)
        result["peak_mem_kind"] = "estimate (weights + activations)"
        result["threads"] = torch.get_num_threads()
    return result


def flat_metrics(bench: dict[str, dict[str, Any]]) -> dict[str, float]:
    """{'cpu': {...}, 'cuda': {...}} as MLflow metric names: bench.cpu.b64.p50_ms, ..."""
    metrics: dict[str, float] = {}
    for device, res in bench.items():
        for size, row in res["batches"].items():
            for key in ("p50_ms", "p95_ms", "throughput_per_s"):
                if row.get(key) is not None:
                    metrics[f"bench.{device}.b{size}.{key}"] = float(row[key])
        metrics[f"bench.{device}.peak_mem_mb"] = float(res["peak_mem_mb"])
    return metrics
