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
* Dates: explicit dates win, also in Chinese numerals (二〇二三年五月六日至五月十二日). A date
  without a year takes the year that puts it nearest the publish date (within six months); the
  second date of a range without a year (or month) is the first such day on or after the first
  date (12月28日至1月5日), and a year-less end after a known start likewise; a year-less first
  date before a dated second one is the last such day on or before it. Without a publish date
  a year-less first date gives no dates. `end` is never before `start`: printed dates that
  disagree (2023年11月1日至2023年10月5日) give neither, an inferred start after a printed end is
  dropped.
* Counted windows: N calendar days end on start+N, N working days on the N-th working day after
  the start (official calendar; Mon-Fri and approximate=True for years it does not know), N
  months on the corresponding day (民法典 第201, 202条: the start day is not counted). A count
  starts on the publish date only when the text says so: 即日起 / 自本公告(公示, 发布)之日起; a
  present-tense 公示 in the same sentence (现予公示, 现将…公示, 予以公示, 公示如下, 特此公示); or a
  labelled window (公示期为5个工作日, 如有异议…N日内) in a notice that is itself the 公示 (it says
  so somewhere, or it describes no later 公示 stage and no 报名). A window of a later stage
  (将/拟于/并在/…后在…公示, 考察合格的人员…并在网站公示7个工作日) or a bare 名单公示5个工作日 keeps
  text, days and unit but has no dates, and so does one counted from another event (收到通知之日,
  公示期满之日). A deadline alone gives `end` only.
* Work is linear in the body and bounded: only its first 300,000 characters are examined,
  and only the first 1,000 dates and durations of a sentence.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from datetime import date

from .workdays import add_calendar_days, add_months, add_working_days

__all__ = ["find_objection_window"]

# Bodies longer than this are examined up to here only: a window sits near the top of a notice
# (or right after its list), and the scan must stay cheap in the crawler's reactor thread.
_MAX_SCAN = 300_000
_MAX_CORES = 1_000  # dates and durations examined per sentence

# Punctuation is matched in both widths; full-width digits are folded 1:1 (positions stay
# those of the original text), only when the body has any (str.translate is slow).
_FOLD = str.maketrans("０１２３４５６７８９", "0123456789")
_FULLWIDTH_DIGIT = re.compile("[０-９]")

# A window needs one of these (a cheap test before the context patterns).
_KEYWORDS = ("公示", "异议", "意见", "质疑", "听证", "公告期")
# A line ending in a label colon ("公示时间：") continues on the next line.
_LABEL_LINE = re.compile(r"([：:])[ \t\u3000\xa0]*\n\s*")
_SENT_END = re.compile(r"[。;；！？!?\n]")
_LAST_SENT_END = re.compile(r".*[。;；！？!?\n]", re.S)

