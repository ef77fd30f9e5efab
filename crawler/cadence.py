"""When a site is crawled next: its schedule, with jitter.  Pure (no Scrapy, no SQLite).

A schedule is `daily` (the default), `hourly`, `weekly`, an interval (`6h`, `every 30m`,
`90s`, `2d`) or a cron line (`0 7 * * 1-5`, read in Asia/Shanghai, the sites' time).

Each due time is delayed by a jitter drawn from the site key and the previous run, so the
sites of a registry are not all hit at once and a restarted scheduler computes the same
times again.  The jitter is below a tenth of the period and never more than 10 minutes.
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


class CadenceError(ValueError):
    """A schedule that cannot be read; the message says what is accepted."""


@dataclass(frozen=True)
class Cadence:
    spec: str
    period: timedelta  # the interval, or the shortest gap seen between cron times
    cron: str | None = None

    def next_after(self, last: datetime) -> datetime:
        """The first scheduled time after `last` (before jitter)."""
        if self.cron is None:
            return last + self.period
        from cronsim import CronSim

        return next(iter(CronSim(self.cron, last.astimezone(SHANGHAI))))

    def max_jitter(self) -> timedelta:
        return min(self.period / 10, MAX_JITTER)

    def jitter(self, key: str, salt: str = "") -> timedelta:
        """A delay in [0, max_jitter), the same for the same site and previous run."""
        h = int.from_bytes(hashlib.sha256(f"{key}\n{salt}".encode()).digest()[:8], "big")
        span = self.max_jitter().total_seconds()
        return timedelta(seconds=int((h / 2**64) * span))

    def due(self, key: str, last_start: datetime | None, now: datetime) -> datetime:
        """When the site is due: now (plus jitter) when it was never crawled; else the next
        scheduled time after its last run, plus jitter.  An overdue site (the scheduler was
        down) is due at once, and once, not once per missed period."""
        if last_start is None:
            return now + self.jitter(key, "first")
        return self.next_after(last_start) + self.jitter(key, last_start.isoformat())


def parse_cadence(spec: str | None) -> Cadence:
    if spec is None:
        spec = DEFAULT
    if not isinstance(spec, str) or not spec.strip():
        raise CadenceError("give `daily`, `hourly`, an interval like `6h`, or a cron line")
    spec = spec.strip()
    named = _NAMED.get(spec.lower(), spec)
    m = _INTERVAL.match(named)
    if m:
        period = timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2).lower()])
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
