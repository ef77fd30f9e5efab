"""The `notices` spider: walk 通知公告 listings, fetch each notice, revisit archived ones.

It yields plain records (`Fetch`, `Listed`, `WalkEnd`); storing them is the pipeline's job.
"""

from __future__ import annotations

import http
from urllib.parse import urlsplit

import scrapy

from crawler.parse.listing import is_listing, parse_listing
from crawler.parse.listing.pagination import UNBOUNDED
from crawler.parse.listing.trs import article_parts
from crawler.parse.listing.window import window_step
from crawler.parse.notice import classify_page, decode_html, extract_page
from crawler.parse.notice.classify import binary_kind
from crawler.parse.notice.overrides import version_tag
from crawler.parse.notice.parts import join_parts
from crawler.schema.records import NO_DELISTING, Fetch, Listed, ListingEntry, WalkEnd
from crawler.schema.times import utcnow
from crawler.schema.urls import canonicalize, is_loopback
from crawler.sites.fetch import user_agent
from spiders.attachments import AttachmentsMixin, _too_large
from spiders.state import CrawlState, home_of


def _headers(headers) -> list[list[str]]:
    return [
        [k.decode("latin-1"), v.decode("latin-1", "replace")]
        for k, values in headers.items()
        for v in values
    ]


def _charset(response) -> str | None:
    ctype = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
    for part in ctype.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key == "charset" and value:
            return value.strip("\"' ")
    return None


_FAILURES = {
    "DNSLookupError": "dns",
    "CannotResolveHostError": "dns",
    "TimeoutError": "timeout",
    "TCPTimedOutError": "timeout",
    "DownloadTimeoutError": "timeout",
    "ConnectionRefusedError": "connection",
    "DownloadConnectionRefusedError": "connection",
    "ConnectionLost": "connection",
    "ConnectionDone": "connection",
    "ResponseFailed": "connection",
    "ResponseNeverReceived": "connection",
    "DownloadFailedError": "connection",
    "ResponseDataLossError": "connection",
    "UrlTooLong": "url_too_long",  # never sent (crawler.middlewares.UrlLengthLimit)
}
# page classes of a site refusing the crawler: a failed fetch, never a change
REFUSED = ("blocked", "login_wall")
# Listing pages of one walk asked for ahead of the furthest read: enough to keep a host's
# slots busy, few enough that a walk stops soon after its column stops making progress.
AHEAD = 6


def _failure_kind(failure) -> str:
    """A short name for why a request failed: dns, timeout, connection, robots, too_large..."""
    if _too_large(failure):
        return "too_large"
    for cls in type(failure.value).__mro__:
        if cls.__name__ in _FAILURES:
            return _FAILURES[cls.__name__]
    if type(failure.value).__name__ == "IgnoreRequest":
        message = str(failure.value).lower()
        return (
            "robots"
            if "robots" in message
            else "redirect_loop"
            if "redirect" in message
            else "ignored"
        )
    return type(failure.value).__name__.lower()


def _asked_url(request) -> str:
    """The URL the crawl asked for, before any redirect."""
    redirects = request.meta.get("redirect_urls") or []
    return redirects[0] if redirects else request.url


