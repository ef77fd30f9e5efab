"""Listing CMS families behind one interface (crawler.parse.listing.family): the dispatcher asks
an ordered tuple of families, so a new family is a module and one entry."""

from __future__ import annotations

import re

from crawler.parse.listing import FAMILIES, Evidence, Family, Page, is_listing, parse_listing
from crawler.parse.listing.family import Paging, Reading
from crawler.schema.records import ListingEntry, ListingPage

ROWS = "".join(
    f"<li><a href='/tzgg/{n}.html'>通知{n}</a><span>2024-05-0{n}</span></li>" for n in range(1, 6)
)
PAGE = f"<html><body><div class='list'><ul>{ROWS}</ul></div></body></html>"
URL = "http://x.gov.cn/tzgg/index.html"


class Lanling(Family):
    """A made-up CMS: marked by a meta generator, paged by `?pg=N` up to a stated count."""

    name = "lanling"
    _COUNT = re.compile(r"lanlingPages\s*=\s*(\d+)")

    def detect(self, page: Page) -> Evidence:
        return Evidence.MARKS if "lanling-cms" in page.text else Evidence.NONE

    def pager(self, page: Page) -> Paging | None:
        m = self._COUNT.search(page.text)
        if m is None:
            return None
        count = int(m.group(1))
        urls = [f"{page.url}?pg={n}" for n in range(2, min(count, page.max_pages) + 1)]
        return Paging(urls, count <= 1, count, True)

    def vouches(self, page: Page) -> bool:
        return "lanling-cms" in page.text


class Feed(Family):
    """A made-up family that reads its pages whole (as hanweb reads a datastore)."""

    name = "feed"

    def read(self, page: Page) -> Reading | None:
        if not page.text.startswith("FEED\n"):
            return None
        items = [ListingEntry(url=u, title=u, date=None) for u in page.text.split()[1:]]
        return Reading(ListingPage(items=items, last_page=True, family=self.name), 0, True)


def test_the_families_in_their_documented_precedence():
    assert [f.name for f in FAMILIES] == ["fujian", "hanweb", "trs", "jyh", "generic"]
    assert all(isinstance(f, Family) for f in FAMILIES)
    # the strongest evidence wins, the earlier family on a tie: fujian > trs's pager > a
    # datastore > Ucap marks > hanweb addresses > trs addresses > generic
    pager = "<script>createPageHTML(3, 0, 'index', 'html');</script>"
    store = "<!-- <datastore></datastore> -->"
    trs_items = PAGE.replace("/tzgg/", "/a/t20240501_")
    cases = [
        (PAGE + pager + "<script>$showStatic(1)</script>", URL, "fujian"),
        (PAGE + pager + store, URL, "trs"),
        (PAGE + store, "http://x.gov.cn/a.shtml?code=1", "hanweb"),
        (PAGE, "http://x.gov.cn/a.shtml?code=1", "jyh"),
        (trs_items.replace(".html'", ".shtml'"), "http://x.gov.cn/col/col1/a.shtml?code=1", "jyh"),
        (trs_items, "http://x.gov.cn/col/col1/index.html", "hanweb"),
        (trs_items, URL, "trs"),
        (PAGE, URL, "generic"),
    ]
    for text, url, family in cases:
        assert parse_listing(text, url).family == family, family


def test_a_new_family_plugs_in_through_the_interface():
    text = PAGE.replace("<body>", "<body><meta name='generator' content='lanling-cms'>")
    text += "<script>var lanlingPages = 3;</script>"
    assert parse_listing(text, URL).family == "generic"  # not registered: unknown
    families = (Lanling(), *FAMILIES)
    page = parse_listing(text, URL, families=families)
    assert page.family == "lanling"
    assert page.next_urls == [URL + "?pg=2", URL + "?pg=3"] and page.page_count == 3
    assert [i.url for i in page.items] == [f"http://x.gov.cn/tzgg/{n}.html" for n in range(1, 6)]
    assert parse_listing(text, URL, max_pages=2, families=families).next_urls == [URL + "?pg=2"]
    # its marks vouch for a listing that the generic rules would not call one
    bare = "<html><body><meta content='lanling-cms'><a href='/x.html'>x</a></body></html>"
    assert not is_listing(bare, URL)
    assert is_listing(bare, URL, families=families)
    # an entry after the generic family never wins a tie with it, but wins on stronger evidence
    assert parse_listing(text, URL, families=(*FAMILIES, Lanling())).family == "lanling"


def test_a_family_may_read_its_pages_whole():
    text = "FEED\nhttp://x.gov.cn/1.html http://x.gov.cn/2.html"
    page = parse_listing(text, URL, families=(Feed(), *FAMILIES))
    assert (page.family, [i.url for i in page.items]) == (
        "feed",
        ["http://x.gov.cn/1.html", "http://x.gov.cn/2.html"],
    )
    assert parse_listing(text, URL).family == "generic"
    assert parse_listing(PAGE, URL, families=(Feed(), *FAMILIES)).family == "generic"
