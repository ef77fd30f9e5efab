"""Lists held as a JavaScript object in a ``<script>``, drawn into the page by a template.

Newer Hanweb and 集约化 templates write a column's items into the page as data, and a
Handlebars-style template draws them in the browser; the HTML the server sends holds no link::

    var listData = {total: 57, pageSize: 15, pageNo: 1, articleList: [
        {title: '关于…的通知', pcUrl: './202405/t20240516_1.html', pubDate: '2024-05-16'}, …]};

The literals are read with chompjs, a tolerant JS-literal parser (bare keys, single quotes,
trailing commas, functions kept as strings), never with regular expressions over the items.
A list is an array of objects with a title-like key and a URL-like key; a date-like key dates
its items.  Paging is read only where the page states it: a page count (or a total and a page
size) beside the list, and the address of later pages, as a template (``index_{page}.html``),
a next-page URL beside the list, or a string concatenation in the script
(``'index_' + n + '.html'``, ``'list.jsp?cid=5&pageNo=' + n``).

A hostile page must not blow up: each script is cut at MAX_SCRIPT characters, all scripts
together at MAX_SCRIPTS, the values walked at MAX_NODES, a list at MAX_ITEMS; whatever chompjs
raises on a malformed literal only skips that script.  Pure: lxml and chompjs.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import chompjs

from crawler.schema.records import ListingEntry

from .generic import all_scripts, find_date, is_attachment, norm_text, resolve
from .pagination import UNBOUNDED, template_of

MAX_SCRIPT = 512 * 1024  # characters of one script given to chompjs
MAX_SCRIPTS = 2 * 1024 * 1024  # characters of all the scripts of a page
MAX_OBJECTS = 200  # literals read from one script
MAX_NODES = 200_000  # values visited in search of lists
MAX_ITEMS = 1000  # items read from one list

# Keys, lower-cased without _ and -, most telling first.
TITLE_KEYS = (
    "title",
    "doctitle",
    "articletitle",
    "infotitle",
    "showtitle",
    "fulltitle",
    "maintitle",
    "newstitle",
    "subject",
    "name",
)
URL_KEYS = (
    "pcurl",
    "url",
    "docurl",
    "docpuburl",
    "articleurl",
    "linkurl",
    "link",
    "href",
    "detailurl",
    "infourl",
    "pageurl",
    "weburl",
    "puburl",
    "showurl",
)
DATE_KEYS = (
    "pubdate",
    "publishtime",
    "publishdate",
    "docreltime",
    "docpubtime",
    "pubtime",
    "releasetime",
    "releasedate",
    "fbrq",
    "fbsj",
    "showtime",
    "date",
    "time",
    "createtime",
    "createdate",
    "addtime",
    "inputtime",
)
COUNT_KEYS = ("pagecount", "totalpage", "totalpages", "pagetotal", "pages", "allpage", "maxpage")
TOTAL_KEYS = (
    "total",
    "totalcount",
    "totalrecord",
    "totalrecords",
    "recordcount",
    "totalnum",
    "totalsize",
    "totalelements",
    "allrecord",
)
SIZE_KEYS = ("pagesize", "perpage", "size", "rows", "limit")
CURRENT_KEYS = ("pageno", "pageindex", "currentpage", "curpage", "pagenum", "page", "nowpage")
NEXT_KEYS = ("nexturl", "nextpage", "nextpageurl", "nextlink")

_JS_TYPES = frozenset(
    (
        "",
        "text/javascript",
        "application/javascript",
        "application/x-javascript",
        "text/ecmascript",
        "application/ecmascript",
        "module",
        "application/json",
        "text/json",
    )
)
# Cheap test before chompjs: the script holds a title-like key.
_TITLE_KEY = re.compile(
    r"""['"]?\b(?:title|doc_?title|article_?title|info_?title|subject|name)['"]?\s*:""", re.I
)
_KEY_FOLD = str.maketrans("", "", "_-")
_TAGS = re.compile(r"<[^>]{0,500}>")
_EPOCH_DIGITS = re.compile(r"^\d{10}(?:\d{3})?$")
_SHANGHAI = timedelta(hours=8)
# A page-number slot in a URL template: {page}, {{pageNo}}, ${page}, {0}, {n}
_SLOT = re.compile(
    r"\$\{\s*(?:page(?:no|num|index)?|p|n|i)\s*\}|\{\{?\s*(?:page(?:no|num|index)?|p|n|0)\s*\}?\}",
    re.I,
)
# 'index_' + n + '.html' / "list.jsp?cid=5&pageNo=" + n: a string literal ending where a page
# number goes, added to a value, maybe followed by the rest of the address.
_CONCAT = re.compile(
    r"""(['"])([^'"\s<>+]{0,300}?(?:_|[?&](?:page|pageno|pagenum|pageindex|curpage|currentpage|p)=))\1"""
    r"""\s*\+\s*[\w$.()\[\]]{1,40}\s*(?:\+\s*(['"])([^'"\s<>]{0,60})\3)?""",
    re.I,
)
_PAGE_EXT = re.compile(r"\.(?:s?html?|jsp|aspx?|php)(?:\?|$)", re.I)
_TEMPLATE_STR = re.compile(r"""(['"])([^'"\s<>]{1,300})\1""")


