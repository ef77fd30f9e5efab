"""The objection / public-comment window a notice states (公示期, 异议期, 征求意见时间).

    find_objection_window(body, published) -> {"text", "start", "end", "days", "unit",
                                               "approximate"} | None

Pure: text in, dict out. The rules:

* A window is a date range, a deadline, a start date or a duration ("5个工作日", "十五日内",
  "一个月") said in an objection or comment context: 公示 / 异议 / 征求意见 / 意见反馈 / 听证 /
  公告期 in the same or one of the two preceding comma-clauses, or 异议 / 意见 / 反映 in the
  following one. Post-window wording (公示期满, 无异议, 经公示) is no context; a clause about a
  有效期 / 营业期限 / 工期 ... is never a window; plain 申报截止 deadlines have no context and
  are ignored. The first window said with 公示/异议 wins; else the first comment window.
* `text`: from the window's lead-in (如有异议, 公示期为, 公示时间：, 征求意见时间, 意见反馈截止时间
  ...; searched in the window's first clause and the two before it) -- else from the start of
  the first clause holding the window -- through the end of the last consecutive comma-clause
  holding a date or a duration. Never crosses 。；;！？ or a line end (a line ending in a label
  colon, "公示时间：", is joined to the next with one space), nor leaves a bracket it sits in;
  commas inside brackets do not cut. Trailing punctuation is dropped.
* Dates: explicit dates win; a second date without a year (or month) takes the first's;
  a year-less first date takes the publish year. A counted window (即日起, 自本公告之日起,
  自公示之日起, 发布之日起, or a bare 公示期N个工作日 / N日内) starts on the publish date; the start
  day is not counted (民法典 第201条): N calendar days end on start+N, N working days on the
  N-th working day after the start (official calendar; Mon-Fri and approximate=True for years
  it does not know), N months on the corresponding day (第202条). A window counted from another
  event (收到通知之日, 公示期满之日) has no dates. A deadline alone gives `end` only.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from .workdays import add_calendar_days, add_months, add_working_days

__all__ = ["find_objection_window"]

# Punctuation is matched in both widths; full-width digits are folded 1:1 (positions stay
# those of the original text), only when the body has any (str.translate is slow).
_FOLD = str.maketrans("０１２３４５６７８９", "0123456789")
_FULLWIDTH_DIGIT = re.compile("[０-９]")

_KEYWORDS = ("公示", "异议", "意见", "公告期", "听证")  # a window needs one of these
# A line ending in a label colon ("公示时间：") continues on the next line.
_LABEL_LINE = re.compile(r"([：:])[ \t\u3000\xa0]*\n\s*")
_SENT_END = re.compile(r"[。;；！？!?\n]")

# Context: said about objections or comments (strong), or only a following clause (weak).
_NOISE = re.compile(r"公示期满|公告期满|公示结束|公示届满|无异议|没有异议|未提出异议|经公示|公示后")
_STRONG = re.compile(
    r"公示|异议|公告期|听证|征求[^。;；\n]{0,10}?意见|意见[^。;；\n]{0,6}?(?:反馈|建议)"
    r"|反馈[^。;；\n]{0,6}?意见|提出[^。;；\n]{0,10}?意见|不同意见"
)
_OBJECTION = re.compile(r"公示|异议")  # the preferred kind of window
_WEAK = re.compile(r"异议|意见|反映|听证")
_NOT_WINDOW = re.compile(
    r"有效期|有效日期|营业期限|经营期限|许可期限|合同期|租赁期|租期|施工期|工期|服务期|建设期"
    r"|保质期|试用期|使用期限|存续期"
)

# ---- dates, durations -------------------------------------------------------------------
_YMD = r"(?<!\d)(?:19|20)\d\d\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*[日号]?"
_ISO = r"(?<!\d)(?:19|20)\d\d\s*([-/.－／．])\s*\d{1,2}\s*\1\s*\d{1,2}(?!\d)\s*日?"
_MD = r"(?<![\d年])\d{1,2}\s*月\s*\d{1,2}\s*[日号]?"
_D = r"(?<![\d月])\d{1,2}\s*[日号]"
_CLOCK = r"(?:\s*(?:上午|下午|早上|晚上|中午)?\s*\d{1,2}\s*(?:[:：]\s*\d{2}|[时点](?:\s*\d{1,2}\s*分|半|整)?))?"
_WEEK = r"(?:\s*[(（]\s*(?:星期|周)[一二三四五六日天]\s*[)）])?"


def _date_pat(name: str, *alts: str) -> str:
    """A named date token (with an optional clock time and weekday) of the given forms."""
    sep = f"{name}s"
    alts = tuple(
        a.replace("([-/.－／．])", f"(?P<{sep}>[-/.－／．])").replace(r"\1", f"(?P={sep})")
        for a in alts
    )
    return f"(?P<{name}>{'|'.join(alts)}){_CLOCK}{_WEEK}"


_SEP = r"\s*(?:起|开始)?\s*(?:至|到|(?:[—–―─~～\-－]\s*){1,3}|一(?=\s*\d))\s*"
_NUM = r"\d{1,3}|[一二三四五六七八九十两百〇零]{1,4}"
_CORE = re.compile(
    # a range: 2023年5月6日至5月12日 / 2023-05-06—2023-05-12 / 2023年5月6日至12日
    rf"(?P<range>{_date_pat('d1', _ISO, _YMD, _MD)}{_SEP}"
    rf"{_date_pat('d2', _ISO, _YMD, _MD, _D)}\s*(?:止|结束)?)"
    # 即日起至2023年5月12日(止)
    rf"|(?P<today_to>即日起?\s*(?:至|到)\s*{_date_pat('d3', _ISO, _YMD, _MD)})"
    # a deadline: 截止2023年6月1日 / 2023年6月1日前
    rf"|(?P<deadline>(?:截止|截至|止于)(?:时间|日期|到|至)?\s*(?:为|是|到|至|[:：]){{0,2}}\s*"
    rf"{_date_pat('d4', _ISO, _YMD, _MD)}"
    rf"|{_date_pat('d6', _ISO, _YMD, _MD)}\s*(?:前|之前|以前|为止|止))"
    # a start: 自2023年5月6日起
    rf"|(?P<from>{_date_pat('d5', _ISO, _YMD, _MD)}\s*(?:起|开始))"
    # a duration: 5个工作日 / 十五日内 / 一个月
    rf"|(?<![\d月.\-/－／．年第一二三四五六七八九十两百〇零])(?P<n>{_NUM})\s*(?:个\s*)?"
    rf"(?:(?P<unit>工作日|自然日|日历日|天|日(?![期报常益夜起前止至到号]))|(?P<month>(?<=个)\s*(?:自然)?月))"
)
_PARTS_ISO = re.compile(r"((?:19|20)\d\d)\s*[-/.－／．]\s*(\d{1,2})\s*[-/.－／．]\s*(\d{1,2})")
_PARTS_CN = re.compile(r"(?:((?:19|20)\d\d)\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})")
_PARTS_D = re.compile(r"(\d{1,2})")

# Counted from publication (即日, 本公告之日) or from another event (收到通知之日, 期满之日).
_FROM_OTHER = re.compile(r"收到|送达|届满|期满|签收|知道|知悉|次日|截止|结束")
_FROM_PUB = re.compile(
    r"即日|今日|(?:公告|公示|通知|公布|发布|刊登|张贴|刊发|印发|发文)\S{0,4}?之?日(?:起|开始)"
)
_FROM_ANY = re.compile(r"之日(?:起|开始)|日起")

# ---- the phrase ---------------------------------------------------------------------------
_LEAD = re.compile(
    r"(?:本次|此次|本)?(?:公示|异议|公告)(?:期|时间|日期|期限|时限|时段)(?:限)?(?!内|满|结束|届满|后|间)"
    r"|征求意见(?:的)?(?:时间|期|期限|日期|截止)"
    r"|(?:意见)?反馈(?:意见)?(?:的)?(?:截止)?(?:时间|日期|期限)"
    r"|(?:截止|截至)(?:时间|日期)"
    r"|(?:如|若|凡|倘若?)[^,，;；。]{0,20}?(?:异议|不同意见|意见建议|意见或建议|意见和建议)"
)
# weaker: 对…有异议的 without 如 (tried after _LEAD, so 对方案如有异议 starts at 如有异议)
_LEAD2 = re.compile(r"对[^,，;；。]{0,30}?(?:异议|不同意见)")
_DANGLING = re.compile(r"(?:时间|日期|期限|期间|为期|期为)")
_LIST_MARK = re.compile(
    r"\s*(?:[一二三四五六七八九十]+[、.．]|[(（]\s*[一二三四五六七八九十\d]+\s*[)）]|\d+[、.．](?!\d))?\s*"
)
_OPEN, _CLOSE = "(（【[［《", ")）】]］》"
_CN_DIGIT = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_CN_DIGIT.update({"五": 5, "六": 6, "七": 7, "八": 8, "九": 9})


def _cn_int(s: str) -> int | None:
    """5 -> 5, 十五 -> 15, 二十 -> 20, 一百二十 -> 120, 三〇 -> 30; None if not a number."""
    if s.isdigit():
        return int(s)
    if "十" not in s and "百" not in s:  # digit by digit: 三〇 -> 30
        n = 0
        for ch in s:
            if ch not in _CN_DIGIT:
                return None
            n = n * 10 + _CN_DIGIT[ch]
        return n
    total = cur = 0
    for ch in s:
        if ch in _CN_DIGIT:
            cur = _CN_DIGIT[ch]
        elif ch in "十百":
            total += (cur or 1) * (10 if ch == "十" else 100)
            cur = 0
        else:
            return None
    return total + cur


def _clauses(norm: str, a: int, b: int) -> list[tuple[int, int]]:
    """Comma-clauses of norm[a:b]; a comma inside brackets or between digits does not cut."""
    out, depth, start = [], 0, a
    for i in range(a, b):
        ch = norm[i]
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(depth - 1, 0)
        elif ch in ",，" and depth == 0:
            if 0 < i < len(norm) - 1 and norm[i - 1].isdigit() and norm[i + 1].isdigit():
                continue
            out.append((start, i))
            start = i + 1
    out.append((start, b))
    return out


def _ymd(
    token: str, ref: tuple[int | None, int | None] | None
) -> tuple[int | None, int, int] | None:
    """(year or None, month, day) of a date token; `ref` (year, month) fills what it omits."""
    m = _PARTS_ISO.search(token)
    if m:
        return int(m[1]), int(m[2]), int(m[3])
    m = _PARTS_CN.search(token)
    if m:
        y = int(m[1]) if m[1] else (ref[0] if ref else None)
        return y, int(m[2]), int(m[3])
    m = _PARTS_D.search(token)
    if m and ref and ref[1]:
        return ref[0], ref[1], int(m[1])
    return None


def _to_date(ymd, year: int | None) -> date | None:
    if ymd is None:
        return None
    y = ymd[0] if ymd[0] is not None else year
    if y is None:
        return None
    try:
        return date(y, ymd[1], ymd[2])
    except ValueError:
        return None


def _pub_date(published: str | None) -> date | None:
    if not published:
        return None
    try:
        return date.fromisoformat(published[:10])
    except ValueError:
        return None


def _balanced(text: str) -> str:
    """`text` up to a closing bracket it did not open: （公示期：6月16日-6月22日）."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            if depth == 0:
                return text[:i]
            depth -= 1
    return text


