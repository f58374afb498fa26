"""`register_model`: a trained PyTorch model becomes a checked, versioned MLflow model.

Everything that can fail on the user's input (the model, the example, NaN outputs, the
name, the metrics, the data) is checked before MLflow is touched; parity and the device
benchmark run before logging too, so a failure leaves nothing behind. If logging or
registering fails midway, the version is deleted and the run is marked FAILED.
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import re
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prodkit.config import Project, load_project
from prodkit.errors import BadInput, ProdkitError
from prodkit.models import tags as T
from prodkit.models.parity import ParityResult
from prodkit.models.registry import search_versions
from prodkit.models.result import Check, RegisteredModel

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
METRIC_NAME_RE = re.compile(r"^[\w\-./ ]{1,250}$")
LOWER_IS_BETTER = ("loss", "error", "rmse", "mse", "mae", "mape", "logloss", "brier", "latency")
REFERENCE_ARTIFACT = "reference/train.parquet"
EXPORT_FAILED = "torch.export failed"


def validate_name(name: Any) -> str:
    """A registered-model name: letters, digits, '.', '_' and '-', at most 128 characters."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise BadInput(f"invalid model name {name!r}",
                       fix="use letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. churn-clf)")
    return name


def lower_is_better(metric: str) -> bool:
    return any(word in metric.lower() for word in LOWER_IS_BETTER)


def _validate_metrics(metrics: Any) -> dict[str, float]:
    if metrics is None:
        return {}
    if not isinstance(metrics, dict):
        raise BadInput("metrics must be a dict of name -> number", fix='e.g. metrics={"auc": 0.91}')
    clean: dict[str, float] = {}
    for key, value in metrics.items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise BadInput(f"metric {key!r} is not a number ({value!r})", fix="pass plain numbers") from None
        if not METRIC_NAME_RE.match(str(key)):
            raise BadInput(f"invalid metric name {key!r}", fix="use letters, digits, '_', '-', '.', ' ' or '/'")
        if not math.isfinite(number):
            raise BadInput(f"metric {key!r} is {number}", fix="pass finite numbers")
        clean[str(key)] = number
    return clean


def _primary(metrics: dict[str, float], primary: str | None, greater: bool | None) -> tuple[str | None, bool]:
    if primary is None:
        primary = next(iter(metrics), None)
    elif primary not in metrics:
        raise BadInput(f"primary metric {primary!r} is not in metrics {sorted(metrics)}",
                       fix="add it to metrics= or name another primary_metric")
    if greater is None:
        greater = not lower_is_better(primary or "")
    return primary, greater


def _cpu_copy(model):
    """An eval-mode CPU copy (the user's model is left where it is) and the device it was on."""
    import torch

    if not isinstance(model, torch.nn.Module):
        raise BadInput(f"model must be a torch.nn.Module, got {type(model).__name__}",
                       fix="pass the trained PyTorch model object")
    first = next(iter([*model.parameters(), *model.buffers()]), None)
    trained_on = str(first.device) if first is not None else "cpu"
    return copy.deepcopy(model).to("cpu").eval(), trained_on


def _as_example(example):
    """The example as a CPU float tensor with a batch of at least 2 rows."""
    import numpy as np
    import torch

    if example is None:
        raise BadInput("an input example is required", fix="pass example=X_val[:8] (a tensor or array of a few rows)")
    if isinstance(example, np.ndarray):
        example = torch.from_numpy(example)
    if not isinstance(example, torch.Tensor):
        raise BadInput(f"example must be a torch.Tensor or numpy array, got {type(example).__name__}",
                       fix="pass example=X_val[:8]")
    if example.ndim < 1 or example.shape[0] < 2:
        raise BadInput(f"example needs a batch of at least 2 rows, got shape {tuple(example.shape)}",
                       fix="pass example=X_val[:8]")
    return example.detach().to("cpu").contiguous()


def _run_example(model, example):
    """The model's output on the example; a clear error if it fails or is not finite."""
    import torch

    from prodkit.models.tracking import first_line

    try:
        with torch.no_grad():
            output = model(example)
    except Exception as e:  # noqa: BLE001 - the user's forward pass, any error
        raise BadInput(f"the example does not run through the model ({type(e).__name__}: {first_line(e)})",
                       fix="pass an example shaped like the model's training input") from None
    if not isinstance(output, torch.Tensor):
        raise BadInput(f"the model must return one tensor, got {type(output).__name__}",
                       fix="wrap the model so forward() returns a single tensor")
    if output.is_floating_point() and not torch.isfinite(output).all():
        raise BadInput("the model returns NaN or infinite values on the example",
                       fix="check the training (diverged?) and the example's preprocessing")
    return output