@dataclass
class ScriptList:
    items: list[ListingEntry]
    dated: int
    next_urls: list[str] = field(default_factory=list)
    page_count: int | None = None
    last_page: bool = True
    paged: bool = False  # whether the page states its paging


def _fold(key) -> str:
    return key.translate(_KEY_FOLD).lower() if isinstance(key, str) else ""


def _pick(obj: dict, keys: tuple[str, ...]):
    """The value of the first of `keys` the object has (keys folded)."""
    folded = {_fold(k): v for k, v in obj.items()}
    for k in keys:
        v = folded.get(k)
        if v not in (None, "", [], {}):
            return v
    return None


def _int(v) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v if 0 <= v < 10**7 else None
    if isinstance(v, float) and v.is_integer():
        return _int(int(v))
    if isinstance(v, str) and v.strip().isdigit() and len(v.strip()) <= 7:
        return int(v.strip())
    return None


def _date(v) -> str | None:
    if isinstance(v, str) and _EPOCH_DIGITS.match(v.strip()):
        v = int(v.strip())
    if isinstance(v, int | float) and not isinstance(v, bool):
        seconds = v / 1000 if v >= 10**11 else v  # milliseconds, as Java and JS write them
        if not 10**8 <= seconds < 5 * 10**9:
            return None
        return (datetime.fromtimestamp(seconds, UTC) + _SHANGHAI).date().isoformat()
    if isinstance(v, str):
        found, iso, _ = find_date(v[:100], allow_month_day=False)
        return iso if found else None
    return None


def _title(v) -> str | None:
    if not isinstance(v, str):
        return None
    text = norm_text(html.unescape(_TAGS.sub("", v[:2000])))  # titles may carry <em> marks
    return text or None


_COLUMN_URL = re.compile(
    r"(?:/|/index\.s?html?|/default\.s?html?|/list\.s?html?)(?:[?#].*)?$", re.I
)


def _entries(items: list, base: str) -> list[ListingEntry]:
    out: list[ListingEntry] = []
    seen: set[str] = set()
    for obj in items[:MAX_ITEMS]:
        if not isinstance(obj, dict):
            continue
        title = _title(_pick(obj, TITLE_KEYS))
        raw = _pick(obj, URL_KEYS)
        url = resolve(base, raw) if isinstance(raw, str) else None
        if not title or url is None or is_attachment(url) or url in seen:
            continue
        seen.add(url)
        out.append(ListingEntry(url=url, title=title, date=_date(_pick(obj, DATE_KEYS))))
    return out


def _looks_like_items(value: list) -> bool:
    """An array of objects whose first ones have a title-like and a URL-like key."""
    head = [o for o in value[:5] if isinstance(o, dict)]
    if not head:
        return False
    hits = 0
    for o in head:
        keys = {_fold(k) for k in o}
        hits += bool(keys.intersection(TITLE_KEYS)) and bool(keys.intersection(URL_KEYS))
    return hits * 2 > len(head)


def _lists(root, budget: list[int]):
    """(the array of items, the objects holding it, innermost first) in a parsed literal."""
    stack = [(root, ())]
    while stack and budget[0] > 0:
        value, owners = stack.pop()
        budget[0] -= 1
        if isinstance(value, dict):
            inner = (value, *owners)
            stack.extend((v, inner) for v in value.values() if isinstance(v, dict | list))
        elif isinstance(value, list):
            if _looks_like_items(value):
                yield value, owners
                continue  # an item's own arrays are not the list
            stack.extend((v, owners) for v in value[:MAX_ITEMS] if isinstance(v, dict | list))


def _literals(text: str):
    """The object and array literals of one script (none when chompjs cannot read it)."""
    try:
        for n, obj in enumerate(chompjs.parse_js_objects(text)):
            if n >= MAX_OBJECTS:
                return
            yield obj
    except Exception:  # noqa: BLE001  chompjs raises assorted errors on hostile literals
        return


