"""Job kernels start without ipykernel's plain-TCP warning (issue 15, "What a user sees")."""

from __future__ import annotations

WARNING = "without encryption"


def test_finding_15_jobs_run_prints_and_logs_no_tcp_encryption_warning(backend_project, nb, cli):
    nb("quiet", ["print('ran', x)"])
    assert cli("jobs", "add", "quiet", "nbs/quiet.ipynb", "--cron", "0 6 * * *").returncode == 0
    done = cli("jobs", "run", "quiet")
    assert done.returncode == 0, done.stderr
    logs = "".join(p.read_text() for p in (backend_project.state_dir / "runs" / "quiet").glob("*.log"))
    assert WARNING not in done.stdout + done.stderr + logs
    assert "succeeded" in done.stdout
