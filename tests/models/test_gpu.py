"""A CUDA-trained model: registered, loaded on CPU and on CUDA, benchmarked on the GPU.

Runs only where CUDA is available (`pytest -m gpu tests/models`, see scripts/gpu_check.sh).
"""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")]


def _train_on_cuda():
    torch.manual_seed(0)
    x = torch.randn(4096, 12, device="cuda")
    y = (x[:, :3].sum(dim=1, keepdim=True) > 0).float()
    model = torch.nn.Sequential(torch.nn.Linear(12, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256),
                                torch.nn.ReLU(), torch.nn.Linear(256, 1), torch.nn.Sigmoid()).cuda()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(50):
        opt.zero_grad()
        torch.nn.functional.binary_cross_entropy(model(x), y).backward()
        opt.step()
    return model.eval(), x[:256]


def test_cuda_trained_model_registers_loads_on_cpu_and_cuda_and_is_benchmarked_on_gpu(fresh_project, train_df):
    import mlflow.pyfunc
    import numpy as np
    from mlflow import MlflowClient

    from prodkit.models import load_model, register_model
    from prodkit.models import tags as T
    from prodkit.models.gate import move_alias

    model, x_val = _train_on_cuda()
    result = register_model(model, "gpu-clf", example=x_val[:8], metrics={"auc": 0.9}, data=train_df)
    assert result.ok, repr(result)
    assert next(model.parameters()).is_cuda, "the user's model must stay on the GPU"
    tags = MlflowClient(fresh_project.tracking_uri).get_model_version("gpu-clf", "1").tags
    assert tags[T.TRAINED_ON].startswith("cuda") and tags[T.CUDA] != "none" and tags[T.GPU] != "none"
    assert tags[T.PARITY] == "passed"
    cuda_bench = result.benchmark["cuda"]
    assert set(cuda_bench["batches"]) == {"1", "8", "64"} and cuda_bench["peak_mem_mb"] > 0
    move_alias("gpu-clf", 1)

    with torch.no_grad():
        expected = model(x_val)
    on_cuda = load_model("gpu-clf", "champion")  # default device: CUDA when available
    assert next(iter(on_cuda.parameters())).is_cuda
    with torch.no_grad():
        torch.testing.assert_close(on_cuda(x_val), expected, atol=1e-4, rtol=1e-4)
    on_cpu = load_model("gpu-clf", "champion", device="cpu")
    with torch.no_grad():
        torch.testing.assert_close(on_cpu(x_val.cpu()), expected.cpu(), atol=1e-4, rtol=1e-4)
    served = mlflow.pyfunc.load_model("models:/gpu-clf@champion", model_config={"device": "cpu"})
    np.testing.assert_allclose(np.asarray(served.predict(x_val[:8].cpu().numpy())), expected[:8].cpu().numpy(),
                               atol=1e-4, rtol=1e-4)
    print("\nGPU register:", json.dumps({"seconds": result.seconds, "gpu": cuda_bench.get("gpu"),
                                         "parity_max_abs_diff": result.parity["max_abs_diff"],
                                         "cuda": cuda_bench["batches"], "cuda_peak_mem_mb": cuda_bench["peak_mem_mb"],
                                         "cpu": result.benchmark["cpu"]["batches"]}, indent=1))


def test_exported_program_moved_to_cuda_matches_eager_on_cuda():
    from torch.export.passes import move_to_device_pass

    from prodkit.models.parity import batches_from, export_program

    model, x_val = _train_on_cuda()
    cpu_model = model.to("cpu")
    program = move_to_device_pass(export_program(cpu_model, x_val[:8].cpu()), "cuda")
    exported, eager = program.module(), cpu_model.to("cuda")
    with torch.no_grad():
        for x in batches_from(x_val[:8], (1, 17, 64)):
            torch.testing.assert_close(exported(x), eager(x))
