"""Cron slots in the job's timezone, returned as UTC epoch seconds.

Each wall-clock time the expression names runs exactly once, whatever DST does:
croniter walks naive local times (no DST arithmetic), and each is placed on the UTC axis
with PEP 495 `fold=0`: an ambiguous time (autumn fall-back) is its first occurrence, a time
inside the spring-forward gap runs one gap later (02:30 -> 03:30). Times that land on the
same instant collapse into one slot.
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


def _to_utc(local: datetime, tz: ZoneInfo) -> float:
    return local.replace(tzinfo=tz, fold=0).timestamp()


def slots_between(expr: str, tz_name: str, after: float, until: float, limit: int = MAX_SLOTS) -> tuple[list[float], float]:
    """Slots in (after, until] and the first slot after `until`, as UTC epoch seconds."""
    tz = zone(tz_name)
    start_local = datetime.fromtimestamp(after, tz).replace(tzinfo=None)
    if _offset(tz, after - 3 * 3600) != _offset(tz, after):
        # Near a DST change: start early so a slot shifted forward out of the gap is not missed.
        start_local -= timedelta(hours=2)
    it = _walker(expr)
    it.set_current(start_local, force=True)
    slots: list[float] = []
    while True:
        ts = _to_utc(it.get_next(datetime), tz)
        if ts <= after or (slots and ts <= slots[-1]):
            continue
        if ts > until or len(slots) >= limit:
            return slots, ts
        slots.append(ts)


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
