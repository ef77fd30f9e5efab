"""Listing parsers: given a page of a 通知公告 column, find the notice links (with listed title
and date) and the further listing pages to walk.

    parse_listing(text, url, max_pages=300, overrides=None) -> ListingPage
    is_listing(text, url, overrides=None) -> bool

Pure functions (lxml, no Scrapy, no SQLite).  The CMS family is detected from the page:

* ``hanweb``: an embedded ``<datastore>`` (first page) or a bare dataproxy.jsp XML answer;
* ``fujian``: the Fujian (平潭) template, TRS underneath, items in avalon ``$showStatic`` groups;
* ``trs``: TRS WCM, ``createPageHTML(countPage, currentPage, "index", "html")`` pagination;
* ``jyh``: the Jiangxi 集约化 (Ucap) platform;
* ``generic``: anything else (next/尾页 links, ``?page=N``, ``index_N.html``…).

Where the live markup holds no dated list, the list may be data a script draws (`.scripted`:
a JavaScript object of titled links, read with chompjs) or, when the markup holds no list at
all, a static list the template keeps inside an HTML comment (`.commented`).  A bare
dataproxy.jsp answer names no next window: the walk computes it (`.window`).

next_urls lists every further page the page makes known (all remaining pages when the page
count is known, bounded by ``max_pages``; otherwise the next one), never the page itself; a
caller walking several pages should de-duplicate (Scrapy's dupefilter does).

`overrides` (a site's registry entry, crawler.parse.notice.overrides.Overrides): its `listing`
selector replaces the block heuristic, its `next_page` selector the pagination detection
(see .selected); the family is still detected.
"""

from __future__ import annotations

import re

from crawler.schema.records import ListingPage

from .commented import commented_block
from .generic import base_url, best_block, parse_html, strip_fragment
from .hanweb import has_datastore, parse_hanweb, records_document, records_of
from .jyh import looks_jyh, pages_from_count
from .pagination import classify_anchors, generic_paging, page_count_from_text
from .scripted import script_list
from .selected import selected_entries, selected_next
from .trs import parse_trs_paging

__all__ = ["parse_listing", "is_listing"]

