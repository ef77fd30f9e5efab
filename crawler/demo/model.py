"""The demo district's model: its notices, its listing order and the changes a scenario makes.

`SiteModel` holds one district's 通知公告 column: notices you add, edit, move, alias,
delist, or put in a failure state ('404', 'soft404', 'redirect_home', '503' …), and
`rebuild()` for the template noise real sites produce without any notice changing.  It keeps
the rendered pages' cache (invalidated here, filled by .http) and the log of requests served.
The pages it renders are in .pages, its answers to requests in .http (`DistrictSite`).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from .synthetic import fake_notice

CST = timezone(timedelta(hours=8))  # what Chinese sites print; no DST

STYLES = ("trs", "hanweb", "yueyang")
STATES = (
    "ok",
    "404",
    "410",
    "soft404",
    "upgrading",  # a 200 page saying the site is being rebuilt (升级改版中): a migration's
    "redirect_home",
    "blocked",
    "403",
    "412",
    "503",
    "429",
)
LISTING_STATES = ("ok", "500", "empty", "redesign")
EDITABLE = (
    "title",
    "published",
    "body",
    "source",
    "doc_number",
    "index_number",
    "written",
    "attachments",
    "parts",
)

COLUMN_ID = 1234  # Hanweb column and unit of the 通知公告 list
UNIT_ID = 5678
DOCID_BASE = 1000  # docid in URLs = DOCID_BASE + nid
# Yueyang 集约化: /<siteId>/<colId>/…; 通知公告 under 公示公告 under 政务公开
YY_SITE_ID, YY_COLUMN_ID, YY_GSGG_ID, YY_ZWGK_ID, YY_NEWS_ID = 32415, 40825, 40824, 40800, 40810

SOFT404_TEXT = "您访问的页面不存在或已被删除"
UPGRADING_TEXT = "为给您提供更好的服务，本网站正在升级改版中，给您带来的不便敬请谅解"
BLOCKED_TEXT = "访问过于频繁，请稍后再试"


class Request(NamedTuple):
    method: str
    path: str  # path and query as requested
    status: int
    at: float = 0.0  # time.monotonic() when it was answered


class RequestLog(list):
    """Every request served, as `Request(method, path, status)`; safe to read from tests."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.append(Request(method, path, status, time.monotonic()))

    def snapshot(self) -> list[Request]:
        with self._lock:
            return list(self)

    def counter(self) -> Counter:
        """Counter of (method, path, status)."""
        return Counter(self.snapshot())

    def statuses(self, path: str | None = None) -> list[int]:
        return [r.status for r in self.snapshot() if path is None or r.path == path]

    def paths(self, status: int | None = None) -> list[str]:
        return [r.path for r in self.snapshot() if status is None or r.status == status]

    def reset(self) -> None:
        with self._lock:
            self.clear()


@dataclass
class SiteNotice:
    nid: int
    title: str
    published: str
    body: list[str]
    source: str | None
    doc_number: str | None
    index_number: str | None
    written: str | None
    attachments: list[tuple[str, str]]
    listed: bool
    path: str
    state: str = "ok"
    aliases: list[str] = field(default_factory=list)
    views: int = 0
    stamp: int = 0  # Last-Modified of its page (epoch seconds)
    parts: list[list[str]] = field(default_factory=list)  # continuation pages' paragraphs

    @property
    def when(self) -> datetime:
        return _parse_published(self.published)


def _parse_published(s: str) -> datetime:
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(s.strip(), fmt)
        except ValueError:
            pass
    raise ValueError(f"published must look like 2021-09-24 16:12, not {s!r}")


def _paras(body: list[str] | str | None) -> list[str]:
    if body is None:
        return []
    if isinstance(body, str):
        return [p.strip() for p in body.splitlines() if p.strip()]
    return [str(p) for p in body]