# Context: said about objections or comments (strong), or only a following clause (weak).
_NOISE = re.compile(r"公示期满|公告期满|公示结束|公示届满|无异议|没有异议|未提出异议|经公示|公示后")
# A procurement notice's 质疑 (政府采购法 art. 52: a supplier's formal objection) is one, said
# as such (提出质疑, 质疑函), not the word in general (群众质疑较多的问题).  Its 公告期限 is how
# long the notice stays up, no window to object in; elsewhere a 公告期 is a 公示's.
_CONTEXT = (
    r"公示|异议|听证|提出[^。;；\n]{0,10}?质疑|质疑函|征求[^。;；\n]{0,10}?意见"
    r"|意见[^。;；\n]{0,6}?(?:反馈|建议)|反馈[^。;；\n]{0,6}?意见|提出[^。;；\n]{0,10}?意见|不同意见"
)
_STRONG = re.compile(_CONTEXT + "|公告期")
_STRONG_PROCUREMENT = re.compile(_CONTEXT)
_OBJECTION = re.compile(r"公示|异议|提出[^。;；\n]{0,10}?质疑|质疑函")  # the preferred kind
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
# in Chinese numerals (二〇二三年五月六日, 五月十二日, 十二日): the day needs its 日
_CN0 = "〇○零"
_CNY = f"[{_CN0}一二三四五六七八九]"
_CNN = f"[{_CN0}一二三四五六七八九十]"
_YMD_CN = rf"(?<!{_CNN}){_CNY}{{4}}\s*年\s*{_CNN}{{1,2}}\s*月\s*{_CNN}{{1,3}}\s*[日号]"
_MD_CN = rf"(?<![{_CN0}一二三四五六七八九十年]){_CNN}{{1,2}}\s*月\s*{_CNN}{{1,3}}\s*[日号]"
_D_CN = rf"(?<![{_CN0}一二三四五六七八九十月]){_CNN}{{1,3}}\s*[日号]"
_CLOCK = r"(?:\s*(?:上午|下午|早上|晚上|中午)?\s*\d{1,2}\s*(?:[:：]\s*\d{2}|[时点](?:\s*\d{1,2}\s*分|半|整)?))?"
_WEEK = r"(?:\s*[(（]\s*(?:星期|周)[一二三四五六日天]\s*[)）])?"
_DATES = (_ISO, _YMD, _MD, _YMD_CN, _MD_CN)


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
    # (every form opens with one of these: a cheap test before the alternatives)
    r"(?=[\d〇○零一二三四五六七八九十两百即截止])(?:"
    # a range: 2023年5月6日至5月12日 / 2023-05-06—2023-05-12 / 2023年5月6日至12日
    rf"(?P<range>{_date_pat('d1', *_DATES)}{_SEP}"
    rf"{_date_pat('d2', *_DATES, _D, _D_CN)}\s*(?:止|结束)?)"
    # 即日起至2023年5月12日(止)
    rf"|(?P<today_to>即日起?\s*(?:至|到)\s*{_date_pat('d3', *_DATES)})"
    # a deadline: 截止2023年6月1日 / 2023年6月1日前
    rf"|(?P<deadline>(?:截止|截至|止于)(?:时间|日期|到|至)?\s*(?:为|是|到|至|[:：]){{0,2}}\s*"
    rf"{_date_pat('d4', *_DATES)}"
    rf"|{_date_pat('d6', *_DATES)}\s*(?:前|之前|以前|为止|止))"
    # a start: 自2023年5月6日起
    rf"|(?P<from>{_date_pat('d5', *_DATES)}\s*(?:起|开始))"
    # a duration: 5个工作日 / 十五日内 / 一个月
    rf"|(?<![\d月.\-/－／．年第一二三四五六七八九十两百〇零])(?P<n>{_NUM})\s*(?:个\s*)?"
    rf"(?:(?P<unit>工作日|自然日|日历日|天|日(?![期报常益夜起前止至到号]))|(?P<month>(?<=个)\s*(?:自然)?月)))"
)
_PARTS_ISO = re.compile(r"((?:19|20)\d\d)\s*[-/.－／．]\s*(\d{1,2})\s*[-/.－／．]\s*(\d{1,2})")
_PARTS_CN = re.compile(r"(?:((?:19|20)\d\d)\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})")
_PARTS_CNN = re.compile(
    rf"(?:({_CNY}{{4}})\s*年\s*)?(?:({_CNN}{{1,2}})\s*月\s*)?({_CNN}{{1,3}})\s*[日号]"
)
_PARTS_D = re.compile(r"(\d{1,2})")

# Counted from publication (即日, 本公告之日) or from another event (收到通知之日, 期满之日).
_FROM_OTHER = re.compile(r"收到|送达|届满|期满|签收|知道|知悉|次日|截止|结束")
_FROM_PUB = re.compile(
    r"即日|今日|(?:公告|公示|通知|公布|发布|刊登|张贴|刊发|印发|发文)\S{0,4}?之?日(?:起|开始)"
)
_FROM_THIS = re.compile(r"即日|今日|本\S{0,6}?(?:公告|公示|通知|公布|发布)\S{0,4}?之?日")
_FROM_ANY = re.compile(r"之日(?:起|开始)|日起")
# This notice is the 公示 (present tense), or it describes a later 公示 stage (future).
_SENT_BODY = r"[^。;；！？!?\n]"
_PRESENT = re.compile(
    rf"(?<![出发实表体])现{_SENT_BODY}{{0,40}}?公示|兹{_SENT_BODY}{{0,40}}?公示"
    r"|予以公示|公示如下|特此公示"
)
_FUTURE = re.compile(
    r"(?:(?<![现兹特])将|拟(?:于|在|通过|将|予)|并(?:在|于|将|通过|经|予|进行)"
    r"|(?<![满束])后(?:在|于|通过|统一|予以|进行|再)|待[^。;；！？!?\n，,]{0,20}?后)"
    r"[^。;；！？!?\n，,]{0,30}?公示"
)
_STAGES = re.compile(r"报名(?:时间|方式|地点|条件|办法|程序|要求|须知)")

