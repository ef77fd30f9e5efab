"""What one crawl's spider keeps as it goes: the plan's sites, hosts and overrides, each
listing walk's progress, the detail pages asked for, the attachments fetched.

`CrawlState` keeps it in memory, for a crawl in one process; a `tzgg worker` serves many
crawls at once and keeps each one's in Redis (crawler.service.distributed.RedisState).  The
spider reads it through `spider.state`, whichever it is.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from crawler.schema.records import NO_DELISTING
from crawler.schema.urls import canonicalize


class CrawlState:
    def __init__(self, plan, *, max_pages: int, files_on: bool, file_max: int, validators=None):
        self.listing_urls = plan.listing_urls
        self.site_of = dict(plan.site_of)  # listing URL -> site
        self.sites = plan.sites
        self.overrides = plan.overrides  # site -> its registry entry's extraction overrides
        # site -> the hosts it may be fetched from (a copy: a crawl may adopt one, see
        # NoticesSpider._adopt, and the plan is the registry's)
        self.hosts = {site: set(hosts) for site, hosts in plan.hosts.items()}
        self.homes: dict[str, set[str]] = {}  # site -> its home and listing pages
        for u in self.listing_urls:
            self.homes.setdefault(self.site_of[u], set()).update({home_of(u), canonicalize(u)})
        self.max_pages = max_pages  # listing pages a walk may request; 0: no bound
        self.incremental = plan.incremental  # listing URLs walked until what is archived
        self.archived = plan.archived  # site -> canonical URLs of its archived notices
        self.files_on = files_on
        self.file_max = file_max
        self.file_results: dict[str, dict | None] = {}  # URL -> {sha256, size}; None: failed
        self.file_waiting: dict[str, list] = {}  # URL in flight -> [(doc, i)] waiting for it
        self.file_texts: dict[str, dict] = {}  # URL -> its text row, until its record is out
        self.file_validators = validators if validators is not None else {}
        # Canonical URLs of the detail pages requested in this crawl: each is fetched once.
        # (Not Scrapy's dupe filter: it would drop a redirect to a URL already fetched, and
        # then the redirected notice, moved or gone home, would leave no record at all.)
        self.requested: set[str] = set()
        # per walk: requests not yet answered, pages read, its failure (or note), whether the
        # page bound stopped it, the pages requested, the items listed, the pages a page named
        # that the walk did not follow (`stop` says why), and whether some were never asked
        self.walks = {
            url: {"pending": 1, "pages": 0, "failed": None, "bounded": False,
                  "seen": {canonicalize(url)}, "items": set(), "refused": set(), "stop": None,
                  "cut": False}
            for url in self.listing_urls
        }  # fmt: skip

    def claim(self, key: str) -> bool:
        """True the first time the crawl asks for a detail page (by canonical URL)."""
        if key in self.requested:
            return False
        self.requested.add(key)
        return True

    def new_items(self, walk: str, keys: list[str]) -> int:
        """How many of a listing page's items (canonical URLs) the walk had not listed yet."""
        items = self.walks[walk]["items"]
        before = len(items)
        items.update(keys)
        return len(items) - before

    def advance_walk(
        self, walk: str, keys: list[str], failed: str | None, page: bool, stop: str | None = None
    ):
        """One listing request of the walk is done (`page`: it got a response): (the keys of
        the further pages to request now, the walk's state).  With `stop`, the page's further
        pages are not followed (why: `stop`); if no other page of the walk names them, the walk
        ends `cut`."""
        state = self.walks[walk]
        state["pending"] -= 1
        state["pages"] += page
        # the first failure is the walk's; a note gives way to any failure
        if failed and (
            not state["failed"]
            or (state["failed"].startswith(NO_DELISTING) and not failed.startswith(NO_DELISTING))
        ):
            state["failed"] = failed
        accepted = []
        for key in keys:
            if key in state["seen"]:
                continue
            if stop:
                state["stop"] = state["stop"] or stop
                state["refused"].add(key)
                continue
            if self.max_pages and len(state["seen"]) >= self.max_pages:
                state["bounded"] = True
                break
            state["seen"].add(key)
            state["pending"] += 1
            accepted.append(key)
        if state["pending"] == 0:
            state["cut"] = bool(state["refused"] - state["seen"])
        return accepted, state


def home_of(url: str) -> str:
    parts = urlsplit(url)
    return canonicalize(f"{parts.scheme}://{parts.netloc}/")
