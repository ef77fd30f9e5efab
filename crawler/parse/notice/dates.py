"""Dates as Chinese government pages write them, to ISO 8601 (Asia/Shanghai, '+08:00')."""

from __future__ import annotations

import re

_CN_DIGIT = {
    "〇": 0,
    "○": 0,
    "零": 0,
    "Ｏ": 0,
    "O": 0,
    "o": 0,
    "0": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN = "〇○零Ｏ一二三四五六七八九十"

_TIME = r"(?:[\sT\-]{0,3}(?P<H>[01]?\d|2[0-3])\s*[:：时]\s*(?P<M>[0-5]\d)(?:\s*[:：分]\s*(?P<S>[0-5]\d))?)?"
# A date written in numbers (2021-09-24, 2021/9/24, 2021.09.24, 2021年9月24日): the one pattern,
# for a notice's dates here and a listing's (crawler/parse/listing/generic.py).
NUMERIC_DATE = (
    r"(?<!\d)(?P<y>(?:19|20)\d\d)\s*(?P<s1>[-/.年])\s*(?P<m>\d{1,2})\s*(?P<s2>[-/.月])\s*"
    r"(?P<d>\d{1,2})(?!\d)\s*日?"
)
_NUMERIC = NUMERIC_DATE + _TIME
_CHINESE = rf"(?P<cy>[{_CN}]{{4}})\s*年\s*(?P<cm>[{_CN}]{{1,2}})\s*月\s*(?P<cd>[{_CN}]{{1,3}})\s*日"
_DATE_RE = re.compile(rf"{_NUMERIC}|{_CHINESE}")
# A month-precision dateline, only when it stands alone: '（2023年5月）', '二〇二三年五月'.
_MONTH_RE = re.compile(
    rf"[\s(（\[【]*(?:(?P<y>(?:19|20)\d\d)|(?P<cy>[{_CN}]{{4}}))\s*年\s*"
    rf"(?:(?P<m>\d{{1,2}})|(?P<cm>[{_CN}]{{1,2}}))\s*月份?[\s)）\]】]*"
)
_FULLWIDTH = str.maketrans("０１２３４５６７８９：－／．", "0123456789:-/.")


def _cn_number(s: str) -> int | None:
    """二十四 -> 24, 十 -> 10, 三十一 -> 31, 〇九 -> 9."""
    if "十" in s:
        head, _, tail = s.partition("十")
        tens = _CN_DIGIT.get(head, -1) if head else 1
        units = _CN_DIGIT.get(tail, -1) if tail else 0
        if tens < 0 or units < 0 or len(tail) > 1 or len(head) > 1:
            return None
        return tens * 10 + units
    n = 0
    for ch in s:
        v = _CN_DIGIT.get(ch)
        if v is None:
            return None
        n = n * 10 + v
    return n


def _valid(y: int, m: int, d: int) -> bool:
    if not (1900 <= y <= 2100 and 1 <= m <= 12 and 1 <= d <= 31):
        return False
    if m == 2:
        leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
        return d <= (29 if leap else 28)
    return d <= 30 if m in (4, 6, 9, 11) else True


def _iter_dates(text: str):
    for m in _DATE_RE.finditer(text):
        if m.group("y"):
            if m.group("s1") in "-/." and m.group("s1") != m.group("s2"):
                continue  # 2021-09/24 is not a date
            if m.group("s1") == "年" and m.group("s2") != "月":
                continue
            y, mo, d = int(m.group("y")), int(m.group("m")), int(m.group("d"))
            hh, mm, ss = m.group("H"), m.group("M"), m.group("S")
        else:
            y = _cn_number(m.group("cy"))
            mo = _cn_number(m.group("cm"))
            d = _cn_number(m.group("cd"))
            if y is None or mo is None or d is None:
                continue
            hh = mm = ss = None
        if not _valid(y, mo, d):
            continue
        date = f"{y:04d}-{mo:02d}-{d:02d}"
        if hh is None:
            yield date
            continue
        h, mi, s = int(hh), int(mm), int(ss or 0)
        if (h, mi, s) == (23, 59, 59):
            yield date  # a placeholder time
        else:
            yield f"{date}T{h:02d}:{mi:02d}:{s:02d}+08:00"


def _month_only(text: str) -> str | None:
    m = _MONTH_RE.fullmatch(text)
    if not m:
        return None
    y = int(m.group("y")) if m.group("y") else _cn_number(m.group("cy"))
    mo = int(m.group("m")) if m.group("m") else _cn_number(m.group("cm"))
    if y is None or mo is None or not _valid(y, mo, 1):
        return None
    return f"{y:04d}-{mo:02d}"


def parse_date(text: str | None) -> str | None:
    """The first date in `text` as ISO 8601: '2021-09-24' or '2021-09-24T16:12:00+08:00'.

    A text that is only a month dateline, '（2023年5月）', gives '2023-05'."""
    if not text:
        return None
    text = text.translate(_FULLWIDTH)
    return next(_iter_dates(text), None) or _month_only(text)


def parse_dates(text: str | None) -> list[str]:
    """Every date in `text`, in order."""
    if not text:
        return []
    return list(_iter_dates(text.translate(_FULLWIDTH)))


_ALONE_RE = re.compile(rf"[\s\[【(（]*(?:{_NUMERIC})[\s\]】)）]*")


def date_alone(text: str | None) -> str | None:
    """The date `text` is, when it is a date and nothing else ('2021年06月10日 17:35',
    '[2021-06-10]'); else None."""
    if not text or len(text) > 40:
        return None
    text = text.translate(_FULLWIDTH)
    return parse_date(text) if _ALONE_RE.fullmatch(text) else None


def date_only(iso: str | None) -> str | None:
    return iso[:10] if iso else None
