"""Concurrent registry writes from real processes on one real sqlite MLflow store (issue 11, findings 8 and 9)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from prodkit.models import register_model

# Each process opens the store (imports mlflow), says it is ready, waits for "go", then acts.
_PREAMBLE = """
import sys, time
from pathlib import Path
from prodkit.models.registry import as_project
from prodkit.models.tracking import open_store
open_store(as_project(None))
ready, go = Path(sys.argv[1]), Path(sys.argv[2])
"""
_AFTER_READY = """
ready.touch()
while not go.exists():
    time.sleep(0.005)
"""

PROMOTE = _PREAMBLE + _AFTER_READY + """
from prodkit.cli import app
app(sys.argv[3:], prog_name="prodkit")
"""

REGISTER = _PREAMBLE + """
import torch
from prodkit.models import register_model
torch.manual_seed(int(sys.argv[3]))
model = torch.nn.Linear(4, 1)
example = torch.randn(8, 4)
""" + _AFTER_READY + """
print(register_model(model, sys.argv[4], example=example, parity=False, benchmark=False).version)
"""


def run_together(folder: Path, script: str, argvs: list[list[str]], timeout: float = 180) -> list[tuple[int, str, str]]:
    """Start one process per argv, release them at the same instant, and collect (rc, stdout, stderr)."""
    go = folder / "go"
    procs = []
    for i, argv in enumerate(argvs):
        ready = folder / f"ready-{i}"
        procs.append((ready, subprocess.Popen([sys.executable, "-c", script, str(ready), str(go), *argv], cwd=folder,
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    deadline = time.monotonic() + timeout
    try:
        while not all(ready.exists() or p.poll() is not None for ready, p in procs):
            assert time.monotonic() < deadline, "processes did not get ready"
            time.sleep(0.05)
        go.touch()
        return [(p.wait(timeout=max(1.0, deadline - time.monotonic())), *p.communicate()) for _ready, p in procs]
    finally:
        for _ready, p in procs:
            if p.poll() is None:
                p.kill()


@pytest.mark.slow
def test_finding_08_concurrent_promotes_keep_the_best_and_every_move_in_the_history(model_project, registry, mlp,
                                                                                   x_val):
    """Three processes promote v2 (0.85), v3 (0.95) and v4 (0.90) over v1 (0.80) at once. Each gate runs
    against the champion at commit time, so v3 always ends as champion, each recorded move was gated
    against the version it replaced, and rollback goes back through every move, one at a time."""
    from prodkit.models.gate import history, move_alias, rollback

    for auc in (0.80, 0.85, 0.95, 0.90):
        register_model(mlp, "churn-clf", example=x_val[:8], metrics={"auc": auc})
    move_alias("churn-clf", 1, approved_by="lead")

    candidates = ["2", "3", "4"]
    results = run_together(model_project.root, PROMOTE, [
        ["models", "gate", "churn-clf", v, "--alias", "champion", "--approved-by", f"p{v}"] for v in candidates])
    for (rc, _out, err), v in zip(results, candidates, strict=True):
        assert rc in (0, 1), f"v{v}: {err[-2000:]}"
        assert rc == 0 or "cannot become @champion" in err, err[-2000:]
    promoted = {v for (rc, _o, _e), v in zip(results, candidates, strict=True) if rc == 0}

    assert str(registry.get_registered_model("churn-clf").aliases["champion"]) == "3"
    moves = history("churn-clf")
    assert [m["to"] for m in moves][0] == "1" and len(moves) == 1 + len(promoted)
    assert {m["to"] for m in moves[1:]} == promoted
    for before, move in zip(moves, moves[1:], strict=False):
        assert move["from"] == before["to"], moves  # gated against the champion it replaced
        (metric,) = [c for c in move["gate"] if c["name"] == "primary metric"]
        assert metric["status"] == "pass" and f"of v{before['to']}" in metric["detail"]
        assert move["by"] == f"p{move['to']}" and move["at"]
    assert [m["seq"] for m in moves] == list(range(1, len(moves) + 1))

    walked = [rollback("churn-clf").version for _ in moves[1:]]
    assert walked == [m["to"] for m in moves][-2::-1]
    with pytest.raises(Exception, match="no earlier version"):
        rollback("churn-clf")
    assert len(history("churn-clf")) == 2 * len(moves) - 1  # the rollbacks are moves too


@pytest.mark.slow
def test_finding_09_concurrent_first_registrations_of_a_new_name_all_succeed(model_project, registry):
    """Four processes register the first versions of one new name at the same instant: creating the
    registered model is create-or-get, so none fails with 'already exists' and none deletes the model."""
    results = run_together(model_project.root, REGISTER, [[str(i), "fresh-clf"] for i in range(4)])
    for rc, out, err in results:
        assert rc == 0, err[-2000:]
        assert "already exists" not in out + err
    assert sorted(out.strip().splitlines()[-1] for _rc, out, _err in results) == ["1", "2", "3", "4"]
    assert [m.name for m in registry.search_registered_models()] == ["fresh-clf"]
    assert sorted(str(v.version) for v in registry.search_model_versions("name = 'fresh-clf'")) == ["1", "2", "3", "4"]


def test_finding_09_a_model_created_meanwhile_by_another_process_is_used_not_deleted(model_project, registry, mlp,
                                                                                      x_val, monkeypatch):
    """The interleaving of the race, made deterministic: another process creates the registered model
    while this one is logging. This call registers its version into it and deletes nothing."""
    import prodkit.models.register as register

    real_log_model = register._log_model

    def log_then_another_process_creates_the_model(*args, **kwargs):
        logged = real_log_model(*args, **kwargs)
        registry.create_registered_model("shared-clf", description="made by the other process")
        return logged

    monkeypatch.setattr(register, "_log_model", log_then_another_process_creates_the_model)
    result = register_model(mlp, "shared-clf", example=x_val[:8], parity=False, benchmark=False)
    assert result.version == "1"
    model = registry.get_registered_model("shared-clf")
    assert model.description == "made by the other process"
    assert [str(v.version) for v in registry.search_model_versions("name = 'shared-clf'")] == ["1"]


_TRY_LOCK = """
import sys
from filelock import FileLock, Timeout
try:
    FileLock(sys.argv[1]).acquire(timeout=0.2)
except Timeout:
    print("held")
else:
    print("free")
"""


def test_init_lock_keeps_another_process_out_until_released(empty_project):
    """The first-use lock of a fresh sqlite store (now filelock, was fcntl by hand) excludes another
    process while held and lets it in after."""
    from prodkit.models.tracking import _init_lock

    lock_file = empty_project.state_dir / "mlflow.db.lock"

    def other_process() -> str:
        return subprocess.run([sys.executable, "-c", _TRY_LOCK, str(lock_file)], capture_output=True,
                              text=True, timeout=30, check=True).stdout.strip()

    with _init_lock(empty_project):
        assert other_process() == "held"
    assert other_process() == "free"