def script_list(
    doc, base: str, max_pages: int = 300, own: str | None = None, ahead: int = UNBOUNDED
) -> ScriptList | None:
    """The best list held in the page's scripts (the most dated items, then the most items),
    with the paging the page states (`own`: the page's URL, `base` its links' base); None when
    no script holds one."""
    best = None
    best_key = None
    left = MAX_SCRIPTS
    nodes = [MAX_NODES]
    for script in all_scripts(doc):
        if script.get("src") or (script.get("type") or "").strip().lower() not in _JS_TYPES:
            continue
        text = script.text or ""
        if not text or left <= 0:
            continue
        text = text[: min(MAX_SCRIPT, left)]
        left -= len(text)
        if _TITLE_KEY.search(text) is None:
            continue
        for obj in _literals(text):
            for items, owners in _lists(obj, nodes):
                entries = _entries(items, base)
                if not entries:
                    continue
                dated = sum(1 for e in entries if e.date)
                if dated * 2 < len(entries):
                    continue  # notices are dated: undated names are a menu or a config
                if sum(1 for e in entries if _COLUMN_URL.search(e.url)) * 2 > len(entries):
                    continue  # links to columns (…/index.html, …/): navigation
                key = (dated, len(entries))
                if best_key is None or key > best_key:
                    best, best_key = (entries, dated, owners, text), key
    if best is None:
        return None
    entries, dated, owners, text = best
    found = ScriptList(items=entries, dated=dated)
    _paging(found, owners, text, base, max_pages, own or base, ahead)
    return found


# -- paging, where the page states it -------------------------------------------------------------


def _stated(owners: tuple, keys: tuple[str, ...]) -> int | None:
    for obj in owners:
        v = _int(_pick(obj, keys))
        if v is not None:
            return v
    return None


def _template(owners: tuple, text: str, base: str):
    """make(n) -> the URL of page n, from the page's own words; or None."""
    for obj in owners:
        for v in obj.values():
            if isinstance(v, str) and _SLOT.search(v) and ("/" in v or "." in v or "?" in v):
                return lambda n, t=v: resolve(base, _SLOT.sub(str(n), t, count=1))
    for m in _TEMPLATE_STR.finditer(text):
        v = m.group(2)
        if _SLOT.search(v) and _PAGE_EXT.search(_SLOT.sub("1", v)):
            return lambda n, t=v: resolve(base, _SLOT.sub(str(n), t, count=1))
    for m in _CONCAT.finditer(text):
        head, tail = m.group(2), m.group(4) or ""
        if head.endswith("_") and not _PAGE_EXT.search(tail):
            continue  # 'btn_' + id: an element, not a page
        return lambda n, h=head, t=tail: resolve(base, f"{h}{n}{t}")
    return None


def _paging(
    found: ScriptList,
    owners: tuple,
    text: str,
    base: str,
    max_pages: int,
    own: str,
    ahead: int = UNBOUNDED,
) -> None:
    count = _stated(owners, COUNT_KEYS)
    if count is None:
        total, size = _stated(owners, TOTAL_KEYS), _stated(owners, SIZE_KEYS)
        if total is not None and size:
            count = max(1, math.ceil(total / size))
    current = _stated(owners, CURRENT_KEYS)
    nxt = None
    for obj in owners:
        v = _pick(obj, NEXT_KEYS)
        if isinstance(v, str) and ("/" in v or "." in v or "?" in v):  # not a page number
            nxt = resolve(base, v)
            if nxt:
                break
    if count is None and nxt is None:
        return
    found.paged = True
    found.page_count = count
    make = _template(owners, text, base)
    if current is None and make is not None and count is not None:
        # not stated: the page's own number in the series, if its URL is one of them
        # (a number its URL holds: trying each page number would cost the column's length)
        current = next(
            (
                n
                for n in dict.fromkeys(int(d) for d in re.findall(r"\d{1,9}", own))
                if 2 <= n <= min(count, max_pages) and make(n) == own
            ),
            None,
        )
    first = 0 if current == 0 else 1
    current = first if current is None else current
    last = None if count is None else first + count - 1
    found.last_page = last is not None and current >= last
    if last is not None and current >= last:
        return
    if make is None and nxt is not None:
        tpl = template_of(nxt)
        if tpl is not None and tpl.n == current + 1:
            make = tpl.make
        else:
            found.next_urls = [nxt] if max_pages > 1 else []
            return
    if make is None or last is None:
        found.next_urls = [nxt] if nxt and max_pages > 1 else []
        return
    urls = []
    for n in range(current + 1, min(last, current + ahead) + 1):
        if n - first >= max_pages:
            break
        u = make(n)
        if u and u not in urls:
            urls.append(u)
    found.next_urls = urls