# ---- the phrase ---------------------------------------------------------------------------
_LEAD = re.compile(
    r"(?:本次|此次|本)?(?:公示|异议|公告)(?:期限|时限|时段|时间|日期|期)(?!限|内|满|结束|届满|后|间)"
    r"|征求意见(?:的)?(?:时间|期|期限|日期|截止)"
    r"|(?:意见)?反馈(?:意见)?(?:的)?(?:截止)?(?:时间|日期|期限)"
    r"|(?:截止|截至)(?:时间|日期)"
    r"|(?:如|若|凡|倘若?)[^,，;；。]{0,20}?(?:异议|不同意见|意见建议|意见或建议|意见和建议)"
)
# weaker: 对…有异议的 without 如 (tried after _LEAD, so 对方案如有异议 starts at 如有异议); the
# condition of a 质疑, from its subject: 供应商认为…使自己的权益受到损害的
_LEAD2 = re.compile(
    r"对[^,，;；。]{0,30}?(?:异议|不同意见)"
    r"|[^,，;；。\s]{0,12}认为[^,，;；。]{0,40}?(?:损害|侵害)[^,，;；。]{0,6}?的"
)
_DANGLING = re.compile(r"(?:时间|日期|期限|期间|为期|期为)")
_LIST_MARK = re.compile(
    r"\s*(?:[一二三四五六七八九十]+[、.．]|[(（]\s*[一二三四五六七八九十\d]+\s*[)）]|\d+[、.．](?!\d))?\s*"
)
_OPEN, _CLOSE = "(（【[［《", ")）】]］》"
_CLAUSE_CHAR = re.compile(r"[(（【\[［《)）】\]］》]|(?<!\d)[,，]|[,，](?!\d)")
_BRACKET = re.compile(r"[(（【\[［《)）】\]］》]")
_CN_DIGIT = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_CN_DIGIT.update({"五": 5, "六": 6, "七": 7, "八": 8, "九": 9})


def _cn_int(s: str) -> int | None:
    """5 -> 5, 十五 -> 15, 二十 -> 20, 一百二十 -> 120, 三〇 -> 30; None if not a number."""
    if s.isdigit():
        return int(s)
    if "十" not in s and "百" not in s:  # digit by digit: 三〇 -> 30, 二〇二三 -> 2023
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


def _clauses(norm: str, a: int, b: int, need: int | None = None) -> list[tuple[int, int]]:
    """Comma-clauses of norm[a:b]; a comma inside brackets or between digits does not cut.

    With `need`: only through the clause holding norm[need] and the two after it."""
    out, depth, start, after = [], 0, a, 0
    for m in _CLAUSE_CHAR.finditer(norm, a, b):
        ch, i = m.group(), m.start()
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(depth - 1, 0)
        elif depth == 0:
            out.append((start, i))
            start = i + 1
            if need is not None and i >= need:
                after += 1
                if after == 3:
                    return out
    out.append((start, b))
    return out


def _sentence(norm: str, lo: int, pos: int, end_from: int) -> tuple[int, int]:
    """The sentence holding norm[pos:end_from]; norm[lo] is a sentence end or the start."""
    last = _LAST_SENT_END.match(norm, lo, pos)
    e = _SENT_END.search(norm, end_from)
    return (last.end() if last else lo), (e.start() if e else len(norm))


def _prev_char(norm: str, a: int, i: int) -> str:
    """The last non-space character of norm[a:i] ('' if none), without slicing."""
    i -= 1
    while i >= a and norm[i].isspace():
        i -= 1
    return norm[i] if i >= a else ""


# A date as written: (year or None, month or None, day); None parts are filled from context.
_YMD_T = tuple[int | None, int | None, int]


def _ymd(token: str) -> _YMD_T | None:
    m = _PARTS_ISO.search(token)
    if m:
        return int(m[1]), int(m[2]), int(m[3])
    m = _PARTS_CN.search(token)
    if m:
        return (int(m[1]) if m[1] else None), int(m[2]), int(m[3])
    m = _PARTS_CNN.search(token)
    if m:
        y, mo, d = (_cn_int(g) if g else None for g in m.groups())
        return (y, mo, d) if d is not None else None
    m = _PARTS_D.search(token)
    return (None, None, int(m[1])) if m else None


