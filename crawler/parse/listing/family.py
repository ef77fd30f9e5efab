"""The interface of a listing CMS family, and what a family is asked about a page.

A family is an object with a `name` and up to five hooks, each with a do-nothing default:

    read(page) -> Reading | None     the whole page read the family's own way (not as HTML)
    detect(page) -> Evidence         how strongly the page shows the family
    pager(page) -> Paging | None     the family's own pagination, replacing the generic walk
    more_pages(page, walked) -> Paging   further pages after the generic walk
    vouches(page) -> bool            whether its markup makes the page a listing, whatever else

The dispatcher (crawler.parse.listing) asks its ordered tuple of families: the first `read`
that answers wins; otherwise the items are found by the generic heuristics and the page's
family is the one with the strongest evidence, the earlier family on a tie.  A new family is
a module with a `Family` subclass and one entry in ``FAMILIES``.  Pure (lxml, no Scrapy).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import IntEnum
from functools import cached_property
from typing import Any, NamedTuple

from lxml import etree

from crawler.schema.records import ListingEntry, ListingPage

from .generic import parse_html
from .pagination import UNBOUNDED, Paging

__all__ = ["Evidence", "Family", "Generic", "GENERIC", "Page", "Paging", "Reading", "most_match"]


class Evidence(IntEnum):
    """How strongly a page shows a family, weakest first."""

    NONE = 0  # not this family
    ANY = 1  # any page at all (the generic family)
    ADDRESS = 2  # URL shapes of the page or its items, which other families may share
    MARKS = 3  # the family's own marks in the page (or addresses only it uses)
    PAGER = 4  # the family's own pagination script
    TEMPLATE = 5  # a template only the family uses


class Reading(NamedTuple):
    """A page read: what was listed, its dated rows, whether a known mechanism was seen."""

    listing: ListingPage
    dated: int
    known: bool


@dataclass(eq=False)
class Page:
    """One page as the families see it.  `items` are the generic heuristics' (set before
    `detect`); `once` keeps what a family computes for several of its hooks."""

    text: str
    url: str  # without its fragment
    max_pages: int  # at least 1
    overrides: Any = None  # the site's registry entry (crawler.parse.notice.overrides)
    ahead: int = UNBOUNDED  # pages past its own this page may name (see pagination.UNBOUNDED)
    items: list[ListingEntry] = field(default_factory=list)
    _memo: dict = field(default_factory=dict, repr=False)

    @cached_property
    def doc(self) -> etree._Element | None:
        """The page parsed as HTML (None when it is not)."""
        return parse_html(self.text)

    @cached_property
    def plain(self) -> str:
        """The text of the parsed page (a page that parses)."""
        return self.doc.text_content()

    @property
    def item_urls(self) -> list[str]:
        return [i.url for i in self.items]

    def once(self, key: str, compute):
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]


def most_match(urls: list[str], rx: re.Pattern) -> bool:
    """Whether at least half the URLs (and at least one) match."""
    return bool(urls) and sum(1 for u in urls if rx.search(u)) * 2 >= len(urls)


class Family:
    """A CMS family: every hook but `name` is optional."""

    name = ""

    def read(self, page: Page) -> Reading | None:
        return None

    def detect(self, page: Page) -> Evidence:
        return Evidence.NONE

    def pager(self, page: Page) -> Paging | None:
        return None

    def more_pages(self, page: Page, walked: Paging) -> Paging:
        return walked

    def vouches(self, page: Page) -> bool:
        return False

    def __repr__(self) -> str:
        return f"<listing family {self.name}>"


class Generic(Family):
    """Anything else: the block heuristics (.generic) and the links to pages (.pagination)."""

    name = "generic"

    def detect(self, page: Page) -> Evidence:
        return Evidence.ANY


GENERIC = Generic()
