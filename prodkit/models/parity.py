"""Export parity: torch.export with a dynamic batch dimension, compared with eager mode."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

PARITY_BATCH_SIZES = (1, 2, 17, 64)


@dataclass
class ParityResult:
    """Whether the exported program matches eager mode on the example and other batch sizes."""

    passed: bool | None  # None: not checked
    max_abs_diff: float | None = None
    batch_sizes: list[int] = field(default_factory=list)
    reason: str | None = None  # why export or comparison failed
    export_s: float | None = None

    @property
    def status(self) -> str:
        return "skipped" if self.passed is None else ("passed" if self.passed else "failed")

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, **asdict(self)}


def batches_from(example, sizes) -> list:
    """Inputs of the given batch sizes built from the example's rows (deterministic)."""
    import torch

    n = example.shape[0]
    out = [example]
    for size in sizes:
        if size == n:
            continue
        index = torch.arange(size) % n
        out.append(example[index])
    return out


def export_program(model, example):
    """torch.export the model with the first dimension of its input marked dynamic."""
    import torch
    from torch.export import Dim

    return torch.export.export(model, (example,), dynamic_shapes=({0: Dim("batch")},))


def check_parity(model, example, sizes=PARITY_BATCH_SIZES) -> ParityResult:
    """Export `model` (on CPU, eval mode) and compare with eager on several batch sizes."""
    import time

    import torch

    from prodkit.models.tracking import first_line

    started = time.perf_counter()
    try:
        program = export_program(model, example)
    except Exception as e:  # noqa: BLE001 - any export failure is recorded, not raised
        return ParityResult(passed=False, reason=f"torch.export failed: {type(e).__name__}: {first_line(e)}",
                            export_s=round(time.perf_counter() - started, 3))
    export_s = round(time.perf_counter() - started, 3)
    exported = program.module()
    worst = 0.0
    checked: list[int] = []
    with torch.no_grad():
        for x in batches_from(example, sizes):
            checked.append(int(x.shape[0]))
            try:
                got, want = exported(x), model(x)
            except Exception as e:  # noqa: BLE001
                return ParityResult(passed=False, batch_sizes=checked, export_s=export_s,
                                    reason=f"exported program failed at batch {x.shape[0]}: {first_line(e)}")
            worst = max(worst, float((got.float() - want.float()).abs().max()) if got.numel() else 0.0)
            try:
                torch.testing.assert_close(got, want)
            except AssertionError as e:
                return ParityResult(passed=False, max_abs_diff=worst, batch_sizes=checked, export_s=export_s,
                                    reason=f"outputs differ at batch {x.shape[0]}: {first_line(e)}")
    return ParityResult(passed=True, max_abs_diff=worst, batch_sizes=checked, export_s=export_s)