_TRS_ITEM = re.compile(r"/t(?:19|20)\d{6}_\d+(?:_\d+)?\.s?html?\b", re.I)
_HANWEB_ITEM = re.compile(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html", re.I)
_HANWEB_COL = re.compile(r"/col/col\d+/", re.I)
_SHOW_STATIC = re.compile(r"\$showStatic\s*\(", re.I)
# An ArticleTitle meta marks an article only when it names one: list templates carry it empty.
_ARTICLE_MARKS = re.compile(
    r"""class\s*=\s*["']?TRS_Editor|name\s*=\s*["']?ContentStart\b|<ucapcontent"""
    r"""|<meta\b[^>]{0,200}?name\s*=\s*["']?ArticleTitle\b["']?[^>]{0,40}?content\s*=\s*["']?[^"'\s>]"""
    r"""|<meta\b[^>]{0,40}?content\s*=\s*["']?[^"'\s>][^>]{0,300}?name\s*=\s*["']?ArticleTitle\b"""
    r"""|<!--\s*<\$\[信息内容\]>begin""",
    re.I,
)
_DETAIL_URL = re.compile(
    r"/t(?:19|20)\d{6}_\d+(?:_\d+)?\.s?html?$|/art_\d+_\d+\.html$|/content_\d+\.html?$"
    r"|/[0-9a-f]{32}\.shtml$",
    re.I,
)


def _share(urls: list[str], rx: re.Pattern) -> bool:
    return bool(urls) and sum(1 for u in urls if rx.search(u)) * 2 >= len(urls)


def _dated(items) -> int:
    return sum(1 for i in items if i.date)


def _analyse(text: str, url: str, max_pages: int, overrides=None) -> tuple[ListingPage, int, bool]:
    """(page, dated rows in the chosen block, whether a known listing mechanism was seen)."""
    url = strip_fragment(url)
    if max_pages < 1:
        max_pages = 1
    listing_xp = overrides.listing if overrides is not None else None
    next_xp = overrides.next_page if overrides is not None else None
    if has_datastore(text) and records_of(text):
        res = parse_hanweb(text, url, url, max_pages)
        items, next_urls, last_page = res.items, res.next_urls, res.last_page
        if listing_xp is not None:
            items = selected_entries(records_document(records_of(text)), url, listing_xp)
        if next_xp is not None:
            doc = parse_html(text)
            found = selected_next(doc, base_url(doc, url), next_xp, url) if doc is not None else []
            next_urls, last_page = (found if max_pages > 1 else []), not found
        page = ListingPage(
            items=items,
            next_urls=next_urls,
            last_page=last_page,
            page_count=res.page_count,
            family="hanweb",
        )
        return page, _dated(items), True
    doc = parse_html(text)
    if doc is None:
        if has_datastore(text):  # an empty dataproxy answer
            return ListingPage(last_page=True, family="hanweb"), 0, True
        return ListingPage(last_page=True), 0, False
    base = base_url(doc, url)
    anchors = classify_anchors(doc, base)
    paging_ids = {p.el for p in anchors}
    if listing_xp is not None:
        items = selected_entries(doc, base, listing_xp)
        dated = _dated(items)
    else:
        block = best_block(doc, base, paging_ids)
        items = block.entries() if block is not None else []
        dated = block.dated if block is not None else 0
    drawn = None
    source = "markup"
    if listing_xp is None and dated == 0:
        # No dated list in the live markup: the list may be data a script draws, or the
        # static list a template keeps commented out while a script draws it.
        drawn = script_list(doc, base, max_pages, url)
        live = {i.url for i in items}
        if drawn is not None and (not items or live.intersection(i.url for i in drawn.items)):
            # the script's list where the markup holds none, or where it is the same list
            # with dates (never a carousel's beside an undated live list)
            items, dated = drawn.items, drawn.dated
            source = "script"
        else:
            drawn = None
            hidden = commented_block(doc, base) if not items else None
            if hidden is not None:
                items, dated = hidden.entries(), hidden.dated
                source = "comment"
    item_urls = [i.url for i in items]

    trs = parse_trs_paging(text, url)
    if trs is not None and trs.is_article:
        trs = None
    mechanism = trs is not None

    if _SHOW_STATIC.search(text):
        family = "fujian"
    elif trs is not None:
        family = "trs"
    elif has_datastore(text):
        family = "hanweb"
    elif looks_jyh(text, url, item_urls):
        family = "jyh"
    elif _HANWEB_COL.search(url) or _share(item_urls, _HANWEB_ITEM):
        family = "hanweb"
    elif _share(item_urls, _TRS_ITEM):
        family = "trs"
    else:
        family = "generic"

    if next_xp is not None:
        found = selected_next(doc, base, next_xp, url)
        next_urls, last_page = (found if max_pages > 1 else []), not found
        page_count = trs.count if trs is not None else page_count_from_text(doc.text_content())
        mechanism = mechanism or bool(found)
    elif trs is not None:
        next_urls = trs.next_urls(url, max_pages)
        last_page, page_count = trs.last_page, trs.count
    else:
        plain = doc.text_content()
        paging = generic_paging(anchors, url, plain, max_pages)
        next_urls, last_page, page_count = paging.next_urls, paging.last_page, paging.page_count
        mechanism = mechanism or (paging.found and bool(next_urls or paging.page_count))
        if drawn is not None:
            mechanism = True  # a script's list of titled links is meant as the list
            if drawn.paged and not next_urls:
                next_urls, last_page = drawn.next_urls, drawn.last_page
                page_count = drawn.page_count or page_count
        if family == "jyh" and not next_urls:
            count = page_count or page_count_from_text(plain)
            if count:
                urls, own_n = pages_from_count(url, count, max_pages)
                if urls or own_n >= count:
                    next_urls, last_page, page_count = urls, own_n >= count, count
                    mechanism = True
    own = url
    next_urls = [u for u in dict.fromkeys(next_urls) if u != own]
    return (
        ListingPage(
            items=items,
            next_urls=next_urls,
            last_page=last_page,
            page_count=page_count,
            family=family,
            source=source,
        ),
        dated,
        mechanism,
    )


def parse_listing(text: str, url: str, max_pages: int = 300, overrides=None) -> ListingPage:
    """Parse one listing page (HTML, or the XML of a Hanweb dataproxy.jsp answer);
    `overrides`: the site's registry entry (its `listing` and `next_page` selectors)."""
    return _analyse(text, url, max_pages, overrides)[0]


def is_listing(text: str, url: str, overrides=None) -> bool:
    """Whether the page looks like a listing: a repeated block of dated links, or a known
    listing mechanism (Hanweb datastore, TRS createPageHTML) with links.  With a `listing`
    override: whether its selector finds a notice link."""
    page, dated, mechanism = _analyse(text, url, 300, overrides)
    if overrides is not None and overrides.listing is not None:
        return bool(page.items)
    if page.family == "hanweb" and has_datastore(text):
        return True
    article = bool(_ARTICLE_MARKS.search(text)) or bool(_DETAIL_URL.search(strip_fragment(url)))
    if article:
        return False
    if mechanism and page.items:
        return True
    return dated >= 3
