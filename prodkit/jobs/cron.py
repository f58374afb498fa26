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

MAX_SLOTS = 10_000  # per call; guards `catch_up=all` after a long outage (the latest slots are kept)
_MARGIN = timedelta(hours=3)  # more than any DST change moves wall time


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
    """Slots in (after, until] (the latest `limit` of them) and the first slot after `until`, as UTC epoch seconds."""
    tz = zone(tz_name)
    every_hour = _walker_template(expr).expanded[1] == ["*"]
    if until - after > 86400:  # a long window (catch-up after an outage): its latest slots, the careful way
        return _latest(expr, tz, every_hour, after, until, limit), _careful(expr, tz, every_hour, until, until)[1]
    if not _near_dst_change(tz, after, until):
        found = _fast(expr, tz, after, until)
        if found is not None:
            return found[0][-limit:], found[1]
    inside, later = _careful(expr, tz, every_hour, after, until)
    return inside[-limit:], later


def _fast(expr: str, tz: ZoneInfo, after: float, until: float) -> tuple[list[float], float] | None:
    """No DST change near the window: local and UTC order agree, one instant per wall time.

    None when the walk reaches a wall time at a DST change (one that is missing or repeated).
    """
    it = _walker(expr)
    it.set_current(_local(after, tz), force=True)
    slots: list[float] = []
    while True:
        local = it.get_next(datetime)
        first, second = (local.replace(tzinfo=tz, fold=fold).timestamp() for fold in (0, 1))
        if first != second:
            return None
        if first <= after:
            continue
        if first > until:
            return slots, first
        slots.append(first)


def _careful(expr: str, tz: ZoneInfo, every_hour: bool, after: float, until: float) -> tuple[list[float], float]:
    """Around a DST change a later wall time can be an earlier instant: walk past the window, then sort.

    The walk goes on until a slot after `until` was seen and wall time is _MARGIN past it (a wall
    time in the spring gap has no instant, or one a gap later than the wall time that follows it).
    """
    it = _walker(expr)
    it.set_current(_local(after, tz) - _MARGIN, force=True)
    stop, seen_later = _local(until, tz) + _MARGIN, False
    found: set[float] = set()
    while True:
        local = it.get_next(datetime)
        if seen_later and local > stop:
            break
        instants = [ts for ts in _instants(local, tz, every_hour) if ts > after]
        found.update(instants)
        if not seen_later and any(ts > until for ts in instants):
            seen_later, stop = True, max(stop, local + _MARGIN)
    ordered = sorted(found)
    inside = [ts for ts in ordered if ts <= until]
    return inside, ordered[len(inside)]


def _latest(expr: str, tz: ZoneInfo, every_hour: bool, after: float, until: float, limit: int) -> list[float]:
    """The latest `limit` slots in (after, until], walking back from `until`."""
    it = _walker(expr)
    it.set_current(_local(until, tz) + _MARGIN, force=True)
    floor = _local(after, tz) - _MARGIN
    found: set[float] = set()
    while True:
        local = it.get_prev(datetime)
        if local < floor:
            break
        found.update(ts for ts in _instants(local, tz, every_hour) if after < ts <= until)
        if len(found) >= limit:  # enough: only wall times within _MARGIN can still be later instants
            floor = max(floor, local - _MARGIN)
    return sorted(found)[-limit:]


def _local(ts: float, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(ts, tz).replace(tzinfo=None)


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
