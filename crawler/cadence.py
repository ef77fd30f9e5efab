"""When a site is crawled next: its schedule, with jitter.  Pure (no Scrapy, no SQLite).

A schedule is `daily` (the default), `hourly`, `weekly`, an interval (`6h`, `every 30m`,
`90s`, `2d`) or a cron line (`0 7 * * 1-5`, read in Asia/Shanghai, the sites' time).

Due times sit on a fixed grid — an interval's multiples from midnight, Asia/Shanghai, 1 January
1970; a cron line's times — each moved by a jitter drawn from the site key, so the sites of a
registry are not all hit at once, a restarted scheduler computes the same times again, and a
crawl that started late does not push the next ones later (no drift).  The jitter is below a
tenth of the period and never more than 10 minutes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT = "daily"
MAX_JITTER = timedelta(minutes=10)
_NAMED = {"hourly": "1h", "daily": "1d", "weekly": "7d"}
_INTERVAL = re.compile(r"^(?:every\s+)?(\d+)\s*(s|m|h|d)$", re.I)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_PERIOD = timedelta(seconds=10)
MAX_PERIOD = timedelta(days=366)
EPOCH = datetime(1970, 1, 1, tzinfo=SHANGHAI)


class CadenceError(ValueError):
    """A schedule that cannot be read; the message says what is accepted."""


@dataclass(frozen=True)
class Cadence:
    spec: str
    period: timedelta  # the interval, or the shortest gap seen between cron times
    cron: str | None = None

    def next_after(self, last: datetime) -> datetime:
        """The first grid time after `last` (before jitter)."""
        if self.cron is None:
            periods = (last - EPOCH) // self.period + 1
            return EPOCH + periods * self.period
        from cronsim import CronSim

        return next(iter(CronSim(self.cron, last.astimezone(SHANGHAI))))

    def max_jitter(self) -> timedelta:
        return min(self.period / 10, MAX_JITTER)

    def jitter(self, key: str, salt: str = "") -> timedelta:
        """A delay in [0, max_jitter), always the same for the same site."""
        h = int.from_bytes(hashlib.sha256(f"{key}\n{salt}".encode()).digest()[:8], "big")
        span = self.max_jitter().total_seconds()
        return timedelta(seconds=int((h / 2**64) * span))

    def due(self, key: str, last_start: datetime | None, now: datetime) -> datetime:
        """When the site is due: `now` (plus jitter) when it was never crawled; else the grid
        time after its last run (its jitter taken off first), plus jitter, and at least half a
        period after it (a crawl by hand just before a grid time does not double it).  An
        overdue site (the scheduler was down) is due at once, and once, not once per missed
        period."""
        j = self.jitter(key)
        if last_start is None:
            return now + j
        base = last_start - j
        if self.cron is None:
            base += self.period / 2
        return self.next_after(base) + j


def parse_cadence(spec: str | None) -> Cadence:
    if spec is None:
        spec = DEFAULT
    if not isinstance(spec, str) or not spec.strip():
        raise CadenceError("give `daily`, `hourly`, an interval like `6h`, or a cron line")
    spec = spec.strip()
    named = _NAMED.get(spec.lower(), spec)
    m = _INTERVAL.match(named)
    if m:
        seconds = int(m.group(1)) * _UNITS[m.group(2).lower()]
        if seconds > MAX_PERIOD.total_seconds():
            raise CadenceError(f"{spec!r}: the longest interval is {MAX_PERIOD.days}d")
        period = timedelta(seconds=seconds)
        if period < MIN_PERIOD:
            raise CadenceError(f"{spec!r}: the shortest interval is {MIN_PERIOD.seconds}s")
        return Cadence(spec, period)
    if len(spec.split()) == 5:
        from cronsim import CronSim, CronSimError

        start = datetime(2026, 1, 1, tzinfo=SHANGHAI)
        try:
            it = CronSim(spec, start)
            times = [next(it) for _ in range(50)]
        except (CronSimError, StopIteration) as exc:
            raise CadenceError(f"{spec!r}: not a cron line ({exc})") from None
        gap = min(b - a for a, b in zip(times, times[1:], strict=False))
        return Cadence(spec, max(gap, timedelta(minutes=1)), cron=spec)
    raise CadenceError(
        f"{spec!r}: give `daily`, `hourly`, `weekly`, an interval like `6h` or `every 30m`,"
        " or a cron line like `0 7 * * *`"
    )