def pip_requirements(serialization: str) -> list[str]:
    """Requirements without local version labels (+cpu/+cu121 cannot be installed elsewhere)."""
    import mlflow
    import numpy
    import torch

    reqs = [f"mlflow=={mlflow.__version__}", f"torch=={torch.__version__.split('+')[0]}",
            f"numpy=={numpy.__version__}"]
    if serialization == "pickle":
        import cloudpickle

        reqs.append(f"cloudpickle=={cloudpickle.__version__}")
    return reqs


def _benchmarks(model_cpu, example) -> dict[str, dict]:
    import torch

    from prodkit.models.bench import benchmark

    results = {"cpu": benchmark(model_cpu, example, "cpu")}
    if torch.cuda.is_available():
        model_cuda = copy.deepcopy(model_cpu).to("cuda")
        results["cuda"] = benchmark(model_cuda, example, "cuda")
        del model_cuda
    return results


def _checks(tags: dict[str, str], parity: ParityResult, bench: dict, has_data: bool) -> list[Check]:
    checks = [Check("signature", "pass", "inferred from the example"),
              Check("input example", "pass", "saved with the model")]
    sha = tags.get(T.GIT_SHA)
    checks.append(Check("git sha", "pass" if sha else "warn", sha[:12] + ("-dirty" if sha.endswith("-dirty") else "")
                        if sha else "not a git repository"))
    checks.append(Check("data hash", "pass" if has_data else "warn",
                        tags.get(T.DATA_HASH, "")[:19] + "…" if has_data else "pass data= (the training data)"))
    nb = tags.get(T.NOTEBOOK)
    cell = f", cell {tags[T.CELL]}" if tags.get(T.CELL) else ""
    checks.append(Check("notebook", "pass" if nb else "skip", f"{nb}{cell}" if nb else "not run from a saved notebook"))
    if parity.passed is None:
        checks.append(Check("export parity", "skip", "parity=False"))
    elif parity.passed:
        checks.append(Check("export parity", "pass",
                            f"max abs diff {parity.max_abs_diff:.2g} at batch {parity.batch_sizes}"))
    else:
        checks.append(Check("export parity", "fail", parity.reason or "failed"))
    if bench:
        parts = [f"{dev} b64 p50 {res['batches']['64']['p50_ms']:.3g} ms" for dev, res in bench.items()]
        checks.append(Check("benchmark", "pass", ", ".join(parts)))
    else:
        checks.append(Check("benchmark", "skip", "benchmark=False"))
    return checks


def _write_reference(data: Any, folder: Path) -> tuple[Path | None, str | None]:
    """The drift reference (at most 50k seeded rows) as parquet in `folder`, or why it cannot be."""
    if data is None:
        return None, None
    from prodkit.models.provenance import reference_sample
    from prodkit.models.tracking import first_line

    try:
        frame = reference_sample(data)
        if frame is None:
            return None, "data is not a DataFrame, array or parquet/csv file: no drift reference kept"
        path = folder / Path(REFERENCE_ARTIFACT).name
        frame.to_parquet(path, index=False)
        return path, None
    except (ValueError, TypeError, ImportError, OSError) as e:
        return None, f"drift reference not stored ({type(e).__name__}: {first_line(e)})"


def _error_code(error: BaseException) -> str:
    return str(getattr(error, "error_code", ""))


def ensure_registered_model(client, name: str, description: str | None) -> bool:
    """Create `name` if it does not exist yet; True only when this call created it.

    Idempotent under concurrency: another process creating it first (RESOURCE_ALREADY_EXISTS)
    is as good as finding it.
    """
    from mlflow.exceptions import MlflowException

    try:
        client.create_registered_model(name, description=description)
        return True
    except MlflowException as e:
        if "RESOURCE_ALREADY_EXISTS" in _error_code(e) or "already exists" in str(e).lower():
            return False
        raise


