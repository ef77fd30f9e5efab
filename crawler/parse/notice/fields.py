"""Labelled metadata (来源, 发布日期, 文号, 索引号 …), the title and the breadcrumb."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice

from .body import DOC_NUMBER_LINE
from .dates import date_alone, parse_date
from .text import (
    EDGE,
    MAX_NEST,
    SKIPPED,
    Budget,
    clean_title,
    fold_ws,
    is_hidden,
    linearize,
    squash,
    strip_tags,
    tag_of,
    text_of,
    to_lines,
    too_deep,
)

_CJK_BEFORE = r"(?<![\u4e00-\u9fff])"

# kind -> labels, in priority order within the kind.
LABELS: dict[str, tuple[str, ...]] = {
    "pub1": (
        "发布日期",
        "发布时间",
        "发表时间",
        "公开日期",
        "公布日期",
        "发布日期时间",
        "上网时间",
    ),
    "pub2": ("时间", "日期", "生成日期", "发文日期", "印发日期"),
    "written": ("成文日期", "成文时间", "签发日期"),
    "source": (
        "信息来源",
        "来源",
        "文章来源",
        "稿件来源",
        "发布机构",
        "发文机关",
        "发布单位",
        "发文单位",
        "发布部门",
        "责任部门",
        "来源单位",
    ),
    "doc_number": ("发文字号", "文号", "文件编号", "发文编号"),
    "index_number": ("索引号", "索取号", "信息索引号"),
    "other": (
        "归档时间",
        "归档日期",
        "页面生成时间",
        "更新时间",
        "更新日期",
        "修改时间",
        "修改日期",
        "生效日期",
        "实施日期",
        "废止日期",
        "失效日期",
        "有效期",
        "浏览次数",
        "访问量",
        "访问次数",
        "阅读量",
        "阅读次数",
        "浏览量",
        "浏览",
        "点击数",
        "点击量",
        "点击率",
        "字号",
        "字体",
        "视力保护色",
        "作者",
        "编辑",
        "责任编辑",
        "审核",
        "校对",
        "摄影",
        "分类",
        "主题分类",
        "体裁分类",
        "组配分类",
        "服务对象",
        "公开方式",
        "公开时限",
        "公开范围",
        "公开形式",
        "有效性",
        "是否有效",
        "主题词",
        "关键词",
        "签发人",
        "发布人",
        "信息名称",
        "名称",
        "标题",
        "联系电话",
        "今天是",
        "分享到",
        "文章类型",
        "信息类型",
        "信息分类",
        "文章分类",
    ),
    "bare": ("打印", "关闭", "分享", "收藏", "【", "纠错"),
}
# Labels that may stand without a colon when a value follows (table cells).
_STRONG = {
    "发布日期",
    "发布时间",
    "成文日期",
    "生成日期",
    "发文日期",
    "发文字号",
    "文号",
    "索引号",
    "发布机构",
    "信息来源",
    "责任部门",
}
_KIND = {lab: kind for kind, labs in LABELS.items() for lab in labs}
_ORDER = {lab: i for labs in LABELS.values() for i, lab in enumerate(labs)}


# Spaces, and the marks of element edges (text.EDGE), may stand inside a label and before
# its colon: `<span>来源</span>：`, `发 布 日 期：`.
_GAP = "[ \u3000" + EDGE + "]*"


def _spaced(label: str) -> str:
    if label == "【":
        return "【"
    return _GAP.join(re.escape(c) for c in label)


# A label opens the text, or follows a non-Han character — or an element's edge: in
# `<span>来源:区政府</span><span>日期:2021-09-24</span>` 日期 follows 府 in the text, yet
# opens its own element.
_LABEL_RE = re.compile(
    _CJK_BEFORE
    + "(?P<lab>"
    + "|".join(_spaced(lab) for lab in sorted(_KIND, key=len, reverse=True))
    + ")"
    + _GAP
    + "(?P<colon>[:：])?"
)
_SPACES = re.compile("[ \u3000" + EDGE + "]")
# Every label match starts with one of these characters: finding them first and matching
# _LABEL_RE only there gives the matches of _LABEL_RE.finditer, without trying the whole
# alternation (and its look-behind) at every position of the text.
_LABEL_FIRST = re.compile("[" + "".join(re.escape(c) for c in sorted({k[0] for k in _KIND})) + "]")


def _label_matches(text: str):
    """_LABEL_RE.finditer(text) (a generator: a page of labels holds millions, and match
    objects kept alive all at once make the garbage collector's passes ever longer)."""
    search = _LABEL_FIRST.search
    match = _LABEL_RE.match
    pos = 0
    while True:
        hit = search(text, pos)
        if hit is None:
            return
        start = hit.start()
        m = match(text, start)  # the look-behind still sees the text before `start`
        if m is None:
            pos = start + 1
        else:
            yield m
            pos = m.end()  # never empty: every label has at least one character


@dataclass
class Label:
    kind: str
    label: str
    value: str
    pos: int


def _accepted(text: str) -> list[tuple[str, str, int, int]]:
    """(kind, label, start, end) of the labels of linearized text that are labels: with a
    colon (a strong one may stand without, before a value); and one that opens an element
    glued to a Han character before it only where a label's value ended there — `来源:区政府`
    `日期:…` — not inside a word an editor split over two elements (`开标` `时间：…`)."""
    hits = []
    for m in _label_matches(text):
        lab = _SPACES.sub("", m.group("lab"))
        kind = _KIND[lab]
        start = m.start()
        if kind != "bare" and not m.group("colon"):
            nxt = text[m.end() : m.end() + 1]
            if lab not in _STRONG or not (nxt.isspace() or nxt.isdigit()):
                continue
        if start and text[start - 1] == EDGE and not _after_a_value(text, start):
            continue
        hits.append((kind, lab, start, m.end()))
    return hits


def _after_a_value(text: str, start: int) -> bool:
    """Whether the text before an edge-opened label at `start` ends a value, not a word: it
    ends in no Han character, or a label with its colon stands earlier on the line."""
    i = start
    while i and text[i - 1] == EDGE:
        i -= 1
    if not i or not ("\u4e00" <= text[i - 1] <= "\u9fff"):
        return True
    line = text[max(0, i - 120) : i]
    line = line[line.rfind("\n") + 1 :]
    return ":" in line or "：" in line


def find_labels(text: str) -> list[Label]:
    """Every 'label：value' in linearized text (with or without element edge marks); a value
    runs across inline elements to the next label or the line's end, and never past the
    place of the article body (text.SKIPPED)."""
    hits = _accepted(text)
    out = []
    for i, (kind, lab, start, end) in enumerate(hits):
        if kind in ("bare", "other"):
            continue
        stop = hits[i + 1][2] if i + 1 < len(hits) else len(text)
        chunk = text[end:stop]
        if SKIPPED in chunk:
            chunk = chunk.partition(SKIPPED)[0]
        if EDGE in chunk:
            chunk = chunk.replace(EDGE, "")
        first, _, rest = chunk.partition("\n")
        value = fold_ws(first)
        if not value:
            second = fold_ws(rest.partition("\n")[0])
            if 0 < len(second) <= 60:
                value = second
        out.append(Label(kind, lab, value, start))
    return out


_FURNITURE_OPEN = re.compile(r"【\s*(?:打印|字号|字体|大|关闭|收藏|分享|纠错|显示)")


def line_date(text: str) -> str | None:
    """A publish date printed without a label on a metadata line: the date opening a line
    that goes on with labels (`2021年06月10日 17:35 来源：… 【打印】`), above the body."""
    body = text.find(SKIPPED)
    if body >= 0:
        text = text[:body]
    for kind, _lab, start, _end in _accepted(text):
        if kind == "bare" and not _FURNITURE_OPEN.match(text, start):
            continue  # a 【tag】 in a list's title is no metadata line
        before = text[max(0, start - 48) : start]  # a date and its spaces: never longer
        nl = before.rfind("\n")
        if nl < 0 and start > 48:
            continue  # the line began further back: more than a date before this label
        head = before[nl + 1 :].replace(EDGE, " ")
        if head.strip():
            d = date_alone(head.strip(" |丨│/"))
            if d:
                return d
    return None


_SOURCE_TRIM = " |丨│/\\【】[]()（）:：,，;；>"
# Published where a page shows nothing better, but first of all the date the document bears.
_DOCUMENT_DATES = {"发文日期", "印发日期"}


def pick_fields(labels: list[Label]) -> dict[str, str | None]:
    """The best value of each field among labelled values (priority order, then page order)."""
    best: dict[str, tuple[int, int, str]] = {}

    def offer(field: str, rank: int, pos: int, value: str):
        cur = best.get(field)
        if cur is None or (rank, pos) < (cur[0], cur[1]):
            best[field] = (rank, pos, value)

    for lab in labels:
        rank = _ORDER[lab.label]
        if lab.kind in ("pub1", "pub2"):
            d = parse_date(lab.value)
            if d:
                offer("published", rank + (0 if lab.kind == "pub1" else 100), lab.pos, d)
                if lab.label in _DOCUMENT_DATES:  # the document's own date: also `written`
                    offer("written", rank + 1000, lab.pos, d[:10])
        elif lab.kind == "written":
            d = parse_date(lab.value)
            if d:
                offer("written", rank, lab.pos, d[:10])
        elif lab.kind == "source":
            v = lab.value.strip(_SOURCE_TRIM)
            if v and not parse_date(v):
                offer("source", rank, lab.pos, v)
            else:
                offer("source_empty", rank, lab.pos, "")
        elif lab.kind == "doc_number":
            v = lab.value.strip(_SOURCE_TRIM)
            if v and v not in ("无", "暂无", "/", "-"):
                offer("doc_number", rank, lab.pos, v)
        elif lab.kind == "index_number":
            v = lab.value.split(" ")[0].strip(_SOURCE_TRIM) if lab.value else ""
            if v:
                offer("index_number", rank, lab.pos, v)
    written, published = best.get("written"), best.get("published")
    if written and published and written[1] == published[1]:
        # 发文日期 taken as the publish date where the page shows no other: one date, the
        # publication's (the manifest's convention); `written` is a date besides it.
        del best["written"]
    return {k: v[2] for k, v in best.items()}


# --- a 文号 in a table ---------------------------------------------------------------

_NUMBER_LABEL = re.compile(r"^(?P<q>[\u4e00-\u9fff]{0,10}?)(?:文号|发文字号|文件编号)[:：]?$")
# a number the notice cites, not its own: 批复文号, 依据文号, 原文号, 废止文件文号 …
_CITED = re.compile(r"批复|依据|原|废止|引用|相关|参考|上级|来文|转发|引文")
# a table of documents (序号 | 文件名称 | 文号): its numbers are others'
_LIST_HEAD = re.compile(r"^(?:文件|规章|规范性文件|政策)?(?:名称|标题)$")
_MAX_ROWS = 60


def table_doc_number(container, lead: str) -> str | None:
    """The notice's 文号 where its own table states it: the table the body opens with (its
    first cell is `lead`, the body's first line), in a row labelled 文号 (…决定书文号 |
    金罚决字〔2024〕36号) or a column headed so whose rows all hold one number.  A number
    labelled as another's (批复文号, 原文号), a table listing documents, or a table listing
    several numbers name none as this notice's."""
    table = next(container.iter("table"), None)
    if table is None:
        return None
    rows = [_cells(tr) for tr in islice(table.iter("tr"), _MAX_ROWS)]
    rows = [r for r in rows if r]
    if not rows or rows[0][0] != lead.replace(" ", "")[:80]:
        return None
    if any(_LIST_HEAD.match(c) for c in rows[0]):
        return None
    found: set[str] = set()
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            m = _NUMBER_LABEL.match(cell)
            if not m or _CITED.search(m.group("q")):
                continue
            if j + 1 < len(row) and DOC_NUMBER_LINE.match(row[j + 1]):  # label | value
                found.add(row[j + 1])
            for below in rows[i + 1 :]:  # a header: the column below it
                if j < len(below) and DOC_NUMBER_LINE.match(below[j]):
                    found.add(below[j])
    return found.pop() if len(found) == 1 else None


def _cells(tr) -> list[str]:
    return [
        squash(text_of(td))[:80] for td in tr if tag_of(td) in ("td", "th") and not is_hidden(td)
    ]


# --- meta tags -------------------------------------------------------------------------


def meta_published(metas: dict[str, str]) -> str | None:
    """First-publication meta, used only where the page shows no date."""
    for key in (
        "firstpublishedtime",
        "pubdate",
        "publishdate",
        "article:published_time",
        "published_time",
        "publishtime",
    ):
        d = parse_date(metas.get(key, ""))
        if d:
            return d
    return None


# --- title -----------------------------------------------------------------------------

# What may join a site's name to a title: _, |, ｜, --, －, and a bare -, — or – (凯里市
# 人民政府-标题); only ever cut where the piece it joins is a name the page states elsewhere.
_NAME_JOIN = re.compile(r"(\s*(?:_{1,2}|\||｜|--|－|-|—{1,2}|–)\s*)")
_TITLE_EDGE = " -|—–_｜－"  # separators left at either end once a site name is cut off
# A site's name as its <title> may print it: 某区人民政府门户网站, 中国宜春 网站 …
_SITE_WORDS = re.compile(r"(?:门户网站|政府网站|官方网站|网站|官网|门户|政府网)$")


def _is_crumbs(piece: str, crumbs: list[str]) -> bool:
    """Whether a <title> piece is made of the breadcrumb's crumbs ('2007年第23号国务院公报'
    of 首页 > 国务院公报 > 2007年第23号): the column's name.  `crumbs`: squashed, longest
    first."""
    rest = piece.replace(" ", "")
    for c in crumbs:
        rest = rest.replace(c, "")
    return not rest and bool(piece)


_NAME_NO, _NAME_WEAK, _NAME_STRONG = 0, 1, 2
_MAX_CUT = 3  # name pieces cut at either end of a <title>
_MAX_CRUMB = 16  # characters of a crumb that may name a column


def _stated_name(piece: str, sc, names: set[str], crumbs: list[str], weak: bool = True) -> int:
    """Whether a <title> piece is the site's or the column's name, as the page says
    elsewhere: strong for a SiteName/ColumnName meta, a name the caller learned from the
    site or the breadcrumb's crumbs; weak for a logo's alt or aria-label text or a
    主办单位/版权所有 line."""
    bare = _SITE_WORDS.sub("", piece)
    if piece in names or (bare != piece and bare in names) or _is_crumbs(piece, crumbs):
        return _NAME_STRONG
    data = sc.data
    if not weak or data is None or len(piece) < 2:
        return _NAME_NO
    for name in {piece, bare}:
        if _stated_weakly(data, name.encode(), sc.host):
            return _NAME_WEAK
    return _NAME_NO


# Where a page states its own name: a logo's alt or aria-label, or after 主办单位, 版权所有,
# © … (markup between them allowed).  Only the few places the name occurs are looked at.
_ATTRS = (b'alt="', b"alt='", b'aria-label="', b"aria-label='")
_CUE_RE = re.compile(
    "|".join(("主办", "承办", "主管", "版权所有", "Copyright", "©", "&copy;")).encode()
)
_CUE_GAP = re.compile(r"(?:单位)?[\s\u3000:：]*")


def _stated_weakly(data: bytes, needle: bytes, host: str = "") -> bool:
    at, seen = data.find(needle), 0
    while at != -1 and seen < 16:
        end = at + len(needle)
        if _name_ends(data, end):
            before = data[max(0, at - 120) : at]
            if before.endswith(_ATTRS) and not _in_foreign_link(data, at, host):
                return True
            cues = _CUE_RE.findall(before)
            if cues:
                cue = before.rfind(cues[-1]) + len(cues[-1])
                gap = strip_tags(before[cue:].decode("utf-8", "ignore")).replace("&nbsp;", "")
                if _CUE_GAP.fullmatch(gap):
                    return True
        at, seen = data.find(needle, end), seen + 1
    return False


def _name_ends(data: bytes, end: int) -> bool:
    """Whether the name found ends there: no Han character goes on with it (主办单位：
    岳阳市人民政府办公室 does not state 岳阳市人民政府)."""
    nxt = data[end : end + 3].decode("utf-8", "ignore")[:1]
    return not nxt or not ("\u4e00" <= nxt <= "\u9fff")


_A_OPEN = re.compile(rb"<a\b[^>]{0,400}?href\s*=\s*[\"']?(?:https?:)?//([^/\"'\s>:]+)", re.I)


def _in_foreign_link(data: bytes, at: int, host: str) -> bool:
    """Whether the attribute at `at` sits inside a link to another site (a 友情链接 logo
    names that site, not this one)."""
    before = data[max(0, at - 600) : at]
    start = before.rfind(b"<a ")
    if start < 0 or b"</a" in before[start:]:
        return False
    m = _A_OPEN.match(before, start)
    if not m:
        return False
    other = m.group(1).decode("ascii", "ignore").lower().removeprefix("www.")
    own = host.lower().removeprefix("www.")
    return bool(own) and other != own and not other.endswith("." + own)


def own_title(
    raw_title: str, sc, names: set[str], crumbs: list[str] = (), titles: frozenset = frozenset()
) -> str:
    """The document <title> less the site's and column's names joined to it by a separator
    ('凯里市人民政府-标题', '标题_某区人民政府门户网站', '标题｜通知公告｜某区'): a name is cut
    only where the page states it elsewhere; an issuer opening a title (岳阳楼区人民政府关于…)
    is joined by no separator and stays.  '' when the title is nothing but names."""
    parts = _NAME_JOIN.split(raw_title)  # piece, separator, piece, …
    pieces = [clean_title(p) for p in parts[0::2]]
    if len(pieces) == 1:
        return pieces[0]
    # crumbs name columns; a long one, or one that is the notice's own title (many trails end
    # with it), names nothing to cut
    crumbs = sorted(
        (
            c.replace(" ", "")
            for c in crumbs
            if 2 <= len(c) <= _MAX_CRUMB and clean_title(c) not in titles
        ),
        key=len,
        reverse=True,
    )
    lo, hi = 0, len(pieces)
    # a <title> joins a site's name, its column and a channel or two: a few pieces at most
    # (the bound keeps a hostile title of thousands of pieces cheap)
    while (
        hi - lo > 1
        and len(pieces) - hi < _MAX_CUT
        and pieces[hi - 1] not in titles
        and _stated_name(pieces[hi - 1], sc, names, crumbs)
    ):
        hi -= 1
    while (
        hi - lo > 1
        and lo < _MAX_CUT
        and pieces[lo] not in titles
        and _stated_name(pieces[lo], sc, names, crumbs)
    ):
        lo += 1
    # an empty title slot ('通知公告 - 某区人民政府'): what is left is a name the metas give
    if hi - lo == 1 and _stated_name(pieces[lo], sc, names, (), weak=False):
        return ""
    return clean_title("".join(parts[2 * lo : 2 * hi - 1]).strip(_TITLE_EDGE))


def _marker_text(sc, name: str) -> tuple[str | None, object | None]:
    """Text after a Hanweb `<!--<$[name]>begin-->` comment."""
    passed = set()  # markers inside a stretch already read and found empty
    for c in sc.markers.get(name + "begin", ()):
        tail = c.tail
        if c in passed and not (tail and tail.strip()):
            continue  # its stretch is the end of one read already: empty too
        if tail and tail.strip():
            return fold_ws(tail), c.getparent()
        parts = []
        for sib in c.itersiblings():
            if not isinstance(sib.tag, str):
                if "end" in (sib.text or ""):
                    break
                passed.add(sib)
            else:
                parts.append(text_of(sib))
            parts.append(sib.tail or "")
        text = fold_ws("".join(parts))
        if text:
            return text, c.getparent()
    return None, None


def extract_title(sc, names: tuple[str, ...] = (), crumbs: list[str] = ()):
    """(title, the element showing it or None), from a Scan; `names`: the site's names a
    caller learned elsewhere (e.g. from its listing's <title>), cut from a <title> like the
    names the page states itself; `crumbs`: the page's breadcrumb."""
    t, el = _marker_text(sc, "标题")
    if t:
        return clean_title(t), el
    metas = sc.metas
    # (markup some CMSs leave in the meta: '<font …>[电子化]</font>…')
    art = clean_title(strip_tags(metas.get("articletitle", "")))
    column = fold_ws(metas.get("columnname", ""))
    site = fold_ws(metas.get("sitename", ""))
    known = {n for n in (column, site, *map(fold_ws, names)) if n}
    raw_title = fold_ws(sc.doc_title or "")
    shown = []  # (element, text) of the visible title-like headings
    candidates = _outer(sc.title_candidates)
    for el in candidates:
        raw = text_of(el)
        if len(raw) > 2000 or is_hidden(el):
            continue
        text = clean_title(raw)
        if 4 <= len(text) <= 300 and text not in known:
            shown.append((el, text))
    # what names the notice: never a site name to cut (a heading as long as this is no
    # site's name; a shorter one may be the logo's)
    if art:  # a heading showing ArticleTitle is the title: nothing else to weigh
        same = [(text, el) for el, text in shown if text == art]
        if same:
            return next((x for x in same if x[1].tag == "ucaptitle"), same[0])
    titles = frozenset((art, *(t for _, t in shown if len(t) > 20)))
    doc_own = own_title(raw_title, sc, known, crumbs, titles) if raw_title else ""
    doc_squash = clean_title(raw_title).replace(" ", "")
    art_squash = art.replace(" ", "")

    best = None
    best_rank = None
    for el, text in shown:
        squashed = text.replace(" ", "")
        if art and text == art:
            rank = 0
        elif doc_own and text == doc_own:
            rank = 1
        elif len(text) >= 6 and _heads(art_squash, squashed):
            rank = 2  # ArticleTitle adds a bracketed 文号 the heading leaves out
        elif doc_squash and len(text) >= 6 and doc_squash.startswith(squashed):
            rank = 3
        else:
            continue
        key = (rank, 0 if el.tag == "ucaptitle" else 1, -len(text))
        if best_rank is None or key < best_rank:
            best, best_rank = (text, el), key
    if best:
        return best
    if art and art not in known:
        return art, None
    if doc_own:
        return doc_own, None
    for el in candidates:
        if el.tag == "h1":
            text = clean_title(text_of(el))
            if 4 <= len(text) <= 300 and text not in known:
                return text, el
    return None, None


def _outer(els: list) -> list:
    """The candidates less those nested in MAX_NEST others (see text.too_deep)."""
    if len(els) <= MAX_NEST:
        return els
    deep = too_deep(els)
    return [el for el in els if el not in deep] if deep else els


def _heads(full: str, head: str) -> bool:
    """Whether `head` is `full` less a trailing bracketed or separated part: the visible
    heading '…信息公开表' of ArticleTitle '…信息公开表(金罚决字〔2024〕36号)'."""
    return (
        bool(full)
        and len(full) > len(head)
        and full.startswith(head)
        and full[len(head)] in "(（[【〔<《_-—|｜ "
    )


# --- breadcrumb ------------------------------------------------------------------------

_CRUMB_LABEL = re.compile(r"(?:[^\s:：>]{0,8})?位置\s*[:：]|当前位置|您的位置|所在位置")
_CRUMB_SEP = re.compile(r"\s*(?:>>|>|»|＞|›|→|≫|/|\\)\s*")
_CRUMB_FURNITURE = re.compile(r"print|share|font|size|zoom|tool|search|date|time|weather", re.I)


def _crumb_skip(el) -> bool:
    cls = (el.get("class") or "") + " " + (el.get("id") or "")
    return bool(cls.strip()) and bool(_CRUMB_FURNITURE.search(cls))


# What reading an element costs, in characters of the budget: about its markup's size for one
# walked over, more for a link whose text is read and weighed.
_ELEMENT = 8
_LINK = 32


def _trail_from(el, budget: Budget) -> list[str]:
    """The trail `el` holds (its crumbs, or its links); the elements walked and the characters
    read are taken from `budget`."""
    walked = 0

    def skip(x) -> bool:
        nonlocal walked
        walked += 1
        return _crumb_skip(x)

    text = " ".join(to_lines(linearize(el, skip)))
    budget.spend(_ELEMENT * walked + len(text))
    m = None
    for hit in _CRUMB_LABEL.finditer(text):
        m = hit  # the last label
    if m:
        text = text[m.end() :]
    parts = [fold_ws(p) for p in _CRUMB_SEP.split(text)]
    parts = [p for p in parts if p]
    if len(parts) >= 2 and all(len(p) <= 40 for p in parts):
        return parts
    links = []
    for a in el.iter("a"):
        if not _crumb_skip(a):
            t = text_of(a)
            budget.spend(_LINK + len(t))
            links.append(fold_ws(t))
    links = [t for t in links if t and len(t) <= 40]
    if len(links) >= 2:
        return links
    if len(parts) == 1 and len(parts[0]) <= 40 and len(links) <= 1:
        return parts
    return []


def extract_breadcrumb(sc) -> list[str]:
    # Each element is read once, and all of them together no more than a few times the page:
    # nested labels or crumb classes would have each level read whole.
    size = (
        len(sc.data) if sc.data is not None else len(text_of(sc.root)) if sc.root is not None else 0
    )
    budget = Budget(3 * size + 100_000)
    tried = set()
    # 1. a '当前位置：' label: climb from it to the element that holds the trail.
    for el, is_tail in sc.crumb_label_nodes:
        t = el.tail if is_tail else el.text
        if not _CRUMB_LABEL.search(t):
            continue
        if is_tail:
            el = el.getparent()
        for _ in range(4):
            if el is None or tag_of(el) in ("body", "html"):
                break
            if el not in tried and tag_of(el) not in ("script", "style", "title"):
                tried.add(el)
                if not is_hidden(el):
                    if budget.left <= 0:
                        return []
                    trail = _trail_from(el, budget)
                    if len(trail) >= 2:
                        return trail
            el = el.getparent()
    # 2. an element classed as a breadcrumb.
    for el in _outer(sc.crumb_candidates):
        if el in tried or tag_of(el) in ("body", "html", "script", "style") or is_hidden(el):
            continue
        if budget.left <= 0:
            return []
        if el.find(".//a") is None:
            continue
        trail = _trail_from(el, budget)
        if len(trail) >= 2:
            return trail
    return []
