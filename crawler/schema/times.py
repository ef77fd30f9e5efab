"""Times: observed times are RFC 3339 UTC; what sites print is China's time, +08:00. Pure."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone

from dateutil import parser as dateparser

# China Standard Time, a fixed +08:00 (as crawler/parse/notice/dates.py writes what sites print):
# not the tz database's Asia/Shanghai, whose 1900 is local mean time (+08:05:43) and whose
# summers of 1986-1991 are +09:00.
SHANGHAI = timezone(timedelta(hours=8), "+08:00")


def utcnow() -> str:
    """Now, as the archive records every observation (`format_utc`)."""
    return format_utc(datetime.now(UTC))


def format_utc(dt: datetime, timespec: str = "milliseconds") -> str:
    """RFC 3339 in UTC with a `Z`: to the millisecond as the archive records times (they sort
    as text), or to the `seconds` where a person reads them (the scheduler's log)."""
    return dt.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def parse_utc(at: str) -> datetime:
    """An RFC 3339 time the archive recorded (`Z` or an offset) as a datetime; ValueError when
    it is not one.  A time without an offset stays naive: the caller says what it means."""
    return datetime.fromisoformat(at.replace("Z", "+00:00"))


def local_day(at: str) -> str:
    """The date in China (YYYY-MM-DD, +08:00) of an RFC 3339 time."""
    return parse_utc(at).astimezone(SHANGHAI).date().isoformat()


_PERIOD = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def parse_user_time(text: str, *, end_of_day: bool = False) -> str:
    """A time a user typed (--since, --as-of ...) as RFC 3339 UTC.

    Without an offset it means China's time, +08:00.  A year, a month or a day alone (2021,
    2021-09, 2021-09-30) means the start of that period, or with `end_of_day` its end (--as-of
    2021 is the archive at the close of 2021, not on 1 January)."""
    text = text.strip()
    bad = ValueError(f"not a date or time: {text!r} (use e.g. 2021-09-30 or 2021-09-30T12:00)")
    period = _PERIOD.fullmatch(text)
    if period:
        year, month, day = (int(g) if g else None for g in period.groups())
        try:
            start = date(year, month or 1, day or 1)
        except ValueError:
            raise bad from None
        if not end_of_day:
            dt = datetime.combine(start, time.min)
        else:
            if day:
                last = start
            elif month:
                last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
            else:
                last = date(year, 12, 31)
            dt = datetime.combine(last, time.max)
        return format_utc(dt.replace(tzinfo=SHANGHAI))
    if not re.match(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text):
        raise bad
    try:
        dt = dateparser.isoparse(text.replace(" ", "T", 1))
    except ValueError:
        raise bad from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=SHANGHAI)
    return format_utc(dt)


def shanghai_today() -> str:
    """Today's date in Asia/Shanghai (YYYY-MM-DD): the day a 公示 window is counted in."""
    return datetime.now(SHANGHAI).date().isoformat()


def shanghai_minute(at: str | None) -> str:
    """An archive time (RFC 3339 UTC) as Asia/Shanghai, to the minute: '2026-03-02 04:00'."""
    if not at:
        return ""
    try:
        return parse_utc(at).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return at
