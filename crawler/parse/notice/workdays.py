"""Counting days the way Chinese notices count them (民法典 第201条: the start day is not counted).

Working days follow China's official holiday calendar (`chinese_calendar`, which knows the
adjusted working weekends); for a year it does not know, Monday to Friday, flagged approximate.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from chinese_calendar import is_workday as _cn_is_workday

__all__ = ["is_workday", "add_working_days", "add_calendar_days", "add_months"]


def is_workday(day: date) -> tuple[bool, bool]:
    """(is a working day, exact): exact is False when the official calendar lacks the year."""
    try:
        return bool(_cn_is_workday(day)), True
    except NotImplementedError:  # a year the installed calendar does not know yet
        return day.weekday() < 5, False


def add_working_days(start: date, n: int) -> tuple[date, bool]:
    """(the n-th working day after `start`, approximate). The start day itself is not counted."""
    day, approximate, left = start, False, n
    while left > 0:
        day += timedelta(days=1)
        work, exact = is_workday(day)
        approximate |= not exact
        if work:
            left -= 1
    return day, approximate


def add_calendar_days(start: date, n: int) -> date:
    """`start` + n days: n calendar days counted from the day after `start`."""
    return start + timedelta(days=n)


def add_months(start: date, n: int) -> date:
    """The corresponding day n months on (民法典 第202条), or that month's last day."""
    month0 = start.month - 1 + n
    year, month = start.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