def _create_version(client, name: str, description: str | None, made: set[str], **version):
    """The new model version, creating the registered model if needed (`made` gets "model" then).

    If another process's failed first registration removed the (then empty) model between our
    create-or-get and our version, create it again (a few times at most).
    """
    from mlflow.exceptions import MlflowException

    for attempt in range(3):
        if ensure_registered_model(client, name, description):
            made.add("model")
        try:
            return client.create_model_version(name, description=description, **version)
        except MlflowException as e:
            if "RESOURCE_DOES_NOT_EXIST" not in _error_code(e) or attempt == 2:
                raise
    raise AssertionError("unreachable")


def _cleanup(client, name: str, version: str | None, created: bool) -> None:
    """Remove what this failed registration made: its version, and the model only if this call
    created it and no other process has added a version since."""
    try:
        if version is not None:
            client.delete_model_version(name, version)
        if created and not search_versions(client, "name", name):
            client.delete_registered_model(name)
    except Exception:  # noqa: BLE001,S110 - best effort; the original error is what matters
        pass


def register_model(model, name: str, *, example, metrics: dict[str, float] | None = None, data: Any = None,
                   primary_metric: str | None = None, greater_is_better: bool | None = None,
                   parity: bool = True, benchmark: bool = True, notebook: str | os.PathLike | None = None,
                   description: str | None = None, project: Project | str | os.PathLike | None = None
                   ) -> RegisteredModel:
    """Register a trained PyTorch model as a new version of `name` in the project's MLflow registry.

    The version carries a signature and the example, pip requirements without local labels,
    tags for git sha, notebook and cell, data hash, torch/CUDA versions and training device,
    the export-parity result and a CPU (and CUDA) benchmark. `data` (a DataFrame, array or
    parquet/csv path) is hashed and kept (at most 50k seeded rows) as the drift reference.
    """
    started = time.perf_counter()
    validate_name(name)
    model_cpu, trained_on = _cpu_copy(model)
    example_cpu = _as_example(example)
    output = _run_example(model_cpu, example_cpu)
    clean_metrics = _validate_metrics(metrics)
    primary, greater = _primary(clean_metrics, primary_metric, greater_is_better)
    if not isinstance(project, Project):
        project = load_project(project or (Path(notebook).parent if notebook else None))

    from prodkit.models import provenance
    from prodkit.models.parity import check_parity
    from prodkit.models.tracking import open_store

    store = open_store(project)  # an unreachable server fails here, before seconds of checks

    digest = provenance.data_hash(data)
    reference_dir = tempfile.TemporaryDirectory(prefix="prodkit-reference-")
    reference, reference_problem = _write_reference(data, Path(reference_dir.name))
    parity_result = check_parity(model_cpu, example_cpu) if parity else ParityResult(passed=None)
    bench = _benchmarks(model_cpu, example_cpu) if benchmark else {}
    cell = provenance.notebook_cell(project, notebook)
    env = provenance.environment()
    serialization = "pickle" if (parity_result.reason or "").startswith(EXPORT_FAILED) else "pt2"
    tags = {
        T.STATUS: "ready", T.TORCH: env["torch"], T.CUDA: env["cuda"], T.GPU: env["gpu"], T.TRAINED_ON: trained_on,
        T.SIGNATURE: "true", T.EXAMPLE: "true", T.PARITY: parity_result.status,
        T.METRICS: T.dump_json(clean_metrics), T.GREATER_IS_BETTER: str(greater).lower(),
        T.REGISTERED_AT: datetime.now(UTC).isoformat(timespec="seconds"),
    }
    optional = {T.GIT_SHA: provenance.git_sha(project.root), T.NOTEBOOK: cell.path, T.CELL: cell.cell,
                T.EXECUTION_COUNT: cell.execution_count, T.DATA_HASH: digest, T.PRIMARY_METRIC: primary,
                T.PARITY_MAX_ABS_DIFF: parity_result.max_abs_diff, T.PARITY_REASON: parity_result.reason,
                T.BENCHMARK: T.dump_json(bench) if bench else None,
                T.REFERENCE: REFERENCE_ARTIFACT if reference is not None else None}
    tags.update({k: str(v) for k, v in optional.items() if v is not None})

    with reference_dir:
        info, version = _log_and_register(store, name, model_cpu, example_cpu, output, serialization, tags,
                                          clean_metrics, bench, reference, description)
    tags[T.SERIALIZATION] = info["serialization"]
    if info.get("reason"):  # mlflow's own export failed (parity was off): say so, like a parity failure
        tags[T.PARITY_REASON] = info["reason"]
        parity_result = ParityResult(passed=False, reason=info["reason"])
    checks = _checks(tags, parity_result, bench, digest is not None)
    if reference_problem:
        checks.append(Check("drift reference", "warn", reference_problem))
    elif reference is not None:
        checks.append(Check("drift reference", "pass", f"{REFERENCE_ARTIFACT} stored with the run"))
    if info["serialization"] == "pt2" and env["cuda"] != "none" and env["gpu"] != "none":
        checks.append(Check("serving on GPU", "warn", "mlflow.pyfunc loads this CPU-saved pt2 model on CPU only "
                            "(model_config={'device': 'cpu'}); prodkit.models.load_model(name) puts it on CUDA"))
    if info["serialization"] == "pickle":
        checks.append(Check("serialization", "warn", "pickle (not exportable): loading needs "
                                                     "MLFLOW_ALLOW_PICKLE_DESERIALIZATION=true"))
    return RegisteredModel(
        name=name, version=version, uri=f"models:/{name}/{version}", run_id=info["run_id"], tracking_uri=store.shown_uri,
        checks=checks, metrics=clean_metrics, parity=parity_result.to_dict(), benchmark=bench, tags=tags,
        seconds=round(time.perf_counter() - started, 2),
    )


