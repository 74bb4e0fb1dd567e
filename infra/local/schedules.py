"""EventBridge schedules run locally: ``rate(...)`` and ``cron(...)`` on a timer, or on demand.

The runner fires each of the template's Schedule events with the same event EventBridge
sends, so a scheduled job can be tried locally without waiting for its hour.
"""

from __future__ import annotations

import calendar
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from infra.local.events import schedule_event

logger = logging.getLogger(__name__)

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {name.upper(): i for i, name in enumerate(calendar.month_abbr) if name}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
# (low, high, names) per cron field, in EventBridge order.
_FIELDS: list[tuple[str, int, int, dict[str, int]]] = [
    ("minutes", 0, 59, {}),
    ("hours", 0, 23, {}),
    ("day-of-month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 1, 7, _DAYS),
    ("year", 1970, 2199, {}),
]


class UnsupportedScheduleError(ValueError):
    """An expression the local runner cannot time (it can still be fired on demand)."""


class Timer:
    """When a schedule fires next, after a given moment."""

    def next_after(self, moment: datetime) -> datetime:
        raise NotImplementedError


@dataclass(frozen=True)
class RateTimer(Timer):
    seconds: int

    def next_after(self, moment: datetime) -> datetime:
        return moment + timedelta(seconds=self.seconds)


def _number(token: str, names: dict[str, int], expression: str) -> int:
    token = token.upper()
    if token in names:
        return names[token]
    if not token.isdigit():
        raise UnsupportedScheduleError(f"{expression}: '{token}' is not supported locally (L, W and # are not)")
    return int(token)


def _field_values(text: str, low: int, high: int, names: dict[str, int], expression: str) -> frozenset[int]:
    """One cron field as the set of values it matches: ``*``, ``?``, lists, ranges, steps."""
    values: set[int] = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if base in ("*", "?"):
            start, end = low, high
        elif "-" in base:
            first, last = base.split("-", 1)
            start, end = _number(first, names, expression), _number(last, names, expression)
        else:
            start = _number(base, names, expression)
            end = high if step_text else start
        if not low <= start <= end <= high or step < 1:
            raise UnsupportedScheduleError(f"{expression}: '{item}' is out of range {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class CronTimer(Timer):
    """EventBridge's six-field cron, in UTC: minutes hours day-of-month month day-of-week year."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # EventBridge numbering: 1 = Sunday ... 7 = Saturday
    years: frozenset[int]

    @classmethod
    def parse(cls, body: str, expression: str) -> CronTimer:
        parts = body.split()
        if len(parts) != len(_FIELDS):
            raise UnsupportedScheduleError(f"{expression}: cron needs 6 fields, got {len(parts)}")
        sets = [_field_values(part, low, high, names, expression)
                for part, (_, low, high, names) in zip(parts, _FIELDS, strict=True)]  # fmt: skip
        return cls(*sets)

    def _day_matches(self, moment: datetime) -> bool:
        weekday = (moment.weekday() + 1) % 7 + 1  # Python: Monday = 0; EventBridge: Sunday = 1
        return moment.day in self.days and weekday in self.weekdays

    def next_after(self, moment: datetime) -> datetime:
        """The first matching minute strictly after ``moment``, skipping whole days and hours."""
        at = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        while at.year <= max(self.years):
            if at.year not in self.years:
                at = at.replace(year=at.year + 1, month=1, day=1, hour=0, minute=0)
            elif at.month not in self.months:
                at = (at.replace(day=1) + timedelta(days=32)).replace(day=1, hour=0, minute=0)
            elif not self._day_matches(at):
                at = at.replace(hour=0, minute=0) + timedelta(days=1)
            elif at.hour not in self.hours:
                at = at.replace(minute=0) + timedelta(hours=1)
            elif at.minute not in self.minutes:
                at += timedelta(minutes=1)
            else:
                return at
        raise UnsupportedScheduleError("the cron expression never fires again")


def parse_expression(expression: str) -> Timer:
    """A timer for ``rate(5 minutes)``, ``rate(1 hour)``, ``cron(0 3 * * ? *)`` and the like."""
    text = expression.strip()
    rate = _RATE.match(text)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2).rstrip("s")
        if value < 1:
            raise UnsupportedScheduleError(f"{expression}: the rate must be at least 1")
        return RateTimer(value * _UNIT_SECONDS[unit])
    cron = _CRON.match(text)
    if cron:
        return CronTimer.parse(cron.group(1), expression)
    raise UnsupportedScheduleError(f"{expression}: not a rate(...) or cron(...) expression")


@dataclass
class ScheduledJob:
    """One schedule: what to call, when it fires next, and how its last run went."""

    name: str
    expression: str
    target: str  # the function's logical id, for display
    invoke: Callable[[dict[str, Any]], Any]
    timer: Timer | None = None
    problem: str | None = None
    next_at: datetime | None = None
    runs: int = 0
    last: dict[str, Any] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        try:
            self.timer = parse_expression(self.expression)
        except UnsupportedScheduleError as exc:
            self.problem = str(exc)

    def fire(self, trigger: str) -> dict[str, Any]:
        """Invoke the handler with an EventBridge scheduled event; the outcome, never an exception."""
        started_at, started = _iso(datetime.now(UTC)), time.perf_counter()
        try:
            result = self.invoke(schedule_event(self.name))
        except Exception as exc:
            logger.exception("schedule %s failed", self.name)
            outcome: dict[str, Any] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        else:
            outcome = {"ok": True, "result": result if _is_json(result) else repr(result)}
        outcome = {"name": self.name, "trigger": trigger, "firedAt": started_at,
                   "durationMs": round((time.perf_counter() - started) * 1000), **outcome}  # fmt: skip
        with self._lock:
            self.runs += 1
            self.last = outcome
        return outcome

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "expression": self.expression, "function": self.target,
                "nextRunAt": _iso(self.next_at) if self.next_at else None, "timed": self.timer is not None,
                "problem": self.problem, "runs": self.runs, "lastRun": self.last}  # fmt: skip


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _is_json(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | list | dict)


class Scheduler(threading.Thread):
    """Fires every timed job when it is due; one thread for all of them."""

    def __init__(self, jobs: list[ScheduledJob], stop: threading.Event, *, clock: Callable[[], datetime] | None = None):
        super().__init__(name="scheduler", daemon=True)
        self.jobs = {job.name: job for job in jobs}
        self.stop_event = stop
        self.clock = clock or (lambda: datetime.now(UTC))
        now = self.clock()
        for job in jobs:
            job.next_at = job.timer.next_after(now) if job.timer else None

    def fire(self, name: str) -> dict[str, Any] | None:
        """Run one job now (the dev route); None when there is no such job."""
        job = self.jobs.get(name)
        return job.fire("manual") if job else None

    def run(self) -> None:
        while not self.stop_event.is_set():
            due = [job for job in self.jobs.values() if job.next_at is not None]
            if not due:
                self.stop_event.wait()
                return
            soonest = min(due, key=lambda job: job.next_at or datetime.max.replace(tzinfo=UTC))
            wait = ((soonest.next_at or self.clock()) - self.clock()).total_seconds()
            if wait > 0 and self.stop_event.wait(min(wait, 1.0)):
                return
            if wait > 0:
                continue
            soonest.fire("schedule")
            if soonest.timer is not None:
                soonest.next_at = soonest.timer.next_after(max(self.clock(), soonest.next_at or self.clock()))