def _mk(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _explicit(t: _YMD_T) -> date | None:
    return _mk(*t) if t[0] is not None and t[1] is not None else None


def _on_or_after(t: _YMD_T, ref: date) -> date | None:
    """The first day on or after `ref` that fits the year-less (or month-less) `t`."""
    if t[0] is not None:
        return _explicit(t)
    if t[1] is None:  # a day only: this month or a following one
        y, mo = ref.year, ref.month
        for _ in range(12):
            d = _mk(y, mo, t[2])
            if d and d >= ref:
                return d
            y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
        return None
    for y in range(ref.year, ref.year + 8):  # 8: a 2月29日 too
        d = _mk(y, t[1], t[2])
        if d and d >= ref:
            return d
    return None


def _on_or_before(t: _YMD_T, ref: date) -> date | None:
    """The last day on or before `ref` with the year-less `t`'s month and day."""
    if t[1] is None:
        return None
    for y in range(ref.year, ref.year - 8, -1):
        d = _mk(y, t[1], t[2])
        if d and d <= ref:
            return d
    return None


def _nearest(t: _YMD_T, pub: date | None) -> date | None:
    """`t` as printed, or a year-less `t` in the year putting it nearest the publish date."""
    if t[0] is not None:
        return _explicit(t)
    if pub is None or t[1] is None:
        return None
    days = [d for y in (pub.year - 1, pub.year, pub.year + 1) if (d := _mk(y, t[1], t[2]))]
    return min(days, key=lambda d: abs((d - pub).days), default=None)


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
    for m in _BRACKET.finditer(text):
        if m.group() in _OPEN:
            depth += 1
        elif depth == 0:
            return text[: m.start()]
        else:
            depth -= 1
    return text


def _ctx(norm: str, a: int, b: int, pat: re.Pattern) -> bool:
    return bool(pat.search(_NOISE.sub("_", norm[a:b])))


def _is_the_gongshi(norm: str) -> bool:
    """Is the notice itself the 公示: a present-tense 公示 in a sentence not about a later stage,
    or no later 公示 stage and no 报名 anywhere."""
    pos = 0
    while m := _PRESENT.search(norm, pos):
        a, b = _sentence(norm, pos, m.start(), m.end())
        if not _FUTURE.search(norm, a, b):
            return True
        pos = b
    return not _FUTURE.search(norm) and not _STAGES.search(norm)


class _Notice:
    """What a window's sentence needs to know about the whole notice (computed once, lazily)."""

    __slots__ = ("norm", "pub", "_gongshi", "strong")

    def __init__(self, norm: str, pub: date | None):
        self.norm, self.pub, self._gongshi = norm, pub, None
        procurement = ("采购" in norm or "招标" in norm) and any(
            w in norm for w in ("中标", "成交", "投标", "供应商", "磋商")
        )
        self.strong = _STRONG_PROCUREMENT if procurement else _STRONG

    @property
    def is_gongshi(self) -> bool:
        if self._gongshi is None:
            self._gongshi = _is_the_gongshi(self.norm)
        return self._gongshi


def _counts_from_pub(notice: _Notice, a: int, b: int, lead_in: str, labelled: bool) -> bool:
    """Does the duration said after `lead_in` (in the sentence norm[a:b]) count from publication?"""
    norm = notice.norm
    future = bool(_FUTURE.search(norm, a, b))
    if _FROM_OTHER.search(lead_in):
        return False
    if _FROM_PUB.search(lead_in):  # 即日起, 自本公告之日起; 自公示之日起 of a later 公示: no
        return not future or bool(_FROM_THIS.search(lead_in))
    if _FROM_ANY.search(lead_in) or future:
        return False
    if _PRESENT.search(norm, a, b):  # 现予公示，公示期为5个工作日
        return True
    return labelled and notice.is_gongshi  # 公示期为5个工作日 in a 公示


def _window_in(src: str, notice: _Notice, a: int, b: int):
    """(window dict, objection kind?) of the first window in the sentence norm[a:b], or None."""
    norm, pub = notice.norm, notice.pub
    found = []
    for m in _CORE.finditer(norm, a, b):
        if m["n"] and _prev_char(norm, a, m.start()) in ("月", "年"):
            continue  # the day of a date written with a space: 5月 12日
        found.append(m)
        if len(found) == _MAX_CORES:
            break
    if not found:
        return None
    cl = _clauses(norm, a, b, need=found[-1].start())
    starts = [s for s, _ in cl]
    usable: dict[int, bool] = {}  # clause index -> not a 有效期 clause
    cores = []  # (clause index, match)
    for m in found:
        k = bisect_right(starts, m.start()) - 1
        if k not in usable:
            s, e = cl[k]
            usable[k] = not (_NOT_WINDOW.search(norm, s, e) and not _ctx(norm, s, e, notice.strong))
        if usable[k]:
            cores.append((k, m))
    first = None
    tried = set()
    for k, _m in cores:
        if k in tried:
            continue
        tried.add(k)
        lo = cl[max(k - 2, 0)][0]
        if _ctx(norm, lo, cl[k][1], notice.strong):
            first = k
            break
        if k + 1 < len(cl) and _ctx(norm, cl[k + 1][0], cl[k + 1][1], _WEAK):
            first = k
            break
    if first is None:
        return None
    held = {k for k, _ in cores}
    last = first
    while last + 1 in held:
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
    labelled = begin is not None
    if begin is None:
        begin = _LIST_MARK.match(norm, cl[first][0]).end()
        if first > 0 and _DANGLING.match(norm, begin):  # 征求意见，时间为…: say whose time
            begin = _LIST_MARK.match(norm, cl[first - 1][0]).end()
    end = cl[last][1]
    text = _balanced(src[begin:end]).strip().rstrip(",，、.:：")
    if not text:
        return None

    # the dates as written
    t_start = t_end = None  # (year, month, day) as printed
    ranged = False
    days = unit = None
    months = None
    from_pub = None  # True: counted from publication; False: from another event
    for m in group:
        if m["range"] and t_start is None and t_end is None:
            t1, t2 = _ymd(m["d1"]), _ymd(m["d2"])
            if t1 and t2 and t1[1] is not None:
                t_start, t_end, ranged = t1, t2, True
        elif m["today_to"] and t_end is None:
            t_end = _ymd(m["d3"])
            from_pub = True
        elif m["deadline"] and t_end is None:
            t_end = _ymd(m["d4"] or m["d6"])
        elif m["from"] and t_start is None:
            t_start = _ymd(m["d5"])
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
                from_pub = _counts_from_pub(notice, a, b, lead_in, labelled)

    # ... and as days: a year-less date is the one nearest the publish date, a year-less end
    # the first after its start
    start = end_d = None
    printed_start = t_start is not None
    dated_end = _explicit(t_end) if t_end is not None else None
    if t_start is not None:
        if t_start[0] is None and dated_end is not None:  # 12月28日至2024年1月5日
            start = _on_or_before(t_start, dated_end)
        else:
            start = _nearest(t_start, pub)
    elif from_pub and pub is not None:
        start = pub
    if t_end is not None:
        if t_end[0] is not None:
            end_d = dated_end
        elif start is not None:
            end_d = _on_or_after(t_end, start)
        elif not ranged:
            end_d = _nearest(t_end, pub)
    if ranged and (start is None or end_d is None):
        start = end_d = None
    if start is not None and end_d is not None and end_d < start:
        if printed_start:  # printed dates that disagree: neither
            start = end_d = None
        else:  # a publish date after the printed end: the end only
            start = None
    approximate = False
    if end_d is None and start is not None and t_end is None:
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
    if not body:
        return None
    body = body[:_MAX_SCAN]
    if not any(k in body for k in _KEYWORDS):
        return None
    src = _LABEL_LINE.sub(r"\1 ", body) if "\n" in body else body
    norm = src.translate(_FOLD) if _FULLWIDTH_DIGIT.search(src) else src
    notice = _Notice(norm, _pub_date(published))
    fallback = None
    seen = 0  # sentences before this position are done
    for key in notice.strong.finditer(norm):
        if key.start() < seen:
            continue
        # the keyword's sentence: a window never crosses a sentence end
        a, b = _sentence(norm, seen, key.start(), key.end())
        seen = b
        found = _window_in(src, notice, a, b)
        if found is None:
            continue
        window, objection = found
        if objection:
            return window
        if fallback is None:
            fallback = window
    return fallback