@contextlib.contextmanager
def _cpu_prediction_device():
    """MLflow validates the input example by loading the pyfunc model, on CUDA when a GPU exists,
    where a pt2 program saved from CPU cannot load: validate on CPU (the weights' device) instead."""
    key = "MLFLOW_DEFAULT_PREDICTION_DEVICE"
    previous = os.environ.get(key)
    os.environ.setdefault(key, "cpu")
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(key, None)


def _log_model(model_cpu, example_np, signature, serialization: str):
    import mlflow.pytorch

    with _cpu_prediction_device():
        return mlflow.pytorch.log_model(model_cpu, name="model", input_example=example_np, signature=signature,
                                        pip_requirements=pip_requirements(serialization),
                                        serialization_format=serialization)


def _log_and_register(store, name, model_cpu, example, output, serialization, tags, metrics, bench, reference,
                      description) -> tuple[dict[str, Any], str]:
    """Log the model in a run and register it as a version; on failure, leave nothing half-done."""
    import mlflow
    from mlflow.models import infer_signature

    from prodkit.models.bench import flat_metrics
    from prodkit.models.tracking import first_line, redact

    client = store.client
    example_np = example.numpy()
    signature = infer_signature(example_np, output.detach().numpy())
    made: set[str] = set()  # "model" when this call created the registered model
    version: str | None = None
    info: dict[str, Any] = {"serialization": serialization}
    run = mlflow.start_run(experiment_id=store.experiment_id, run_name=f"register {name}",
                           nested=mlflow.active_run() is not None, tags={"prodkit.model": name})
    try:
        try:
            logged = _log_model(model_cpu, example_np, signature, serialization)
        except Exception as e:  # noqa: BLE001 - export inside mlflow failed: keep the model, say why
            if serialization != "pt2":
                raise
            info.update(serialization="pickle", reason=f"{EXPORT_FAILED} in mlflow: {first_line(e)}")
            tags.update({T.PARITY: "failed", T.PARITY_REASON: info["reason"]})
            logged = _log_model(model_cpu, example_np, signature, "pickle")
        values = {**metrics, **flat_metrics(bench)}
        if values:
            mlflow.log_metrics(values, model_id=logged.model_id)
        if reference is not None:
            mlflow.log_artifact(str(reference), artifact_path=str(Path(REFERENCE_ARTIFACT).parent))
        tags[T.SERIALIZATION] = info["serialization"]
        mv = _create_version(client, name, description, made, source=logged.model_uri, run_id=run.info.run_id,
                             tags=tags, model_id=logged.model_id)
        version = str(mv.version)
        mlflow.set_tag("prodkit.version", version)
        mlflow.end_run()
    except BaseException as e:
        _cleanup(client, name, version, "model" in made)
        for step in (lambda: client.set_tag(run.info.run_id, T.STATUS, "failed"), lambda: mlflow.end_run("FAILED")):
            try:
                step()
            except Exception:  # noqa: BLE001,S110 - best effort; the original error is what matters
                pass
        if isinstance(e, ProdkitError) or not isinstance(e, Exception):
            raise
        raise BadInput(f"registering {name} failed ({type(e).__name__}: {redact(first_line(e))}); nothing was registered",
                       path=store.shown_uri, fix="fix the cause above and register again") from e
    info["run_id"] = run.info.run_id
    return info, version