class NoticesSpider(AttachmentsMixin, scrapy.Spider):
    name = "notices"

    def __init__(
        self,
        url: str | list[str] | None = None,
        site_keys: dict[str, str] | None = None,
        **kw,
    ):
        super().__init__(**kw)
        urls = url if isinstance(url, list) else (url or "").split(",")
        self.listing_urls = [u.strip() for u in urls if u.strip()]
        if not self.listing_urls:
            raise ValueError("give at least one listing URL: -a url=URL")
        self.site_keys = site_keys or {}  # listing URL -> site, when the caller chose
        self.plan = None  # the crawl's plan: set by the crawl service before the crawl starts
        self.state: CrawlState | None = None  # what the crawl keeps as it goes

    @classmethod
    def update_settings(cls, settings):
        super().update_settings(settings)
        if not settings.get("USER_AGENT"):
            contact = settings.get("TZGG_CONTACT")
            settings.set("USER_AGENT", user_agent(contact), priority="spider")

    async def start(self):
        if self.plan is None:
            raise RuntimeError("no crawl plan: enable crawler.service.extension.CrawlService")
        s = self.settings
        self.state = CrawlState(
            self.plan,
            max_pages=s.getint("TZGG_MAX_LISTING_PAGES"),
            files_on=s.getbool("TZGG_ATTACHMENTS"),
            file_max=s.getint("TZGG_ATTACHMENT_MAX_BYTES"),
            validators=self.plan.validators,
        )
        # Revisits are claimed first, so that a listing linking an archived URL finds it
        # requested already and the conditional request is the one sent; each request is
        # built only when Scrapy asks for the next (100,000 at once took 250 MB).
        revisits = [
            (url, site, headers)
            for url, site, headers in self.plan.revisits
            if self.state.claim(canonicalize(url))
        ]
        for url in self.state.listing_urls:
            yield self._listing_request(url, url)
        for url, site, headers in revisits:
            yield self._build_detail_request(url, site, headers)

    def on_site(self, url: str, site: str) -> bool:
        """A link the crawl may follow: the crawler never leaves its site's hosts (a link
        elsewhere stays in the listing's record, and is not fetched)."""
        return (urlsplit(url).hostname or "").lower() in self.state.hosts.get(site, ())

    def _extract(self, response, fetch: Fetch):
        """(notice, decoded text) of a detail or part page, with its site's overrides; None
        when extraction fails (logged, and recorded as a failure retried next crawl)."""
        ov = self.state.overrides.get(fetch.site)
        fetch.extractor_version = version_tag(ov)
        charset = (ov.encoding if ov else None) or fetch.charset
        binary = binary_kind(response.body)
        if binary:  # an image or an archive under text/html: noise, not a notice
            self.logger.warning("not a page (%s bytes): %s", binary, response.url)
            fetch.error = "not_html"
            return None
        try:
            notice, text, fetch.encoding = extract_page(response.body, response.url, charset, ov)
        except Exception as exc:  # one page must not stop the crawl, nor vanish unrecorded
            self.logger.error("cannot extract %s: %s: %s", response.url, type(exc).__name__, exc)
            fetch.error = "extract_failed"
            return None
        return notice, text

    # -- requests -----------------------------------------------------------------------------

    def _listing_request(
        self, url: str, walk: str, records=None, planned: bool = False
    ) -> scrapy.Request:
        meta = {"walk": walk, "site": self.state.site_of[walk]}
        if (
            records
        ):  # a data proxy window: the latest records of the walk (crawler.parse.listing.window)
            meta["tzgg_records"] = records
        if planned:  # a page the listing named (a column page lists its every window)
            meta["tzgg_planned"] = True
        return scrapy.Request(
            url,
            priority=10,  # walk listings first: revisits and details queue behind them
            callback=self.parse_listing,
            errback=self.listing_failed,
            meta=meta,
            dont_filter=True,
        )

    def _detail_request(self, url: str, site: str, headers: dict | None = None):
        """A request for a detail page not yet requested in this crawl (else None)."""
        if not self.state.claim(canonicalize(url)):
            return None
        return self._build_detail_request(url, site, headers)

    def _build_detail_request(self, url: str, site: str, headers: dict | None = None):
        return scrapy.Request(
            url,
            callback=self.parse_detail,
            errback=self.detail_failed,
            headers=headers or None,
            meta={"site": site},
            dont_filter=True,  # redirects inherit it: see `requested`
        )

    # -- records ------------------------------------------------------------------------------

    def _fetch(self, response, kind: str) -> Fetch:
        request = response.request
        redirects = request.meta.get("redirect_urls") or []
        return Fetch(
            site=request.meta["site"],
            kind=kind,
            url=_asked_url(request),
            at=utcnow(),
            final_url=response.url,
            redirected=bool(redirects),
            redirects=[
                [u, r]
                for u, r in zip(redirects, request.meta.get("redirect_reasons", []), strict=False)
            ],
            hops=request.meta.get("tzgg_hops") or [],
            http_version=response.protocol or None,
            status=response.status,
            reason=_reason(response.status),
            headers=_headers(response.headers),
            request_headers=_headers(request.headers),
            body=response.body,
            decoded_from=request.meta.get("tzgg_content_encoding"),
            charset=_charset(response),
        )

    def _walk_step(
        self,
        walk: str,
        next_urls=(),
        failed: str | None = None,
        page: bool = True,
        records=None,
        planned: bool = False,
        stop: str | None = None,
    ):
        """One listing request of the walk is done (`page`: it got a response): request the
        further pages it found (`records`: what a data proxy window carries to the next;
        `stop`: why they are not followed), and end the walk when none is left."""
        keyed = {}
        for url in next_urls:
            keyed.setdefault(canonicalize(url), url)
        accepted, state = self.state.advance_walk(walk, list(keyed), failed, page, stop)
        for key in accepted:
            yield self._listing_request(keyed[key], walk, records, planned)
        if state["pending"] == 0:
            failed = state["failed"]
            if state["cut"] and state["stop"] and (not failed or failed.startswith(NO_DELISTING)):
                failed = state["stop"]  # pages it named were not walked: why, unless it failed
            note = failed if failed and failed.startswith(NO_DELISTING) else None
            if note:
                failed = None
            reason = failed or ("max_listing_pages" if state["bounded"] else None)
            yield WalkEnd(
                site=self.state.site_of[walk],
                listing_url=walk,
                complete=reason is None,
                pages=state["pages"],
                reason=reason or note,
            )

    # -- callbacks ----------------------------------------------------------------------------

    def parse_listing(self, response):
        walk = response.meta["walk"]
        site = response.meta["site"]
        fetch = self._fetch(response, "listing")
        yield fetch
        first = canonicalize(fetch.url) == canonicalize(walk)
        if response.status != 200:
            yield from self._walk_step(walk, failed=f"http_{response.status}")
            return
        ov = self.state.overrides.get(site)
        charset = (ov.encoding if ov else None) or fetch.charset  # a site whose header lies
        text, fetch.encoding = decode_html(response.body, charset)
        # one page past the bound, so that hitting the bound is seen; a few pages past its own
        # at most, so that a page costs the same however long the column
        bound = self.state.max_pages + 1 if self.state.max_pages else UNBOUNDED
        page = parse_listing(text, response.url, bound, overrides=ov, ahead=AHEAD)
        if first and (not page.items or not is_listing(text, response.url, overrides=ov)):
            # a WAF challenge or 访问过于频繁 page is the site blocking us, not a redesign
            blocked = classify_page(None, "", text)[0] in REFUSED
            yield from self._walk_step(walk, failed="blocked" if blocked else "no_notices_found")
            return
        if first and fetch.redirected:  # a listing, with notices, where the column went
            self._adopt(site, walk, response.url)
        if not page.items and classify_page(None, "", text)[0] in REFUSED:
            # rate limits bite a few pages in: a walk cut short there is incomplete, so
            # nothing it did not reach counts as delisted
            yield from self._walk_step(walk, failed="blocked")
            return
        homes = self.state.homes.get(site, set())
        if all(canonicalize(e.url) in homes for e in page.items):
            # a page of the column showing nothing (noise bytes, a template that lost its
            # list; a link home is no notice): the walk did not see that page's notices, so
            # it delists nothing
            why = "not_html" if binary_kind(response.body) else "empty_page"
            yield from self._walk_step(walk, failed=why)
            return
        items, next_urls, failed, records = page.items, page.next_urls, None, None
        if page.source == "comment":
            # a list the template keeps in a comment may be stale: the walk reads it, and it
            # testifies to no notice gone from the column
            failed = NO_DELISTING + "commented_list"
        step = None
        if not response.meta.get("tzgg_planned"):
            # a window the listing did not name itself: the walk computes the next one (one
            # the column page named is followed by the others it named, not by a chain)
            step = window_step(response.url, text, page, response.meta.get("tzgg_records", ()))
        if step is not None:
            # A data proxy answer names no next window: ask for the one after the records it
            # got, list only records the walk has not seen, and stop where it repeats itself.
            items, records = step.entries, step.recent
            next_urls = [step.next_url] if step.next_url else []
            failed = "repeated_records" if step.stalled else failed
        entries = [ListingEntry(url=e.url, title=e.title, date=e.date) for e in items]
        if entries or step is None:
            yield Listed(site=site, listing_url=response.url, walk=walk, entries=entries)
        stop = self._stop(walk, site, entries, first)
        for e in entries:
            if not self.on_site(e.url, site):
                self.logger.info("not followed (another host): %s", e.url)
                continue
            # Revisits were requested first, so an archived URL keeps its conditional request.
            request = self._detail_request(e.url, site)
            if request is not None:
                yield request
        yield from self._walk_step(
            walk, next_urls, failed=failed, records=records, planned=step is None, stop=stop
        )

    def _adopt(self, site: str, walk: str, url: str) -> None:
        """The site's own listing URL now redirects to a listing on another host (its column
        moved to a 集约化 platform): in this crawl, that host's notices are followed as the
        site's (the run is flagged `listing_moved`, for the registry to be updated).  Only a
        government host (.gov.cn) is adopted, or a loopback one from a loopback site: a
        redirect to a parked or hijacked domain must not fill a district's archive."""
        host = (urlsplit(url).hostname or "").lower()
        hosts = self.state.hosts.setdefault(site, set())
        if not host or host in hosts:
            return
        loopback = is_loopback(host) and all(is_loopback(h) for h in hosts)
        if not (host.endswith(".gov.cn") or loopback):
            self.logger.warning(
                "%s: the listing %s now redirects to %s: not followed", site, walk, url
            )
            return
        hosts.add(host)
        self.state.homes.setdefault(site, set()).update({home_of(url), canonicalize(url)})
        self.logger.warning("%s: the listing %s now redirects to %s: followed", site, walk, url)

    def _stop(self, walk: str, site: str, entries, first: bool) -> str | None:
        """Why the walk goes no further from this page, or None.  A page listing only what
        the walk has listed already is endless pagination, not the column (`no_progress`);
        in an incremental walk, a page of notices all archived is where it has caught up."""
        keys = [canonicalize(e.url) for e in entries]
        if not keys:
            return None
        fresh = self.state.new_items(walk, keys)
        if not fresh and not first:
            return "no_progress"
        archived = self.state.archived.get(site)
        if walk in self.state.incremental and archived and all(k in archived for k in keys):
            return NO_DELISTING + "incremental"
        return None

    def listing_failed(self, failure):
        yield self._failed(failure, "listing")
        walk = failure.request.meta["walk"]
        yield from self._walk_step(walk, failed=_failure_kind(failure), page=False)

    def parse_detail(self, response):
        fetch = self._fetch(response, "detail")
        final = canonicalize(response.url)
        fetch.home = fetch.redirected and final in self.state.homes.get(fetch.site, set())
        got = self._extract(response, fetch) if 200 <= response.status < 300 else None
        if got is not None:
            notice, text = got
            notice.site = fetch.site
            fetch.notice = notice
            fetch.page_class, fetch.phrase = classify_page(notice.title, notice.body, text)
            parts = article_parts(text, response.url) if fetch.page_class == "ok" else []
            if parts:
                # The notice is the whole article: fetch its other pages before storing it.
                article = {"fetch": fetch, "notice": notice, "todo": parts, "got": []}
                yield self._part_request(article, response.meta["site"])
                return
        yield from self._with_files(fetch, response.meta["site"])

    def detail_failed(self, failure):
        yield self._failed(failure, "detail")

    def _part_request(self, article: dict, site: str) -> scrapy.Request:
        return scrapy.Request(
            article["todo"].pop(0),
            priority=5,  # finish an article before starting others: it is held in memory
            callback=self.parse_part,
            errback=self.part_failed,
            meta={"site": site, "article": article},
            dont_filter=True,
        )

    def parse_part(self, response):
        article = response.meta["article"]
        fetch = self._fetch(response, "part")
        fetch.home = fetch.redirected and canonicalize(response.url) in self.state.homes.get(
            fetch.site, ()
        )
        ok = 200 <= response.status < 300
        got = self._extract(response, fetch) if ok else None
        if got is not None:
            part, text = got
            fetch.page_class, fetch.phrase = classify_page(part.title, part.body, text)
        # A part that is gone (404, 410, a soft 404, a redirect to the home page or a
        # listing): the site serves the article without it, so keep what there is.  One that
        # failed, or is a block page or empty (wherever a redirect led): the whole fetch fails
        # and is retried next crawl.
        if response.status in (404, 410) or fetch.home or fetch.page_class == "soft_404":
            article["todo"] = []
        elif got is None or fetch.page_class in REFUSED or not part.body:
            article["todo"] = []
            if fetch.error:
                article["failed"] = fetch.error
            elif not ok:
                article["failed"] = f"part_http_{response.status}"
            else:
                article["failed"] = (
                    f"part_{fetch.page_class}" if fetch.page_class != "ok" else "part_empty"
                )
        else:
            article["got"].append((fetch.url, response.body, part))
        yield fetch
        yield from self._next_part(article, response.meta["site"])

    def part_failed(self, failure):
        article = failure.request.meta["article"]
        yield self._failed(failure, "part")
        article["todo"], article["failed"] = [], f"part_{_failure_kind(failure)}"
        yield from self._next_part(article, failure.request.meta["site"])

    def _next_part(self, article: dict, site: str):
        if article["todo"]:
            yield self._part_request(article, site)
            return
        fetch = article["fetch"]
        if article.get("failed"):
            # Half an article is not an edit: log it, and try the whole again next crawl.
            fetch.error, fetch.notice = "incomplete_article", None
        else:
            notice = join_parts(article["notice"], [p for _, _, p in article["got"]])
            fetch.notice = notice
            fetch.parts = [[url, body] for url, body, _ in article["got"]]
        yield from self._with_files(fetch, site)

    def _failed(self, failure, kind: str) -> Fetch:
        """The record of a request that got no response (timeout, DNS, connection, robots)."""
        request = failure.request
        return Fetch(
            site=request.meta["site"],
            kind=kind,
            url=_asked_url(request),
            at=utcnow(),
            error=_failure_kind(failure),
            request_headers=_headers(request.headers),
        )


def _reason(status: int) -> str | None:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return None
