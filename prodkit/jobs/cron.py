"""Cron slots in the job's timezone, returned as UTC epoch seconds.

The expression is read in the job's wall clock, and a DST change neither skips nor doubles a
run, as cron does it:
- a job at fixed hours (`30 1 * * *`) runs once per local day: on the autumn night at the
  first 01:30; on the spring night, when 01:30 does not exist, one gap later (02:30 BST);
- a job that runs every hour (`15 * * * *`, `*/10 * * * *`) keeps running every real hour:
  twice through the repeated autumn hour, and not at wall times that do not exist.
croniter walks naive local times (it does no DST arithmetic itself); PEP 495 `fold` places
each on the UTC axis. Instants that coincide collapse into one slot.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from prodkit.errors import BadInput

MAX_SLOTS = 10_000  # per call; guards `catch_up=all` after a long outage


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadInput(f"unknown timezone {name!r}", fix="use an IANA name such as UTC or Europe/London") from None


def validate_cron(expr: str) -> str:
    """A five-field cron expression croniter accepts (`0 6 * * *`, `*/15 * * * 1-5`)."""
    from croniter import croniter

    expr = " ".join(str(expr).split())
    if len(expr.split()) != 5 or not croniter.is_valid(expr):
        raise BadInput(f"invalid cron expression {expr!r}",
                       fix='use five fields: minute hour day month weekday, e.g. --cron "0 6 * * *"')
    return expr


def slots_between(expr: str, tz_name: str, after: float, until: float, limit: int = MAX_SLOTS) -> tuple[list[float], float]:
    """Slots in (after, until] and the first slot after `until`, as UTC epoch seconds."""
    tz = zone(tz_name)
    every_hour = _walker_template(expr).expanded[1] == ["*"]
    start_local = datetime.fromtimestamp(after, tz).replace(tzinfo=None)
    it = _walker(expr)
    if not _near_dst_change(tz, after, until):
        it.set_current(start_local, force=True)
        slots: list[float] = []
        while True:  # no DST change anywhere near: local and UTC order agree, one instant per time
            ts = _instants(it.get_next(datetime), tz, every_hour)[0]
            if ts <= after:
                continue
            if ts > until or len(slots) >= limit:
                return slots, ts
            slots.append(ts)
    # Around a DST change, a later wall time can be an earlier instant: collect past the window, then sort.
    it.set_current(start_local - timedelta(hours=2), force=True)
    stop_local = datetime.fromtimestamp(until, tz).replace(tzinfo=None) + timedelta(hours=2)
    found: set[float] = set()
    while True:
        local = it.get_next(datetime)
        found.update(ts for ts in _instants(local, tz, every_hour) if ts > after)
        if local > stop_local or len(found) > limit + 4:
            break
    ordered = sorted(found)
    later = [ts for ts in ordered if ts > until]
    inside = ordered[: len(ordered) - len(later)][:limit]
    return inside, later[0] if later else next_slot(expr, tz_name, stop_local.replace(tzinfo=tz).timestamp())


def _instants(local: datetime, tz: ZoneInfo, every_hour: bool) -> list[float]:
    """The UTC instants at which wall time `local` is a slot (see the module docstring)."""
    first = local.replace(tzinfo=tz, fold=0).timestamp()
    second = local.replace(tzinfo=tz, fold=1).timestamp()
    if first == second:
        return [first]
    exists = datetime.fromtimestamp(first, tz).replace(tzinfo=None) == local
    if exists:  # the repeated autumn hour
        return [first, second] if every_hour else [first]
    return [] if every_hour else [first]  # inside the spring gap: fold=0 lands one gap later


def _near_dst_change(tz: ZoneInfo, after: float, until: float) -> bool:
    if until - after > 86400:  # a long window (catch-up): check it all the careful way
        return True
    offsets = {_offset(tz, t) for t in (after - 3 * 3600, after, until, until + 3 * 3600)}
    return len(offsets) > 1


def _offset(tz: ZoneInfo, ts: float) -> timedelta | None:
    return datetime.fromtimestamp(ts, tz).utcoffset()


@lru_cache(maxsize=1024)
def _walker_template(expr: str):
    from croniter import croniter

    return croniter(expr, datetime(2000, 1, 1))


def _walker(expr: str):
    """A fresh croniter for `expr` without re-parsing it (parsing is most of croniter's cost)."""
    import copy

    return copy.copy(_walker_template(expr))


def next_slot(expr: str, tz_name: str, after: float) -> float:
    return slots_between(expr, tz_name, after, after)[1]


def utc_now() -> float:
    return datetime.now(UTC).timestamp()
