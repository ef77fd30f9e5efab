"""Listing parsers: given a page of a 通知公告 column, find the notice links (with listed title
and date) and the further listing pages to walk.

    parse_listing(text, url, max_pages=300, overrides=None) -> ListingPage
    is_listing(text, url, overrides=None) -> bool

Pure functions (lxml, no Scrapy, no SQLite).  The CMS family is detected from the page, by the
families of ``FAMILIES``, one module each behind the interface of `.family`:

* ``fujian`` (.fujian): the Fujian (平潭) template, TRS underneath, items in avalon
  ``$showStatic`` groups;
* ``hanweb`` (.hanweb): an embedded ``<datastore>`` (first page) or a bare dataproxy.jsp XML
  answer, read whole;
* ``trs`` (.trs): TRS WCM, ``createPageHTML(countPage, currentPage, "index", "html")``
  pagination;
* ``jyh`` (.jyh): the Jiangxi 集约化 (Ucap) platform;
* ``generic`` (.family): anything else (next/尾页 links, ``?page=N``, ``index_N.html``…).

Precedence: the strongest `Evidence` wins, the earlier family in ``FAMILIES`` on a tie, so
that a page is fujian ($showStatic) before trs (createPageHTML) before hanweb (a datastore)
before jyh (Ucap marks) before hanweb (/col/ or /art/ addresses) before trs (t2020… items)
before generic.  A new family is a module and one entry in ``FAMILIES``; ``families=``
hands the dispatcher another tuple.

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

from . import fujian, hanweb, jyh, trs
from .commented import commented_block
from .family import GENERIC, Evidence, Family, Page, Paging, Reading
from .generic import base_url, best_block, strip_fragment
from .pagination import UNBOUNDED, classify_anchors, generic_paging, page_count_from_text
from .scripted import script_list
from .selected import selected_entries, selected_next

__all__ = ["parse_listing", "is_listing", "FAMILIES", "Family", "Evidence", "Page", "Reading"]

# Order breaks ties of evidence (see the module's docstring).
FAMILIES: tuple[Family, ...] = (fujian.FAMILY, hanweb.FAMILY, trs.FAMILY, jyh.FAMILY, GENERIC)

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


def _dated(items) -> int:
    return sum(1 for i in items if i.date)


def _analyse(
    text: str,
    url: str,
    max_pages: int,
    overrides,
    families: tuple[Family, ...],
    ahead: int = UNBOUNDED,
) -> tuple[Reading, Family, Page]:
    """(the reading, the family chosen, the page as the families saw it)."""
    page = Page(text, strip_fragment(url), max(max_pages, 1), overrides, ahead=max(ahead, 1))
    for family in families:
        got = family.read(page)
        if got is not None:
            return got, family, page
    doc = page.doc
    if doc is None:
        return Reading(ListingPage(last_page=True), 0, False), GENERIC, page
    url, max_pages = page.url, page.max_pages
    listing_xp = overrides.listing if overrides is not None else None
    next_xp = overrides.next_page if overrides is not None else None
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
        drawn = script_list(doc, base, max_pages, url, page.ahead)
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
    page.items = items
    family = max(families, key=lambda f: f.detect(page))  # the first of the strongest

    own = family.pager(page)
    if next_xp is not None:
        found = selected_next(doc, base, next_xp, url)
        next_urls, last_page = (found if max_pages > 1 else []), not found
        page_count = own.page_count if own is not None else page_count_from_text(page.plain)
        mechanism = (own is not None and own.found) or bool(found)
    else:
        if own is None:
            own = family.more_pages(page, _walk(page, anchors, drawn))
        next_urls, last_page, page_count, mechanism = (
            own.next_urls,
            own.last_page,
            own.page_count,
            own.found,
        )
    next_urls = [u for u in dict.fromkeys(next_urls) if u != url]
    listing = ListingPage(
        items=items,
        next_urls=next_urls,
        last_page=last_page,
        page_count=page_count,
        family=family.name,
        source=source,
    )
    return Reading(listing, dated, mechanism), family, page


def _walk(page: Page, anchors, drawn) -> Paging:
    """The generic walk: the page's links to pages, or the paging a script's list states."""
    paging = generic_paging(anchors, page.url, page.plain, page.max_pages, page.ahead)
    next_urls, last_page, page_count = paging.next_urls, paging.last_page, paging.page_count
    mechanism = paging.found and bool(next_urls or paging.page_count)
    if drawn is not None:
        mechanism = True  # a script's list of titled links is meant as the list
        if drawn.paged and not next_urls:
            next_urls, last_page = drawn.next_urls, drawn.last_page
            page_count = drawn.page_count or page_count
    return Paging(next_urls, last_page, page_count, mechanism)


def parse_listing(
    text: str,
    url: str,
    max_pages: int = 300,
    overrides=None,
    families=FAMILIES,
    ahead: int = UNBOUNDED,
) -> ListingPage:
    """Parse one listing page (HTML, or the XML of a Hanweb dataproxy.jsp answer);
    `overrides`: the site's registry entry (its `listing` and `next_page` selectors);
    `ahead`: at most this many further pages past its own (a walk's look-ahead)."""
    return _analyse(text, url, max_pages, overrides, families, ahead)[0].listing


def is_listing(text: str, url: str, overrides=None, families=FAMILIES) -> bool:
    """Whether the page looks like a listing: a repeated block of dated links, or a known
    listing mechanism (Hanweb datastore, TRS createPageHTML) with links.  With a `listing`
    override: whether its selector finds a notice link."""
    (listing, dated, mechanism), family, page = _analyse(text, url, 300, overrides, families)
    if overrides is not None and overrides.listing is not None:
        return bool(listing.items)
    if family.vouches(page):
        return True
    article = bool(_ARTICLE_MARKS.search(text)) or bool(_DETAIL_URL.search(strip_fragment(url)))
    if article:
        return False
    if mechanism and listing.items:
        return True
    return dated >= 3
