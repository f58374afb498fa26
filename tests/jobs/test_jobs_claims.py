"""Claiming slots in the store (no notebooks run): catch-up policies, pause, and two scheduler
processes on one store over many slots without a double claim."""

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from jobs.jobs_helpers import cli_env

from prodkit.jobs.api import add_job, open_store, pause_job, resume_job
from prodkit.jobs.records import TRIGGER_CATCHUP, TRIGGER_SCHEDULE
from prodkit.jobs.scheduler import Scheduler

T0 = datetime(2026, 1, 5, 5, 59, 30, tzinfo=UTC).timestamp()


def scheduler(project, **kw) -> Scheduler:
    return Scheduler(project, store=open_store(project), concurrency=1, **kw)


def runs(project, job):
    with open_store(project) as store:
        return sorted(store.history(job, 10_000), key=lambda r: r.scheduled_for)


def test_slot_claimed_once_then_ignored(backend_project, nb):
    add_job("hourly", nb("a", ["pass"]), "0 * * * *", now=T0)
    s1, s2 = scheduler(backend_project), scheduler(backend_project)
    assert s1.claim(now=T0 + 40) != []  # 06:00:10
    assert s2.claim(now=T0 + 41) == []
    assert s1.claim(now=T0 + 50) == []
    [run] = runs(backend_project, "hourly")
    assert run.trigger == TRIGGER_SCHEDULE and run.status == "queued"


@pytest.mark.parametrize("policy, expected", [("once", 1), ("all", 5), ("none", 0)])
def test_missed_slots_follow_the_catch_up_policy(backend_project, nb, policy, expected):
    add_job("hourly", nb("a", ["pass"]), "0 * * * *", catch_up=policy, now=T0)
    # No scheduler ran from 06:00 to 10:00; one starts at 10:30: slots 06..10 were missed.
    scheduler(backend_project).claim(now=T0 + 4.5 * 3600)
    got = runs(backend_project, "hourly")
    assert len(got) == expected
    assert all(r.trigger == TRIGGER_CATCHUP for r in got)
    if policy == "once":
        assert datetime.fromtimestamp(got[0].scheduled_for, UTC).hour == 10  # the latest missed slot


def test_paused_job_is_not_claimed_and_resume_skips_the_pause(backend_project, nb):
    add_job("hourly", nb("a", ["pass"]), "0 * * * *", now=T0)
    pause_job("hourly", project=backend_project)
    assert scheduler(backend_project).claim(now=T0 + 3 * 3600) == []
    resume_job("hourly", project=backend_project)  # resumes from the real now, far after T0
    assert scheduler(backend_project).claim(now=T0 + 4 * 3600) == []
    assert runs(backend_project, "hourly") == []


CLAIMER = r"""
import json, sys
from prodkit.config import load_project
from prodkit.jobs.scheduler import Scheduler
root, t0, n = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
s = Scheduler(load_project(root), concurrency=1, grace_s=10**9)
won = []
for i in range(n):
    won += s.claim(now=t0 + 30 + i * 60)
print(json.dumps(won))
"""


def test_two_scheduler_processes_never_claim_a_slot_twice(backend_project, nb):
    jobs = [f"job{i}" for i in range(4)]
    for job in jobs:
        add_job(job, nb(job, ["pass"]), "* * * * *", catch_up="all", now=T0)
    minutes = 300
    procs = [subprocess.Popen([sys.executable, "-c", CLAIMER, str(backend_project.root), str(T0), str(minutes)],
                              env=cli_env(), stdout=subprocess.PIPE, text=True) for _ in range(2)]
    won = [json.loads(p.communicate(timeout=300)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert not set(won[0]) & set(won[1])
    with open_store(backend_project) as store:
        for job in jobs:
            counts = store.count_slots(job)
            assert len(counts) == minutes and set(counts.values()) == {1}
    assert len(won[0]) + len(won[1]) == minutes * len(jobs)


@pytest.mark.parametrize("night", ["2026-03-29", "2026-10-25"])  # London: clocks forward, then back
def test_scheduler_clock_over_a_dst_night_neither_skips_nor_doubles(backend_project, nb, night):
    start = datetime.fromisoformat(f"{night}T00:00:00+00:00").timestamp() - 2 * 86400
    add_job("daily", nb("d", ["pass"]), "30 1 * * *", tz="Europe/London", now=start)
    add_job("hourly", nb("h", ["pass"]), "15 * * * *", tz="Europe/London", now=start)
    sched = scheduler(backend_project, grace_s=600)
    for step in range(4 * 24 * 6):  # four days, a tick every ten minutes
        sched.claim(now=start + 600 * (step + 1))
    daily = runs(backend_project, "daily")
    days = [datetime.fromtimestamp(r.scheduled_for, UTC).date() for r in daily]
    assert len(days) == 4 and len(set(days)) == 4  # one 01:30 per local day, including the DST day
    hourly = [r.scheduled_for for r in runs(backend_project, "hourly")]
    assert {b - a for a, b in zip(hourly, hourly[1:], strict=False)} == {3600.0}  # every real hour, once
    assert {r.trigger for r in daily + runs(backend_project, "hourly")} == {TRIGGER_SCHEDULE}  # none late


def test_once_after_a_long_outage_runs_the_latest_slot_and_next_due_is_after_now(backend_project, nb):
    add_job("often", nb("a", ["pass"]), "*/5 * * * *", catch_up="once", now=T0)
    now = T0 + 40 * 86400 + 210  # 40 days later, 06:03: past the grace of the 06:00 slot
    scheduler(backend_project).claim(now=now)
    [run] = runs(backend_project, "often")
    assert run.trigger == TRIGGER_CATCHUP and run.scheduled_for == T0 + 40 * 86400 + 30  # 06:00, the latest slot
    with open_store(backend_project) as store:
        assert store.get_job("often").next_due == T0 + 40 * 86400 + 330  # 06:05


def test_one_job_that_cannot_be_planned_does_not_stop_the_others(backend_project, nb):
    from dataclasses import replace

    from prodkit.jobs.api import get_job

    add_job("good", nb("a", ["pass"]), "0 * * * *", now=T0)
    bad = replace(get_job("good", project=backend_project), name="bad", cron="0 6 30 2 *")  # stored before validation knew
    with open_store(backend_project) as store:
        store.add_job(bad, now=T0, next_due=T0)
    lines: list[str] = []
    s = scheduler(backend_project, log=lines.append)
    assert len(s.claim(now=T0 + 40)) == 1
    assert [r.job for r in runs(backend_project, "good")] == ["good"] and runs(backend_project, "bad") == []
    s.claim(now=T0 + 50)
    assert len([line for line in lines if line.startswith("job bad skipped")]) == 1  # logged once, not every tick
