"""Hanweb 大汉 JCMS lists: the embedded ``<datastore>`` and the ``dataproxy.jsp`` answers.

The first page of a column embeds its first group of records::

    <script type="text/xml"><datastore>
      <nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=…"></a>]]></nextgroup>
      <recordset><record><![CDATA[<li><a href="/art/2021/9/24/art_1234_5678.html">…</a>
      <span>2021-09-24</span></li>]]></record>…</recordset></datastore></script>

and configures jpage with ``totalRecord``, ``perPage``, ``proxyUrl`` and the form fields
(``col``, ``appid``, ``webid``, ``path``, ``columnid``, ``sourceContentType``, ``unitid``,
``webname``, ``permissiontype``).  Further groups come from
``dataproxy.jsp?startrecord=S&endrecord=E&perpage=P&<form fields>`` (GET), answering the same
``<datastore>`` XML, sometimes with ``<totalrecord>``/``<totalpage>``.

Group size: the number of records the first page embeds (the jpage group), or ``endrecord -
startrecord + 1`` on a dataproxy answer.  ``page_count`` counts groups, the pages to fetch.

A bare answer without ``<nextgroup>`` claims no next URL: it does not hold one, so the walk
computes the next window from the request it sent (`.window`).  The column page still lists
every group its ``totalRecord`` makes known.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

import lxml.html

from crawler.schema.records import ListingEntry, ListingPage

from .family import Evidence, Family, Page, Reading, most_match
from .generic import (
    _Row,
    _text_outside,
    base_url,
    entries_from_rows,
    find_date,
    is_attachment,
    link_title,
    norm_text,
    resolve,
)
from .generic import _year_from_url as year_from_url
from .pagination import UNBOUNDED
from .selected import selected_entries, selected_next

# The datastore is scanned, not matched with lazy `<x>(.*?)</x>` patterns: those rescan to the
# end of the text from every unclosed tag (a listing of 20,000 unclosed <record> took minutes).
_OPEN = {name: re.compile(rf"<{name}\b", re.I) for name in ("datastore", "record", "nextgroup")}
_CLOSE = {name: re.compile(rf"</{name}\s*>", re.I) for name in ("datastore", "record", "nextgroup")}
_CDATA_CLOSE = {
    name: re.compile(rf"\]\]>\s*</{name}\s*>", re.I) for name in ("record", "nextgroup")
}
_CDATA_OPEN = re.compile(r"<!\[CDATA\[", re.I)
_LEAD_WS = re.compile(r"\s*")
_TOTAL_OPEN = re.compile(r"<total_?(?:record|records|count)\b", re.I)
_TOTALPAGE_OPEN = re.compile(r"<total_?page\b", re.I)
# the number a <totalrecord> tag opens with (one optional CDATA: no two \s* runs side by side)
_NUMBER_AFTER = re.compile(r"\s*(?:<!\[CDATA\[\s*)?(\d+)", re.I)
_TOTAL_JS = re.compile(
    r"""\b(?:totalRecord|totalRecords|allRecord)['"]?\s*[:=]\s*['"]?(\d+)""", re.I
)
_PERPAGE_JS = re.compile(r"""\bperPage['"]?\s*[:=]\s*['"]?(\d+)""", re.I)
_PROXY_JS = re.compile(r"""\bproxyUrl['"]?\s*[:=]\s*['"]([^'"]+)['"]""", re.I)
_HREF = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
_DATAPROXY = re.compile(r"dataproxy\.jsp", re.I)
FORM_KEYS = (
    "col",
    "appid",
    "webid",
    "path",
    "columnid",
    "sourceContentType",
    "unitid",
    "webname",
    "permissiontype",
)
_PARAM_JS = re.compile(
    r"""['"]?\b(col|appid|webid|path|columnid|sourceContentType|unitid|webname|permissiontype)"""
    r"""['"]?\s*:\s*(?:(['"])(.*?)\2|([\w.\-]+))"""
)
_INPUT_OPEN = re.compile(r"<input\b", re.I)
_ATTR = re.compile(r"""\b(name|value)\s*=\s*(['"])(.*?)\2""", re.I | re.S)
_RANGE_KEYS = frozenset(("startrecord", "endrecord", "perpage", "page"))
_ART = re.compile(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+", re.I)
DEFAULT_PROXY = "/module/web/jpage/dataproxy.jsp"
_MAX_DIGITS = 9  # a count written longer than this is junk, not a count


_STORE_MARK = re.compile(r"<(?:datastore|recordset)\b", re.I)
# A data proxy answer is a datastore document (an XML prolog at most before it); a column
# page embeds its datastore in HTML.
_BARE = re.compile(r"\ufeff?\s*(?:<\?xml[^>]{0,200}\?>\s*)?<datastore\b", re.I)


def has_datastore(text: str) -> bool:
    return _STORE_MARK.search(text) is not None


def is_answer(text: str) -> bool:
    """Whether the text is a bare dataproxy.jsp answer (not a page embedding a datastore)."""
    return _BARE.match(text) is not None


class _Ahead:
    """The leftmost match of `rx` at or after a position that only moves forward: each part
    of the text is searched once, however many elements ask."""

    def __init__(self, rx: re.Pattern, text: str):
        self.rx, self.text, self.at, self.m = rx, text, -1, None

    def find(self, pos: int) -> re.Match | None:
        if self.at < 0 or pos < self.at or (self.m is not None and self.m.start() < pos):
            self.at, self.m = pos, self.rx.search(self.text, pos)
        return self.m


def _tags(text: str, opener: re.Pattern, pos: int = 0):
    """(start, end) of each `opener[^>]*>` tag, as finditer would give them. A tag with no
    '>' after it ends the scan: no later tag has one either."""
    while (m := opener.search(text, pos)) is not None:
        gt = text.find(">", m.end())
        if gt < 0:
            return
        yield m.start(), gt + 1
        pos = gt + 1


@dataclass(frozen=True)
class _Element:
    """One `<name …>…</name>` of the datastore XML."""

    start: int
    end: int
    cdata: str | None  # the content of the CDATA section it holds, if it is one
    raw: str | None  # else its content (spaces around it dropped)


def _elements(text: str, name: str, wrapped: bool = True):
    r"""The `<name>` elements of the text, as the lazy pattern
    `<name\b[^>]*>\s*(?:<!\[CDATA\[(.*?)\]\]>|(.*?))\s*</name\s*>` (with `wrapped`; else
    `<name\b[^>]*>(.*?)</name\s*>`, the content as is) would find them, in one pass: a closer
    missing after one element is missing after every later one, so the scan stops there."""
    closer = _Ahead(_CLOSE[name], text)
    cdata_closer = _Ahead(_CDATA_CLOSE[name], text) if wrapped else None
    pos = 0
    while (m := _OPEN[name].search(text, pos)) is not None:
        gt = text.find(">", m.end())
        if gt < 0:
            return
        body = gt + 1
        if not wrapped:
            c = closer.find(body)
            if c is None:
                return
            yield _Element(m.start(), c.end(), None, text[body : c.start()])
            pos = c.end()
            continue
        q = _LEAD_WS.match(text, body).end()
        if _CDATA_OPEN.match(text, q):
            c = cdata_closer.find(q + 9)
            if c is not None:
                yield _Element(m.start(), c.end(), text[q + 9 : c.start()], None)
                pos = c.end()
                continue
        c = closer.find(q)
        if c is None:
            return
        yield _Element(m.start(), c.end(), None, text[q : c.start()].rstrip())
        pos = c.end()


def _count(digits: str) -> int | None:
    """A count as written; None for a number too long to be one (int() refuses 4,300 digits)."""
    return int(digits) if len(digits) <= _MAX_DIGITS else None


def _first_number(text: str, opener: re.Pattern) -> int | None:
    """The number opening the content of the first `opener` tag that holds one."""
    for _start, end in _tags(text, opener):
        m = _NUMBER_AFTER.match(text, end)
        if m:
            return _count(m.group(1))
    return None


def answer_counts(text: str) -> tuple[int, int | None]:
    """(records, totalrecord or None) of a dataproxy answer."""
    store = _main_store(text)
    body = store.raw if store else text
    n = sum(1 for _ in _elements(body, "record"))
    return n, _first_number(body, _TOTAL_OPEN)


def _main_store(text: str) -> _Element | None:
    """The datastore with the most records (a page may carry several jpage modules)."""
    best = None
    best_n = -1
    for m in _elements(text, "datastore", wrapped=False):
        n = m.raw.lower().count("<record")
        if n > best_n:
            best, best_n = m, n
    return best


def records_of(text: str, store: _Element | None = None) -> list[str]:
    m = store or _main_store(text)
    body = m.raw if m else text
    out = []
    for r in _elements(body, "record"):
        if r.cdata is not None:
            out.append(r.cdata)
        else:
            out.append(html.unescape(r.raw or ""))
    return out


def records_document(records: list[str]):
    """One HTML document of the records, each in a `div.hw-record` (a site's `listing`
    selector is applied to it, as to an HTML list)."""
    return lxml.html.document_fromstring(
        "<html><body>"
        + "".join(f'<div class="hw-record">{r}</div>' for r in records)
        + "</body></html>"
    )


def parse_records(records: list[str], base: str) -> list[ListingEntry]:
    if not records:
        return []
    doc = records_document(records)
    rows: list[_Row] = []
    body = doc.find("body")
    holders = [el for el in body if el.get("class") == "hw-record"] if body is not None else []
    for rec in holders:
        best = None
        best_key = None
        for a in rec.iter("a"):
            url = resolve(base, a.get("href"))
            if url is None or is_attachment(url):
                continue
            key = (bool(_ART.search(url)), len(norm_text(a.text_content()) or a.get("title") or ""))
            if best_key is None or key > best_key:
                best, best_key = (a, url), key
        if best is None:
            continue
        a, url = best
        found, iso, matched = find_date(_text_outside(rec, a))
        inside = None
        if not found:
            found, iso, matched = find_date(a.text_content(), allow_month_day=False)
            inside = matched if found else None
        if iso and iso.startswith("--"):
            iso = year_from_url(url, iso)
        rows.append(_Row(a=a, row=rec, url=url, title=link_title(a, inside), date=iso, dated=found))
    return entries_from_rows(rows)


@dataclass
class HanwebResult:
    items: list[ListingEntry]
    next_urls: list[str]
    last_page: bool
    page_count: int | None
    params: list[tuple[str, str]] = field(default_factory=list)


def _form_params(text_wo_store: str, nextgroup_href: str | None) -> list[tuple[str, str]]:
    found: dict[str, str] = {}
    extra: list[tuple[str, str]] = []
    if nextgroup_href:
        for k, v in parse_qsl(urlsplit(nextgroup_href).query, keep_blank_values=True):
            if k.lower() in _RANGE_KEYS:
                continue
            if k in FORM_KEYS:
                found.setdefault(k, v)
            else:
                extra.append((k, v))
    for m in _PARAM_JS.finditer(text_wo_store):
        v = m.group(3) if m.group(2) else m.group(4)
        found.setdefault(m.group(1), v or "")
    for start, end in _tags(text_wo_store, _INPUT_OPEN):
        attrs = {k.lower(): v for k, _, v in _ATTR.findall(text_wo_store[start:end])}
        name = attrs.get("name")
        if name in FORM_KEYS and "value" in attrs:
            found.setdefault(name, html.unescape(attrs["value"]))
    out = [(k, found[k]) for k in FORM_KEYS if k in found]
    seen = {k for k, _ in out}
    out.extend((k, v) for k, v in extra if k not in seen)
    return out


def _proxy_url(own: str, text_wo_store: str, nextgroup_href: str | None, base: str) -> str:
    m = _PROXY_JS.search(text_wo_store)
    if m:
        return urljoin(base, m.group(1).strip())
    if nextgroup_href and _DATAPROXY.search(nextgroup_href):
        p = urlsplit(urljoin(base, html.unescape(nextgroup_href)))
        return urlunsplit((p.scheme, p.netloc, p.path, "", ""))
    return urljoin(base, DEFAULT_PROXY)


def _make_url(proxy: str, start: int, end: int, perpage: int, params: list[tuple[str, str]]) -> str:
    query = [("startrecord", str(start)), ("endrecord", str(end)), ("perpage", str(perpage))]
    query.extend(params)
    return proxy + "?" + urlencode(query, quote_via=quote, safe="/")


def parse_hanweb(
    text: str, url: str, base: str, max_pages: int, ahead: int = UNBOUNDED
) -> HanwebResult:
    store = _main_store(text)
    records = records_of(text, store)
    items = parse_records(records, base)
    n = len(records)
    # The jpage configuration follows its datastore: look there first, then anywhere.
    wo_store = (text[store.end :] + text[: store.start]) if store else text
    ng = next(_elements(store.raw if store else text, "nextgroup"), None)
    ng_href = None
    if ng:
        inner = ng.cdata if ng.cdata is not None else html.unescape(ng.raw or "")
        mh = _HREF.search(inner)
        if mh:
            ng_href = html.unescape(mh.group(1) if mh.group(1) is not None else mh.group(2))

    total = _first_number(store.raw, _TOTAL_OPEN) if store else None
    if total is None:
        total = _first_number(text, _TOTAL_OPEN)
    if total is None:
        m = _TOTAL_JS.search(wo_store)
        if m:
            total = _count(m.group(1))
    perpage = None
    m = _PERPAGE_JS.search(wo_store)
    if m:
        perpage = _count(m.group(1)) or None

    own = urlsplit(url)
    own_q = parse_qsl(own.query, keep_blank_values=True)
    own_qd = {k.lower(): v for k, v in own_q}
    is_proxy_answer = bool(_DATAPROXY.search(own.path)) or (
        "startrecord" in own_qd and "endrecord" in own_qd
    )

    if (
        is_proxy_answer
        and own_qd.get("startrecord", "").isdigit()
        and own_qd.get("endrecord", "").isdigit()
    ):
        start = int(own_qd["startrecord"])
        end = int(own_qd["endrecord"])
        group = max(end - start + 1, 1)
        if perpage is None and own_qd.get("perpage", "").isdigit():
            perpage = int(own_qd["perpage"]) or None
        params = [(k, v) for k, v in own_q if k.lower() not in _RANGE_KEYS]
        proxy = urlunsplit((own.scheme, own.netloc, own.path, "", ""))
        if total is None:
            # A page total bounds the records (from above: the last page may be short).
            pages = _first_number(text, _TOTALPAGE_OPEN)
            if pages is not None:
                total = pages * (perpage or group)
        next_start = end + 1
    else:
        start, end = 1, n
        group = n if n > 0 else (perpage * 3 if perpage else 0)
        params = _form_params(wo_store, ng_href)
        proxy = _proxy_url(url, wo_store, ng_href, base)
        next_start = n + 1

    if group <= 0:
        return HanwebResult(
            items=items, next_urls=[], last_page=True, page_count=None, params=params
        )

    pp = perpage or group
    next_urls: list[str] = []
    page_count = None
    if total is not None:
        page_count = max(1, math.ceil(total / group))
        last_page = end >= total or n == 0
        s = next_start
        while s <= total and (s - 1) // group < max_pages and len(next_urls) < ahead:
            next_urls.append(_make_url(proxy, s, s + group - 1, pp, params))
            s += group
    else:
        last_page = (
            n < group if is_proxy_answer else (n == 0 or (perpage is not None and n < perpage))
        )
        if not last_page and (next_start - 1) // group < max_pages:
            next_urls.append(_make_url(proxy, next_start, next_start + group - 1, pp, params))
    own_str = urlunsplit((own.scheme, own.netloc, own.path, own.query, ""))
    next_urls = [u for u in next_urls if u != own_str]
    if ng_href is None and is_answer(text):
        # An answer holds no address of the next window (and its totals may be counted for
        # another perpage): the walk computes it from the request it sent (see .window).
        next_urls = []
    return HanwebResult(
        items=items, next_urls=next_urls, last_page=last_page, page_count=page_count, params=params
    )


def first_group_url(text: str, url: str) -> str:
    """The dataproxy.jsp URL of a column's first group of records, from a page that sets up
    jpage (proxyUrl, perPage, the form fields) but embeds no records: what a browser would
    ask for (`tzgg probe` suggests it)."""
    m = _PERPAGE_JS.search(text)
    perpage = (_count(m.group(1)) if m else 0) or 20
    proxy = _proxy_url(url, text, None, url)
    return _make_url(proxy, 1, perpage * 3, perpage, _form_params(text, None))


_ITEM = re.compile(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html", re.I)
_COL = re.compile(r"/col/col\d+/", re.I)


class Hanweb(Family):
    """Read whole when it carries its records (or is an empty data proxy answer); marked by a
    datastore; addressed by /col/colN/ or /art/… items."""

    name = "hanweb"

    def read(self, page: Page) -> Reading | None:
        text, url = page.text, page.url
        if has_datastore(text) and records_of(text):
            ov = page.overrides
            listing_xp = ov.listing if ov is not None else None
            next_xp = ov.next_page if ov is not None else None
            res = parse_hanweb(text, url, url, page.max_pages, page.ahead)
            items, next_urls, last_page = res.items, res.next_urls, res.last_page
            if listing_xp is not None:
                items = selected_entries(records_document(records_of(text)), url, listing_xp)
            if next_xp is not None:
                doc = page.doc
                found = (
                    selected_next(doc, base_url(doc, url), next_xp, url) if doc is not None else []
                )
                next_urls, last_page = (found if page.max_pages > 1 else []), not found
            listing = ListingPage(
                items=items,
                next_urls=next_urls,
                last_page=last_page,
                page_count=res.page_count,
                family=self.name,
            )
            return Reading(listing, sum(1 for i in items if i.date), True)
        if has_datastore(text) and page.doc is None:  # an empty dataproxy answer
            return Reading(ListingPage(last_page=True, family=self.name), 0, True)
        return None

    def detect(self, page: Page) -> Evidence:
        if has_datastore(page.text):
            return Evidence.MARKS
        if _COL.search(page.url) or most_match(page.item_urls, _ITEM):
            return Evidence.ADDRESS
        return Evidence.NONE

    def vouches(self, page: Page) -> bool:
        return has_datastore(page.text)


FAMILY = Hanweb()