class SiteModel:
    """One district's column, mutable between crawls (served as .http.DistrictSite)."""

    def __init__(
        self,
        style: str = "trs",
        page_size: int = 5,
        name: str = "岳阳楼区人民政府",
        domain: str = "www.yylq.gov.cn",
    ) -> None:
        if style not in STYLES:
            raise ValueError(f"style must be one of {STYLES}, not {style!r}")
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.style = style
        self.page_size = page_size
        self.name = name
        self.short_name = name.removesuffix("人民政府") or name
        self.domain = domain
        self.requests = RequestLog()
        self.roles: dict[str, int] = {}  # filled by scenario.build_demo_site
        self.site_state = "ok"  # any STATES value: every path but robots.txt answers so
        self.last_error: Exception | None = None  # what made the last 500, for debugging
        self._listing_state = "ok"
        self.detail_template = "ok"  # "redesign": see redesign_details()
        # a loopback URL the listing's first page answers 301 to (a column moved elsewhere)
        self.listing_moved_to: str | None = None
        self.proxy_cap: int | None = None  # hanweb: the most records a dataproxy answer holds
        self._lock = threading.RLock()
        self._notices: dict[int, SiteNotice] = {}
        self._routes: dict[str, int] = {}  # primary and alias paths
        self._moved: dict[str, int] = {}  # old path -> nid (answers 301)
        self._cache: dict[tuple, object] = {}
        self._order: list[tuple[SiteNotice, str]] | None = None  # listing entries, newest first
        self._build = 0
        now = int(time.time())
        self._build_time = now
        self._listing_stamp = now
        self._max_stamp = now
        self._token = os.urandom(8).hex()
        self._file_stamp = now
        self._files: dict[str, tuple[bytes, str | None, int]] = {}  # set_file: body, type, stamp

    # ---- mutations -------------------------------------------------------------------

    def add(
        self,
        title: str,
        published: str = "2021-09-24 16:12",
        body: list[str] | str | None = None,
        source: str | None = "区政府办公室",
        doc_number: str | None = None,
        index_number: str | None = None,
        written: str | None = None,
        attachments: list[tuple[str, str]] | None = None,
        listed: bool = True,
        parts: list[list[str] | str] | None = None,
    ) -> int:
        """Add a notice; returns its id (1, 2, 3 …).  `parts`: the paragraphs of each
        continuation page of a multi-page TRS article (t…_1.html, t…_2.html, …)."""
        when = _parse_published(published)
        with self._lock:
            nid = len(self._notices) + 1
            n = SiteNotice(
                nid=nid,
                title=title,
                published=published.strip(),
                body=_paras(body),
                source=source,
                doc_number=doc_number,
                index_number=index_number,
                written=written,
                attachments=list(attachments or []),
                listed=listed,
                path=self._default_path(nid, when),
                stamp=self._build_time,
                parts=[_paras(p) for p in parts or []],
            )
            self._notices[nid] = n
            self._routes[n.path] = nid
            self._listing_changed()
            return nid

    def edit(self, nid: int, **fields) -> None:
        """Change a notice's content (title, body, source, published, …): a real edit."""
        bad = set(fields) - set(EDITABLE)
        if bad:
            raise TypeError(f"cannot edit {sorted(bad)}; editable: {EDITABLE}")
        with self._lock:
            n = self._get(nid)
            for k, v in fields.items():
                if k == "published":
                    _parse_published(v)
                    v = v.strip()
                elif k == "body":
                    v = _paras(v)
                elif k == "attachments":
                    v = list(v or [])
                elif k == "parts":
                    v = [_paras(p) for p in v or []]
                setattr(n, k, v)
            self._notice_changed(n)
            self._listing_changed()

    def set_file(self, path: str, body: bytes, content_type: str | None = None) -> None:
        """Serve `body` at `path` (under /files/) from now on, with new validators; the
        Content-Type from the extension unless given.  Other /files/ paths keep their
        generated placeholder PDF."""
        if not path.startswith("/files/") or len(path) <= len("/files/"):
            raise ValueError(f"files are served under /files/, not at {path!r}")
        with self._lock:
            key = ("file", path)
            prev = self._files.get(path)
            stamp = prev[2] if prev else self._file_stamp
            self._files[path] = (bytes(body), content_type, self._restamp(stamp, True))
            self._cache.pop(key, None)

    def set_state(self, nid: int, state: str) -> None:
        """How the detail page answers (see STATES); the listing is not touched."""
        if state not in STATES:
            raise ValueError(f"state must be one of {STATES}, not {state!r}")
        with self._lock:
            self._get(nid).state = state

    def move(self, nid: int, new_path: str, *, redirect: bool = True) -> None:
        """Serve the notice at new_path; its old path answers 301 there (or, without
        `redirect`, 404: a redesign that kept no old URL)."""
        new_path = self._check_free(new_path)
        with self._lock:
            n = self._get(nid)
            old = n.path
            del self._routes[old]
            if redirect:
                self._moved[old] = nid
            self._moved.pop(new_path, None)
            n.path = new_path
            self._routes[new_path] = nid
            self._listing_changed()

    def add_alias(self, nid: int, path2: str) -> None:
        """Also serve the notice (same bytes) at path2, linked from the listing too."""
        path2 = self._check_free(path2)
        with self._lock:
            n = self._get(nid)
            n.aliases.append(path2)
            self._routes[path2] = nid
            self._listing_changed()

    def delist(self, nid: int) -> None:
        """Take the notice off the listing; its page stays online."""
        with self._lock:
            self._get(nid).listed = False
            self._listing_changed()

    def relist(self, nid: int) -> None:
        with self._lock:
            self._get(nid).listed = True
            self._listing_changed()

    def rebuild(self) -> None:
        """Regenerate every page: new build time, header date, token, view counts.
        Noise only; no notice's content changes."""
        with self._lock:
            self._build += 1
            self._token = os.urandom(8).hex()
            self._build_time = max(int(time.time()), self._max_stamp + 1)
            self._max_stamp = self._build_time
            self._cache.clear()

    def redesign_details(self) -> None:
        """The site moves its detail pages to a script-driven template: the same URLs, but
        no title line, date or body in the HTML.  What silently breaks a crawler."""
        with self._lock:
            self.detail_template = "redesign"
            for n in self._notices.values():
                self._notice_changed(n)

    @property
    def listing_state(self) -> str:
        return self._listing_state

    @listing_state.setter
    def listing_state(self, state: str) -> None:
        if state not in LISTING_STATES:
            raise ValueError(f"listing_state must be one of {LISTING_STATES}, not {state!r}")
        with self._lock:
            self._listing_state = state
            self._listing_changed()

    def generate(self, n: int, seed: int = 0) -> list[int]:
        """Add n realistic notices (titles, sources, bodies from templates, dates spread
        over 2016–2025); returns their ids."""
        rng = random.Random(seed)
        start = datetime(2016, 1, 4)
        span = (datetime(2025, 12, 31) - start).days
        ids = []
        for _ in range(n):
            day = start + timedelta(days=rng.randrange(span))
            when = day.replace(hour=rng.randrange(8, 18), minute=rng.randrange(60))
            ids.append(self.add(**fake_notice(rng, when, self.short_name)))
        return ids

    # ---- queries ---------------------------------------------------------------------

    def path(self, nid: int) -> str:
        return self._get(nid).path

    def url(self, base: str, nid: int) -> str:
        return base.rstrip("/") + self.path(nid)

    def listing_path(self, page: int = 0) -> str:
        """Path of listing page `page` (0-based).  Hanweb: the column page for 0, else the
        data proxy's GET form for that page.  Yueyang: index.html, then index_2.html …"""
        if self.style == "trs":
            return "/tzgg/index.html" if page == 0 else f"/tzgg/index_{page}.html"
        if self.style == "yueyang":
            col = f"/{YY_SITE_ID}/{YY_COLUMN_ID}/"
            return col + ("index.html" if page == 0 else f"index_{page + 1}.html")
        if page == 0:
            return f"/col/col{COLUMN_ID}/index.html"
        s = page * self.page_size + 1
        return (
            f"/module/web/jpage/dataproxy.jsp?startrecord={s}&endrecord={s + self.page_size - 1}"
            f"&perpage={self.page_size}&col=1&appid=1&webid=1&path=%2F&columnid={COLUMN_ID}"
            f"&unitid={UNIT_ID}&permissiontype=0"
        )

    def listing_url(self, base: str) -> str:
        return base.rstrip("/") + self.listing_path(0)

    def page_count(self) -> int:
        with self._lock:
            return max(1, -(-len(self._entries()) // self.page_size))

    def nids(self) -> list[int]:
        return list(self._notices)

    def listed_nids(self) -> list[int]:
        """Listed notices, newest first, as the listing shows them."""
        with self._lock:  # aliases follow their notice: keep each nid's first entry
            return list(dict.fromkeys(n.nid for n, _ in self._entries()))

    def get(self, nid: int) -> dict:
        """A notice's current fields, as the detail page shows them (a copy)."""
        with self._lock:
            n = self._get(nid)
            return {
                "nid": n.nid,
                "path": n.path,
                "aliases": list(n.aliases),
                "title": n.title,
                "published": n.published,
                "source": n.source,
                "doc_number": n.doc_number,
                "index_number": n.index_number,
                "written": n.written,
                "body": list(n.body),
                "attachments": list(n.attachments),
                "listed": n.listed,
                "state": n.state,
            }

    # ---- listing order ---------------------------------------------------------------

    def _entries(self) -> list[tuple[SiteNotice, str]]:
        """(notice, path) for every listing link, newest first; aliases follow their notice."""
        if self._order is None:
            listed = [n for n in self._notices.values() if n.listed]
            listed.sort(key=lambda n: (n.when, n.nid), reverse=True)
            self._order = [(n, p) for n in listed for p in [n.path, *n.aliases]]
        return self._order

    def _page_entries(self, k: int) -> list[tuple[SiteNotice, str]]:
        if self._listing_state == "empty":
            return []
        return self._entries()[k * self.page_size : (k + 1) * self.page_size]

    # ---- bookkeeping -----------------------------------------------------------------

    def _get(self, nid: int) -> SiteNotice:
        try:
            return self._notices[nid]
        except KeyError:
            raise KeyError(f"no notice {nid}") from None

    def _default_path(self, nid: int, when: datetime) -> str:
        docid = DOCID_BASE + nid
        if self.style == "trs":
            return f"/tzgg/{when:%Y%m}/t{when:%Y%m%d}_{docid}.html"
        if self.style == "yueyang":
            return f"/{YY_SITE_ID}/{YY_COLUMN_ID}/content_{docid}.html"
        return f"/art/{when.year}/{when.month}/{when.day}/art_{COLUMN_ID}_{docid}.html"

    def _check_free(self, path: str) -> str:
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/': {path!r}")
        if path in self._routes:
            raise ValueError(f"{path} already serves notice {self._routes[path]}")
        return path

    def _restamp(self, stamp: int, seen: bool) -> int:
        """A page's new Last-Modified after a change: later than any value a client may
        hold (so If-Modified-Since never hides a change made in the same second as the
        last fetch); no bump when nobody fetched it since, so bulk adds don't drift."""
        stamp = max(stamp, self._build_time)
        new = max(int(time.time()), stamp + 1 if seen else stamp)
        self._max_stamp = max(self._max_stamp, new)
        return new

    def _notice_changed(self, n: SiteNotice) -> None:
        keys = [k for k in self._cache if k[:2] == ("detail", n.nid)]
        for key in keys:
            del self._cache[key]
        n.stamp = self._restamp(n.stamp, bool(keys))

    def _listing_changed(self) -> None:
        self._order = None
        keys = [k for k in self._cache if k[0] == "list"]
        for key in keys:
            del self._cache[key]
        self._listing_stamp = self._restamp(self._listing_stamp, bool(keys))
