"""When a site is crawled next: its schedule and its offset in it.  Pure (no Scrapy, no SQLite).

A schedule is `daily` (the default), `hourly`, `weekly`, an interval (`6h`, `every 30m`,
`90s`, `2d`) or a cron line (`0 7 * * 1-5`, read in Asia/Shanghai, the sites' time).

Due times sit on a fixed grid — an interval's multiples from midnight, Asia/Shanghai, 1 January
1970; a cron line's times — each moved by an offset drawn from the site key: anywhere in an
interval's period (so a registry's daily sites are spread over the day, not queued at
midnight), at most 10 minutes for a cron line (which names its time).  A restarted scheduler
computes the same times again, and a crawl that started late does not push the next ones later
(no drift).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT = "daily"
MAX_SPREAD = timedelta(minutes=10)
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
        """The first time of the schedule after `last` (before the site's offset)."""
        if self.cron is None:
            periods = (last - EPOCH) // self.period + 1
            return EPOCH + periods * self.period
        from cronsim import CronSim

        return next(iter(CronSim(self.cron, last.astimezone(SHANGHAI))))

    def max_offset(self) -> timedelta:
        """An interval's sites are spread over the whole period; a cron line's by at most a
        tenth of its shortest gap and 10 minutes (it names the time)."""
        return self.period if self.cron is None else self.max_spread()

    def max_spread(self) -> timedelta:
        return min(self.period / 10, MAX_SPREAD)

    def offset(self, key: str) -> timedelta:
        """The site's place in the period, in [0, max_offset): the same for the same key."""
        return _share(key, "offset", self.max_offset())

    def due(self, key: str, last_start: datetime | None, now: datetime) -> datetime:
        """When the site is due.  Never crawled: now, plus a spread of at most 10 minutes.
        Else the schedule's next time after the one its last run served (moved by the site's
        offset), and at least half a period after that run: a late start (a long queue, a
        crawl by hand) neither shifts later times nor makes two crawls in a row.  An overdue
        site (the scheduler was down) is due at once, and once, not once per missed period."""
        if last_start is None:
            return now + _share(key, "first", self.max_spread())
        j = self.offset(key)
        if self.cron is None:
            served = (last_start - EPOCH - j) // self.period
            nxt = EPOCH + j + (served + 1) * self.period
        else:
            nxt = self.next_after(last_start - j) + j
        return max(nxt, last_start + self.period / 2)


def _share(key: str, salt: str, span: timedelta) -> timedelta:
    """A duration in [0, span) drawn from the key: whole seconds."""
    h = int.from_bytes(hashlib.sha256(f"{key}\n{salt}".encode()).digest()[:8], "big")
    return timedelta(seconds=int((h / 2**64) * span.total_seconds()))


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
