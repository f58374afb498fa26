"""Serving: `prodkit models serve` as a real process on 127.0.0.1, answering MLflow's scoring protocol,
following @champion while a bounded load loop runs, and `prodkit models loadtest` feeding BIZ-01.

One project with two registered versions (v1 @champion, v2 a better candidate) is shared by the module.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from pktest import code, write_notebook

pytestmark = pytest.mark.slow  # one module fixture registers two versions (~30 s); every test starts a server

PRODKIT = str(Path(sys.executable).parent / "prodkit")
NAME = "churn-clf"
ROW = [0.1 * i for i in range(12)]
COLUMNS = [f"f{i}" for i in range(12)]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def churn_mlp(seed: int):
    import torch

    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(12, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1), torch.nn.Sigmoid())


@pytest.fixture(scope="module")
def served_project(tmp_path_factory, initialised_db):
    """v1 (auc 0.80, @champion) and v2 (auc 0.85, a candidate), registered from nbs/train.ipynb."""
    import numpy as np
    import pandas as pd
    import torch

    from prodkit.config import init_project, load_project
    from prodkit.models import move_alias, register_model

    root = tmp_path_factory.mktemp("serve") / "proj"
    init_project(root)
    project = load_project(root)
    project.state_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(initialised_db, project.state_dir / "mlflow.db")
    saved = os.environ.pop("MLFLOW_TRACKING_URI", None)
    notebook = write_notebook(project.nbs_path / "train.ipynb", [code("model.fit(X, y)")])
    data = pd.DataFrame(np.random.default_rng(0).normal(size=(200, 12)).astype("float32"), columns=COLUMNS)
    example = torch.randn(8, 12, generator=torch.Generator().manual_seed(1))
    for seed, auc in ((0, 0.80), (1, 0.85)):
        register_model(churn_mlp(seed), NAME, example=example, metrics={"auc": auc}, data=data,
                       notebook=notebook, project=project)
    move_alias(NAME, 1, "champion", project=project)
    yield project
    if saved is not None:
        os.environ["MLFLOW_TRACKING_URI"] = saved


def _get(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def post(url: str, payload, content_type: str = "application/json") -> tuple[int, dict, dict]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    request = urllib.request.Request(url + "/invocations", data=body, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, json.loads(e.read())


@contextlib.contextmanager
def running_server(project, ref: str, *extra: str):
    """`prodkit models serve REF --port P` as a real process; yields its base URL once /ping answers."""
    port = _free_port()
    log_path = project.root / f"serve-{port}.log"
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    with open(log_path, "w") as log:
        proc = subprocess.Popen([PRODKIT, "models", "serve", ref, "--port", str(port), *extra], cwd=project.root,
                                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise AssertionError("server exited: " + log_path.read_text()[-2000:])
            with contextlib.suppress(OSError):
                if _get(url + "/ping")[0] == 200:
                    break
            if time.monotonic() > deadline:
                raise AssertionError("server did not answer /ping in 120 s: " + log_path.read_text()[-2000:])
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def served_version(url: str) -> str:
    return json.loads(_get(url + "/version")[2])["version"]


def wait_for_version(url: str, version: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while served_version(url) != version:
        assert time.monotonic() < deadline, f"server still answers with v{served_version(url)}, not v{version}"
        time.sleep(0.2)


def test_load_model_accepts_every_reference_form(served_project):
    import torch

    import prodkit

    x = torch.tensor([ROW])
    outputs = [prodkit.load_model(ref, device="cpu", project=served_project)(x)
               for ref in ("churn-clf@champion", "churn-clf/1", "models:/churn-clf@champion", "churn-clf")]
    outputs.append(prodkit.load_model(NAME, "champion", device="cpu", project=served_project)(x))
    assert all(torch.equal(o, outputs[0]) for o in outputs)
    v2 = prodkit.load_model("churn-clf/2", device="cpu", project=served_project)(x)
    assert not torch.equal(v2, outputs[0])


def test_serve_with_bad_input_is_one_line_exit_2(served_project):
    for args, message in ((["churn-clf@nope"], "has no version or alias 'nope'"),
                          (["no-such-model"], "no registered model named 'no-such-model'"),
                          (["churn clf"], "invalid model reference"),
                          (["churn-clf", "--device", "tpu"], "invalid --device 'tpu'"),
                          (["churn-clf", "--max-rows", "0"], "invalid --max-rows 0")):
        done = subprocess.run([PRODKIT, "models", "serve", *args, "--port", str(_free_port())],
                              cwd=served_project.root, capture_output=True, text=True, timeout=120)
        assert done.returncode == 2, done.stderr
        assert message in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def test_serve_answers_mlflows_scoring_protocol_with_the_version(served_project):
    with running_server(served_project, "churn-clf@champion") as url:
        assert _get(url + "/health")[0] == 200
        answers = [post(url, payload) for payload in (
            {"inputs": [ROW, ROW]}, {"instances": [ROW, ROW]},
            {"dataframe_split": {"columns": COLUMNS, "data": [ROW, ROW]}},
            {"dataframe_records": [dict(zip(COLUMNS, ROW, strict=True))] * 2},
            {"dataframe_records": [dict(zip(reversed(COLUMNS), reversed(ROW), strict=True))] * 2})]
        for status, headers, body in answers:
            assert status == 200, body
            assert headers["x-prodkit-model-version"] == "1"
            assert len(body["predictions"]) == 2
        assert len({json.dumps(body) for _, _, body in answers}) == 1  # same rows, same predictions
        info = json.loads(_get(url + "/version")[2])
        assert info["model"] == NAME and info["version"] == "1" and info["follows_alias"] is True


def test_bad_requests_get_400_with_the_reason(served_project):
    too_many = {"inputs": [ROW] * 6}
    with running_server(served_project, "churn-clf/1", "--max-rows", "5") as url:
        cases = [
            ({"dataframe_split": {"columns": COLUMNS[:11] + ["tenure"], "data": [ROW]}},
             "wrong columns: missing f11; unexpected tenure"),
            ({"inputs": [["a", *ROW[1:]]]}, "wrong dtype: the model takes float32 numbers, got strings"),
            ({"inputs": [[None, *ROW[1:]]]}, "wrong dtype"),
            ({"inputs": [[True] * 12]}, "got booleans"),
            ({"inputs": [ROW[:11]]}, "wrong shape"),
            (too_many, "too many rows: 6 > 5"),
            ({"rows": [ROW]}, "exactly one of inputs, instances, dataframe_split, dataframe_records"),
            (b"{not json", "invalid JSON"),
        ]
        for payload, reason in cases:
            status, _, body = post(url, payload)
            assert status == 400 and reason in body["message"], (payload, body)
        assert post(url, b"a,b", content_type="text/csv")[0] == 415
        assert post(url, {"inputs": [ROW] * 5})[0] == 200
        assert json.loads(_get(url + "/version")[2])["follows_alias"] is False


def test_alias_moves_during_a_load_loop_with_zero_failed_requests(served_project):
    """promote and rollback while 4 clients send requests: the server switches, nothing fails."""
    from prodkit.models import move_alias, rollback
    from prodkit.models.loadtest import run_levels

    body = json.dumps({"inputs": [ROW]}).encode()
    with running_server(served_project, "churn-clf@champion") as url:
        results = []
        loop = threading.Thread(target=lambda: results.extend(run_levels(url, body, [4], seconds=12, warmup=0)))
        loop.start()
        time.sleep(1.0)
        move_alias(NAME, 2, "champion", project=served_project)
        wait_for_version(url, "2")
        rollback(NAME, "champion", project=served_project)
        wait_for_version(url, "1")
        loop.join(timeout=60)
        (level,) = results
        assert level.failed == 0, level.errors
        assert level.requests > 50
        assert set(level.versions) == {"1", "2"}  # answers came from both versions
        swaps = json.loads(_get(url + "/version")[2])["swaps"]
        assert [(s["from"], s["to"]) for s in swaps] == [("1", "2"), ("2", "1")]


def test_loadtest_is_stored_on_the_version_and_read_by_biz01(served_project):
    from prodkit.config import load_project
    from prodkit.models import tags as T
    from prodkit.models.registry import show
    from prodkit.readiness import check_notebook
    from prodkit.readiness.business import set_business

    with running_server(served_project, "churn-clf@champion") as url:
        done = subprocess.run([PRODKIT, "models", "loadtest", "churn-clf@champion", "--url", url, "-c", "1,2",
                               "-s", "1", "--json"], cwd=served_project.root, capture_output=True, text=True,
                              timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert [lv["concurrency"] for lv in result["levels"]] == [1, 2]
    assert all(lv["failed"] == 0 and lv["p95_ms"] > 0 for lv in result["levels"])
    champion = show(NAME, "champion", project=served_project)
    stored = T.load_json(champion.tags, T.LOADTEST)
    assert stored["levels"][0]["p95_ms"] == result["levels"][0]["p95_ms"]
    p95 = stored["levels"][0]["p95_ms"]

    notebook = served_project.nbs_path / "train.ipynb"
    set_business(served_project.root, {"kpi": "churn", "target": "-2 pts", "owner": "jane",
                                       "latency_budget_ms": str(p95 / 2)})
    check = check_notebook(notebook, project=load_project(served_project.root), only=["BIZ-01"]).checks[0]
    assert check.status == "fail" and f"v{champion.version} served p95" in check.message
    set_business(served_project.root, {"latency_budget_ms": str(p95 * 2)})
    check = check_notebook(notebook, project=load_project(served_project.root), only=["BIZ-01"]).checks[0]
    assert check.status == "pass" and "served p95 (load test, concurrency 1)" in check.message


def test_loadtest_only_targets_loopback(served_project):
    done = subprocess.run([PRODKIT, "models", "loadtest", "churn-clf@champion", "--url", "http://10.1.2.3:5000"],
                          cwd=served_project.root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "invalid --url" in done.stderr


@pytest.mark.gpu
def test_serve_runs_on_cuda_when_present(served_project):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    with running_server(served_project, "churn-clf@champion") as url:
        assert json.loads(_get(url + "/version")[2])["device"] == "cuda"
        status, _, body = post(url, {"inputs": [ROW]})
        assert status == 200 and len(body["predictions"]) == 1