def _ctx(norm: str, a: int, b: int, pat: re.Pattern) -> bool:
    return bool(pat.search(_NOISE.sub("_", norm[a:b])))


def _window_in(src: str, norm: str, a: int, b: int, pub: date | None):
    """(window dict, objection kind?) of the first window in the sentence norm[a:b], or None."""
    cl = _clauses(norm, a, b)
    cores = []  # (clause index, match)
    for m in _CORE.finditer(norm, a, b):
        if m["n"] and norm[a : m.start()].rstrip()[-1:] in ("月", "年"):
            continue  # the day of a date written with a space: 5月 12日
        k = next(i for i, (s, e) in enumerate(cl) if s <= m.start() <= e)
        s, e = cl[k]
        if _NOT_WINDOW.search(norm, s, e) and not _ctx(norm, s, e, _STRONG):
            continue
        cores.append((k, m))
    first = None
    for k, _m in cores:
        lo = cl[max(k - 2, 0)][0]
        if _ctx(norm, lo, cl[k][1], _STRONG):
            first = k
            break
        if k + 1 < len(cl) and _ctx(norm, cl[k + 1][0], cl[k + 1][1], _WEAK):
            first = k
            break
    if first is None:
        return None
    last = first
    while any(k == last + 1 for k, _ in cores):
        last += 1
    group = [m for k, m in cores if first <= k <= last]

    # the phrase: from the nearest clause (window's first and two before) holding a lead-in
    begin = None
    core0 = group[0].start()
    for k in range(first, max(first - 3, -1), -1):
        s = cl[k][0]
        e = core0 if k == first else cl[k][1]
        lead = _LEAD.search(norm, s, e) or _LEAD2.search(norm, s, e)
        if lead:
            begin = lead.start()
            break
    if begin is None:
        begin = _LIST_MARK.match(norm, cl[first][0]).end()
        if first > 0 and _DANGLING.match(norm, begin):  # 征求意见，时间为…: say whose time
            begin = _LIST_MARK.match(norm, cl[first - 1][0]).end()
    end = cl[last][1]
    text = _balanced(src[begin:end]).strip().rstrip(",，、.:：")
    if not text:
        return None

    # the dates
    start = end_d = None
    days = unit = None
    months = None
    from_pub = None  # True: counted from publication; False: from another event
    year0 = pub.year if pub else None
    for m in group:
        if m["range"] and start is None and end_d is None:
            t1 = _ymd(m["d1"], None)
            s = _to_date(t1, year0)
            if s and pub and t1[0] is None and s < pub - timedelta(days=180):
                s = _to_date((s.year + 1, s.month, s.day), None)
            e = None
            if s:
                t2 = _ymd(m["d2"], (None, s.month))
                e = _to_date(t2, s.year)
                if e and e < s and t2[0] is None:  # 12月28日至1月5日
                    e = _to_date((e.year + 1, e.month, e.day), None)
            if s and e:
                start, end_d = s, e
        elif m["today_to"] and end_d is None:
            end_d = _to_date(_ymd(m["d3"], None), year0)
            from_pub = True
        elif m["deadline"] and end_d is None:
            end_d = _to_date(_ymd(m["d4"] or m["d6"], None), year0)
        elif m["from"] and start is None:
            start = _to_date(_ymd(m["d5"], None), year0)
        elif m["n"] and days is None and months is None:
            n = _cn_int(m["n"])
            if not n:
                continue
            if m["month"]:
                months = n
            else:
                days = n
                unit = "working" if m["unit"] == "工作日" else "calendar"
            if from_pub is None:  # counted from what: 即日/本公告之日, or 收到通知之日?
                lead_in = norm[max(begin, m.start() - 24) : m.start()]
                from_pub = not _FROM_OTHER.search(lead_in) and bool(
                    _FROM_PUB.search(lead_in) or not _FROM_ANY.search(lead_in)
                )
    if start is None and from_pub and pub is not None:
        start = pub
    approximate = False
    if end_d is None and start is not None:
        if days is not None and unit == "working":
            end_d, approximate = add_working_days(start, days)
        elif days is not None:
            end_d = add_calendar_days(start, days)
        elif months is not None:
            end_d = add_months(start, months)
    window = {
        "text": text,
        "start": start.isoformat() if start else None,
        "end": end_d.isoformat() if end_d else None,
        "days": days,
        "unit": unit,
        "approximate": approximate,
    }
    return window, _ctx(norm, cl[max(first - 2, 0)][0], cl[last][1], _OBJECTION) or bool(
        last + 1 < len(cl) and _ctx(norm, cl[last + 1][0], cl[last + 1][1], _OBJECTION)
    )


def find_objection_window(body: str, published: str | None = None) -> dict | None:
    """The first 公示/异议 window the body states (else the first comment window), or None.

    `published`: the notice's ISO publish date or datetime (only its date part is used)."""
    if not body or not any(k in body for k in _KEYWORDS):
        return None
    src = _LABEL_LINE.sub(r"\1 ", body) if "\n" in body else body
    norm = src.translate(_FOLD) if _FULLWIDTH_DIGIT.search(src) else src
    pub = _pub_date(published)
    fallback = None
    seen = -1
    for key in _STRONG.finditer(norm):
        if key.start() < seen:
            continue
        # the keyword's sentence: a window never crosses a sentence end
        a = max(norm.rfind(c, 0, key.start()) for c in "。;；！？!?\n") + 1
        e = _SENT_END.search(norm, key.end())
        b = e.start() if e else len(norm)
        seen = b
        found = _window_in(src, norm, a, b, pub)
        if found is None:
            continue
        window, objection = found
        if objection:
            return window
        if fallback is None:
            fallback = window
    return fallback
