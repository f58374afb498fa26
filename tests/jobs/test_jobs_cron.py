"""Cron slots in the job's timezone: DST neither skips nor doubles a run."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from prodkit.errors import BadInput
from prodkit.jobs.cron import slots_between, validate_cron


def ts(*args) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


def utc(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%m-%d %H:%M")


@pytest.mark.parametrize("expr", ["0 6 * *", "61 * * * *", "not cron", "* * * * * *", ""])
def test_invalid_cron_is_bad_input(expr):
    with pytest.raises(BadInput, match="invalid cron"):
        validate_cron(expr)


def test_daily_job_runs_once_per_day_across_both_london_dst_changes():
    # 01:30 does not exist on 2026-03-29 (clocks jump 01:00 -> 02:00) and happens twice on 2026-10-25.
    for start, end in ((ts(2026, 3, 26), ts(2026, 4, 2)), (ts(2026, 10, 22), ts(2026, 10, 29))):
        slots, _ = slots_between("30 1 * * *", "Europe/London", start, end)
        days = [utc(s)[:5] for s in slots]
        assert len(slots) == 7 and len(set(days)) == 7, [utc(s) for s in slots]
    spring, _ = slots_between("30 1 * * *", "Europe/London", ts(2026, 3, 29), ts(2026, 3, 30))
    assert [utc(s) for s in spring] == ["03-29 01:30"]  # 02:30 BST: one gap-length later, once
    autumn, _ = slots_between("30 1 * * *", "Europe/London", ts(2026, 10, 25), ts(2026, 10, 26))
    assert [utc(s) for s in autumn] == ["10-25 00:30"]  # the first 01:30 (BST), not again at 01:30 GMT


@pytest.mark.parametrize("day, hours", [("2026-03-29", 23), ("2026-10-25", 25)])
def test_hourly_job_runs_every_real_hour_through_dst(day, hours):
    # The London local day is 23 hours long in spring and 25 in autumn: an hourly job runs that often.
    start = datetime.fromisoformat(f"{day}T00:00:00").replace(tzinfo=ZoneInfo("Europe/London")).timestamp()
    end = (datetime.fromisoformat(f"{day}T00:00:00") + timedelta(days=1)).replace(
        tzinfo=ZoneInfo("Europe/London")).timestamp()
    for expr in ("15 * * * *", "15 0-23 * * *"):
        slots, _ = slots_between(expr, "Europe/London", start, end)
        assert len(slots) == hours
        assert {b - a for a, b in zip(slots, slots[1:], strict=False)} == {3600.0}


def test_fixed_hour_job_in_the_spring_gap_is_shifted_not_skipped():
    slots, _ = slots_between("30 2 * * *", "America/New_York", ts(2026, 3, 7, 12), ts(2026, 3, 9, 12))
    assert [utc(s) for s in slots] == ["03-08 07:30", "03-09 06:30"]  # 02:30 EST does not exist on 03-08


def test_next_due_is_first_slot_after_window():
    slots, next_due = slots_between("*/15 * * * *", "UTC", ts(2026, 1, 1, 6, 0), ts(2026, 1, 1, 7, 0))
    assert [utc(s) for s in slots] == ["01-01 06:15", "01-01 06:30", "01-01 06:45", "01-01 07:00"]
    assert utc(next_due) == "01-01 07:15"


def test_unknown_timezone_is_bad_input():
    with pytest.raises(BadInput, match="unknown timezone"):
        slots_between("0 6 * * *", "Mars/Olympus", 0, 100)


def test_hourly_slot_at_a_midnight_dst_gap_is_skipped_not_a_crash():
    # Chile springs forward at 00:00 on 2026-09-06: Sunday 00:00 does not exist; the next hourly slot is 01:00.
    from prodkit.jobs.cron import next_slot

    santiago = ZoneInfo("America/Santiago")
    after = datetime(2026, 9, 5, 12, tzinfo=santiago).timestamp()
    assert datetime.fromtimestamp(next_slot("0 * * * 0", "America/Santiago", after), santiago).isoformat() \
        == "2026-09-06T01:00:00-03:00"
    slots, _ = slots_between("0 * * * 0", "America/Santiago", after, after + 2 * 86400)
    assert len(slots) == 23  # the 23 real hours of that Sunday


def test_long_outage_keeps_the_latest_slots_and_next_due_follows_until():
    now = ts(2026, 6, 1, 12, 2)
    slots, next_due = slots_between("*/5 * * * *", "UTC", now - 40 * 86400, now)
    assert len(slots) == 10_000  # MAX_SLOTS
    assert utc(slots[-1]) == "06-01 12:00" and utc(next_due) == "06-01 12:05"
    assert {b - a for a, b in zip(slots, slots[1:], strict=False)} == {300.0}
