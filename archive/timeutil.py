"""Times: observed times are RFC 3339 UTC; what sites print is Asia/Shanghai. Pure."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from dateutil import parser as dateparser

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> str:
    return format_utc(datetime.now(UTC))


def format_utc(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_user_time(text: str, *, end_of_day: bool = False) -> str:
    """A time a user typed (--since, --as-of ...) as RFC 3339 UTC.

    Without an offset it means Asia/Shanghai; a date alone means the start of that day
    (or its end, for --to / --as-of)."""
    text = text.strip()
    try:
        dt = dateparser.isoparse(text)
    except ValueError:
        raise ValueError(
            f"not a date or time: {text!r} (use e.g. 2021-09-30 or 2021-09-30T12:00)"
        ) from None
    date_only = len(text) <= 10
    if date_only:
        dt = datetime.combine(dt.date(), time.max if end_of_day else time.min)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=SHANGHAI)
    return format_utc(dt)
