"""A mutable example district website, served on loopback.

`DistrictSite` models one district's 通知公告 column: notices you add, edit, move, alias,
delist, or put in a failure state ('404', 'soft404', 'redirect_home', '503' …), and
`rebuild()` for the template noise real sites produce without any notice changing.
`handle()` turns one request into a `Response` (pure apart from the site's own counters);
`serve()` puts it behind a `ThreadingHTTPServer` on 127.0.0.1.

Three page styles, after the CMS families in shared/realpages/REPORT.md:

* ``trs``: UTF-8 static pages, `/tzgg/index.html`, `index_1.html` … with
  `createPageHTML(...)` pagination; details `/tzgg/YYYYMM/tYYYYMMDD_<docid>.html` in
  `div.TRS_Editor`.  ETag / Last-Modified with 304s, gzip.
* ``hanweb``: GB18030 bytes declared as gb2312, dynamic pages (no validators, a view
  counter that moves on every request), a column page embedding the first records as
  `<datastore>` XML and `/module/web/jpage/dataproxy.jsp` for the rest.
* ``yueyang``: the Hunan (Yueyang) 集约化 platform of the 岳阳楼区 notice that started the
  project.  UTF-8 static pages with validators, like ``trs``.  The column at
  `/32415/40825/index.html`, then `index_2.html` …, paged by a plain 下一页 link and a
  "共N页" text; details `/32415/40825/content_<docid>.html` whose metadata line is adjacent
  inline elements with no whitespace between them,
  `<span>来源:区政府办公室</span><span>日期:2021-09-24 16:12</span><span>字号:【大 中 小】</span>`,
  then 浏览量 and 视力保护色.  No PubDate / ContentSource meta tags (pages of the family
  often carry them): that line is the only place the date and the source are written.

Rendered pages are cached until the notice or the site changes, so a 2,000-notice
benchmark site costs one render per page.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import ipaddress
import os
import random
import re
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

CST = timezone(timedelta(hours=8))  # what Chinese sites print; no DST

STYLES = ("trs", "hanweb", "yueyang")
STATES = (
    "ok",
    "404",
    "410",
    "soft404",
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
BLOCKED_TEXT = "访问过于频繁，请稍后再试"

_NOW, _VIEWS = "\x00now\x00", "\x00views\x00"  # per-request slots in cached Hanweb pages


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
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


@dataclass
class _Notice:
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


@dataclass
class _Page:
    """A rendered static page: bytes, validators, and its gzip form once asked for."""

    body: bytes
    ctype: str
    stamp: int
    etag: str = ""
    gz: bytes | None = None

    def __post_init__(self) -> None:
        self.etag = '"' + hashlib.sha1(self.body).hexdigest()[:20] + '"'


def _parse_published(s: str) -> datetime:
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(s.strip(), fmt)
        except ValueError:
            pass
    raise ValueError(f"published must look like 2021-09-24 16:12, not {s!r}")


def _cn_date(d: datetime) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


_WEEK = "一二三四五六日"
_DATE_LINE = re.compile(
    r"\d{4}年\d{1,2}月\d{1,2}日|[〇○零一二三四五六七八九十]{4}年[一二三四五六七八九十]+月[一二三四五六七八九十]+日"
)
esc = html.escape


class DistrictSite:
    """One district's website, mutable between crawls.  See the module docstring."""

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
        self.proxy_cap: int | None = None  # hanweb: the most records a dataproxy answer holds
        self._lock = threading.RLock()
        self._notices: dict[int, _Notice] = {}
        self._routes: dict[str, int] = {}  # primary and alias paths
        self._moved: dict[str, int] = {}  # old path -> nid (answers 301)
        self._cache: dict[tuple, object] = {}
        self._order: list[tuple[_Notice, str]] | None = None  # listing entries, newest first
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
            n = _Notice(
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

    def move(self, nid: int, new_path: str) -> None:
        """Serve the notice at new_path; its old path answers 301 there."""
        new_path = self._check_free(new_path)
        with self._lock:
            n = self._get(nid)
            old = n.path
            del self._routes[old]
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
            ids.append(self.add(**_fake_notice(rng, when, self.short_name)))
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
        with self._lock:
            seen: list[int] = []
            for n, _ in self._entries():
                if n.nid not in seen:
                    seen.append(n.nid)
            return seen

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

    # ---- serving ---------------------------------------------------------------------

    def handle(self, method: str, target: str, headers=None, form: bytes = b"") -> Response:
        """Answer one request.  `target` is the request path with its query; headers any
        mapping with .items(); form a POST body."""
        hdrs = {k.lower(): v for k, v in (headers or {}).items()}
        parts = urlsplit(target)
        path = unquote(parts.path) or "/"
        with self._lock:
            try:
                resp = self._route(method.upper(), path, parts.query, hdrs, form)
            except Exception as exc:  # a fixture bug shows as a 500, not a dead connection
                self.last_error = exc
                resp = self._error(500)
        self.requests.record(method.upper(), target, resp.status)
        return resp

    def _route(self, method: str, path: str, query: str, hdrs: dict, form: bytes) -> Response:
        if path == "/robots.txt":
            body = b"User-agent: *\nDisallow: /private/\n"
            return self._finish(Response(200, [("Content-Type", "text/plain")], body), hdrs)
        if self.site_state != "ok":
            return self._finish(self._state_response(self.site_state, hdrs), hdrs)
        if method == "POST" and not path.startswith("/module/web/jpage/dataproxy.jsp"):
            return self._error(405)
        if path in ("/", "/index.html", "/index.htm"):
            return self._static(("home",), self._render_home, hdrs)
        if path.startswith("/files/") and len(path) > len("/files/"):
            return self._file(path, hdrs)
        if self.style == "trs":
            k = _trs_listing_page(path)
            if k is not None:
                return self._static_listing(k, hdrs)
        elif self.style == "yueyang":
            k = _yy_listing_page(path)
            if k is not None:
                return self._static_listing(k, hdrs)
        else:
            if path in (f"/col/col{COLUMN_ID}/index.html", f"/col/col{COLUMN_ID}/"):
                return self._hanweb_column(hdrs)
            if path == "/module/web/jpage/dataproxy.jsp":
                return self._dataproxy(query, form, hdrs)
        i = self._news_index(path)
        if i is not None:
            return self._static(("news", i), lambda: self._render_news(i), hdrs)
        nid = self._routes.get(path)
        if nid is not None:
            return self._detail(self._notices[nid], hdrs)
        part = self._part(path)
        if part is not None:
            n, i = part
            render = lambda: self._render_trs_detail(n, i)  # noqa: E731
            return self._static(("detail", n.nid, i), render, hdrs, n.stamp)
        nid = self._moved.get(path)
        if nid is not None:
            return self._redirect(301, self._notices[nid].path, hdrs)
        return self._error(404)

    # ---- responses -------------------------------------------------------------------

    @property
    def _charset(self) -> str:
        return "gb2312" if self.style == "hanweb" else "utf-8"

    @property
    def _html_type(self) -> str:
        return f"text/html; charset={self._charset}"

    def _encode(self, text: str) -> bytes:
        return text.encode("gb18030" if self.style == "hanweb" else "utf-8")

    def _finish(self, resp: Response, hdrs: dict, gz: bytes | None = None) -> Response:
        """Gzip the body when the client accepts it."""
        if resp.status == 200 and len(resp.body) > 200 and _accepts_gzip(hdrs):
            resp.body = gz if gz is not None else gzip.compress(resp.body, 5, mtime=0)
            resp.headers.append(("Content-Encoding", "gzip"))
        if resp.status == 200 and not any(k == "Vary" for k, _ in resp.headers):
            resp.headers.append(("Vary", "Accept-Encoding"))
        return resp

    def _static(self, key: tuple, render, hdrs: dict, stamp: int | None = None) -> Response:
        """A page with validators (TRS, Yueyang), or rendered afresh per request (Hanweb)."""
        if self.style == "hanweb":
            return self._dynamic(key, render, hdrs)
        page = self._cache.get(key)
        if page is None:
            st = max(self._build_time, stamp or 0)
            page = self._cache[key] = _Page(self._encode(render()), self._html_type, st)
        return self._validated(page, hdrs)

    def _validated(self, page: _Page, hdrs: dict) -> Response:
        headers = [
            ("Content-Type", page.ctype),
            ("ETag", page.etag),
            ("Last-Modified", formatdate(page.stamp, usegmt=True)),
            ("Vary", "Accept-Encoding"),
        ]
        if _not_modified(page, hdrs):
            return Response(304, headers, b"")
        gz = None
        if _accepts_gzip(hdrs) and len(page.body) > 200:
            if page.gz is None:
                page.gz = gzip.compress(page.body, 5, mtime=0)
            gz = page.gz
        return self._finish(Response(200, headers, page.body), hdrs, gz)

    def _dynamic(self, key: tuple, render, hdrs: dict, views: int = 0) -> Response:
        parts = self._cache.get(key)
        if parts is None:
            # split at the per-request slots once; fill them on every request
            pieces = render().split("\x00")  # odd pieces name a slot
            parts = self._cache[key] = [
                p if i % 2 else self._encode(p) for i, p in enumerate(pieces)
            ]
        now = datetime.now(CST)
        fill = {"now": self._encode(_today(now, with_time=True)), "views": str(views).encode()}
        body = b"".join(fill[p] if isinstance(p, str) else p for p in parts)
        return self._finish(Response(200, [("Content-Type", self._html_type)], body), hdrs)

    def _detail(self, n: _Notice, hdrs: dict) -> Response:
        if n.state != "ok":
            return self._finish(self._state_response(n.state, hdrs), hdrs)
        if self.detail_template == "redesign":
            shell = lambda: (  # noqa: E731
                self._head(f"{n.title} - {self.name}", {})
                + self._top()
                + _REDESIGN
                + self._footer()
            )
            return self._static(("detail", n.nid), shell, hdrs, n.stamp)
        if self.style == "trs":
            return self._static(
                ("detail", n.nid), lambda: self._render_trs_detail(n), hdrs, n.stamp
            )
        if self.style == "yueyang":
            return self._static(("detail", n.nid), lambda: self._render_yy_detail(n), hdrs, n.stamp)
        n.views += 1
        render = lambda: self._render_hanweb_detail(n)  # noqa: E731
        return self._dynamic(("detail", n.nid), render, hdrs, views=n.views)

    def _state_response(self, state: str, hdrs: dict) -> Response:
        if state == "soft404":
            body = self._encode(self._render_message(SOFT404_TEXT + "！", "页面不存在"))
            return Response(200, [("Content-Type", self._html_type)], body)
        if state == "blocked":
            body = self._encode(self._render_block())
            return Response(200, [("Content-Type", self._html_type)], body)
        if state == "redirect_home":
            return self._redirect(302, "/", hdrs)
        return self._error(int(state))

    def _redirect(self, status: int, path: str, hdrs: dict) -> Response:
        host = hdrs.get("host") or ""
        name = urlsplit(f"//{host}").hostname or ""
        # absolute, as real servers answer, but only ever pointing back at loopback
        loc = f"http://{host}{path}" if host and _is_loopback(name) else path
        body = self._encode(_error_html(status, "Moved", self._charset))
        return Response(status, [("Location", loc), ("Content-Type", self._html_type)], body)

    def _error(self, status: int) -> Response:
        reasons = {
            403: "Forbidden",
            404: "Not Found",
            405: "Method Not Allowed",
            410: "Gone",
            412: "Precondition Failed",
            429: "Too Many Requests",
            500: "Internal Server Error",
            503: "Service Temporarily Unavailable",
        }
        if status == 412:  # an anti-bot challenge page, as 瑞数-protected sites answer
            text = (
                '<!DOCTYPE html><html><head><meta charset="utf-8"><script>'
                f'$_ts=window["$_ts"];if(!$_ts)$_ts={{}};$_ts.nsd={self._build + 41};'
                f'$_ts.cd="{self._token}";</script></head><body></body></html>'
            )
        else:
            text = _error_html(status, reasons.get(status, "Error"), self._charset)
        headers = [("Content-Type", self._html_type)]
        if status in (503, 429):
            headers.append(("Retry-After", "1"))
        return Response(status, headers, self._encode(text))

    def _file(self, path: str, hdrs: dict) -> Response:
        key = ("file", path)
        page = self._cache.get(key)
        if page is None and path in self._files:
            body, ctype, stamp = self._files[path]
            ctype = ctype or _file_type(path)
            page = self._cache[key] = _Page(body, ctype, stamp)
        elif page is None:
            digest = hashlib.sha1(path.encode()).hexdigest()
            body = (
                b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog>>endobj\n% "
                + digest.encode()
                + b"\ntrailer<</Root 1 0 R>>\n%%EOF\n"
            )
            ctype = "application/pdf" if path.lower().endswith(".pdf") else _file_type(path)
            page = self._cache[key] = _Page(body, ctype, self._file_stamp)
        return self._validated(page, {k: v for k, v in hdrs.items() if k != "accept-encoding"})

    # ---- listings --------------------------------------------------------------------

    def _entries(self) -> list[tuple[_Notice, str]]:
        """(notice, path) for every listing link, newest first; aliases follow their notice."""
        if self._order is None:
            listed = [n for n in self._notices.values() if n.listed]
            listed.sort(key=lambda n: (n.when, n.nid), reverse=True)
            self._order = [(n, p) for n in listed for p in [n.path, *n.aliases]]
        return self._order

    def _page_entries(self, k: int) -> list[tuple[_Notice, str]]:
        if self._listing_state == "empty":
            return []
        return self._entries()[k * self.page_size : (k + 1) * self.page_size]

    def _static_listing(self, k: int, hdrs: dict) -> Response:
        """Listing page k of a static style (TRS, Yueyang)."""
        if self._listing_state == "500":
            return self._error(500)
        count = 1 if self._listing_state == "empty" else self.page_count()
        if k >= count:
            return self._error(404)
        draw = self._render_trs_listing if self.style == "trs" else self._render_yy_listing
        return self._static(("list", k), lambda: draw(k, count), hdrs, self._listing_stamp)

    def _hanweb_column(self, hdrs: dict) -> Response:
        if self._listing_state == "500":
            return self._error(500)
        return self._dynamic(("list", 0), self._render_hanweb_column, hdrs)

    def _dataproxy(self, query: str, form: bytes, hdrs: dict) -> Response:
        if self._listing_state == "500":
            return self._error(500)
        if self._listing_state == "redesign":
            return self._error(404)
        args = {k: v[-1] for k, v in parse_qs(query).items()}
        if form:
            args.update({k: v[-1] for k, v in parse_qs(form.decode("utf-8", "replace")).items()})
        entries = [] if self._listing_state == "empty" else self._entries()
        try:
            per = int(args.get("perpage") or self.page_size)
            if "startrecord" in args:
                start = int(args["startrecord"])
                end = int(args.get("endrecord") or start + per - 1)
            else:
                start = (int(args.get("page") or 1) - 1) * per + 1
                end = start + per - 1
        except ValueError:
            return self._error(500)  # as the real JSP does on junk
        start = max(start, 1)
        if self.proxy_cap:  # a server that answers fewer records than a window asks for
            end = min(end, start + self.proxy_cap - 1)
        records = "".join(_hanweb_record(n, p) for n, p in entries[start - 1 : max(end, 0)])
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<datastore>\n'
            f"<totalrecord>{len(entries)}</totalrecord>\n<totalpage>"
            f"{max(1, -(-len(entries) // per))}</totalpage>\n"
            f"<recordset>\n{records}</recordset>\n</datastore>\n"
        )
        resp = Response(200, [("Content-Type", "text/xml;charset=UTF-8")], xml.encode("utf-8"))
        return self._finish(resp, hdrs)

    # ---- templates: shared -------------------------------------------------------------

    def _head(self, title: str, metas: dict[str, str] | None = None, extra: str = "") -> str:
        if self.style == "trs":
            charset = '<meta charset="utf-8">'
        elif self.style == "yueyang":
            charset = '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        else:
            charset = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        meta = {
            "SiteName": self.name,
            "SiteDomain": self.domain,
            "SiteIDCode": "4306020001",
            **(metas or {}),
        }
        lines = "\n".join(f'<meta name="{k}" content="{esc(v)}">' for k, v in meta.items())
        return (
            f"<!DOCTYPE html>\n<html>\n<head>\n{charset}\n"
            '<meta http-equiv="X-UA-Compatible" content="IE=edge,chrome=1">\n'
            f"{lines}\n<title>{esc(title)}</title>\n"
            '<link rel="stylesheet" type="text/css" href="/images/common.css">\n'
            '<script type="text/javascript" src="/js/jquery-1.12.4.min.js"></script>\n'
            f"{extra}</head>\n"
        )

    def _top(self) -> str:
        """Header and nav; the date line is the build time (TRS) or the request time."""
        if self.style == "yueyang":
            return self._yy_top()
        if self.style == "trs":
            today = _today(datetime.fromtimestamp(self._build_time, CST))
        else:
            today = _NOW
        return (
            '<body>\n<div class="top-bar"><div class="w1200">'
            f'<span class="today">今天是{today}</span>'
            '<span class="links"><a href="/">网站首页</a> | <a href="javascript:;">无障碍浏览</a>'
            ' | <a href="javascript:;">长者模式</a> | <a href="javascript:;">手机版</a></span>'
            "</div></div>\n"
            f'<div class="header"><div class="logo"><a href="/"><img src="/images/logo.png" '
            f'alt="{esc(self.name)}"></a></div>\n'
            '<div class="search"><form action="/search/index.html" method="get">'
            '<input type="text" name="searchword" placeholder="请输入关键字">'
            '<button type="submit">搜索</button></form></div></div>\n'
            '<div class="nav"><ul><li><a href="/">首页</a></li>'
            '<li><a href="/xwzx/index.html">新闻中心</a></li>'
            '<li><a href="/zwgk/index.html">政务公开</a></li>'
            f'<li><a href="{self.listing_path(0)}">通知公告</a></li>'
            '<li><a href="/zmhd/index.html">政民互动</a></li>'
            '<li><a href="/bsfw/index.html">办事服务</a></li></ul></div>\n'
        )

    def _crumb(self) -> str:
        zwgk = "/zwgk/index.html" if self.style == "trs" else f"/col/col{COLUMN_ID - 1}/index.html"
        return (
            '<div class="crumb">当前位置：<a href="/">首页</a> &gt; '
            f'<a href="{zwgk}">政务公开</a> &gt; <a href="{self.listing_path(0)}">通知公告</a>'
            "</div>\n"
        )

    def _footer(self) -> str:
        built = datetime.fromtimestamp(self._build_time, CST).strftime("%Y-%m-%d %H:%M:%S")
        return (
            '<div class="footer"><div class="w1200">\n'
            f"<p>主办：{esc(self.name)}办公室　承办：{esc(self.short_name)}政务服务中心</p>\n"
            "<p>网站标识码：4306020001　湘ICP备05001234号-1　湘公网安备 43060202000123号</p>\n"
            f"<p>地址：湖南省岳阳市{esc(self.short_name)}金鹗中路1号　邮编：414000　"
            "联系电话：0730-8221234</p>\n</div></div>\n"
            f'<script type="text/javascript">var _token="{self._token}";</script>\n'
            f"<!-- 页面生成时间：{built} build {self._build} -->\n</body>\n</html>\n"
        )

    def _news(self) -> list[tuple[str, str, str]]:
        """The 热点新闻 sidebar: (path, title, date), dated near the build time."""
        base = datetime.fromtimestamp(self._build_time, CST)
        titles = (
            f"{self.short_name}召开{base.year}年安全生产工作会议",
            "区领导调研重点项目建设进展情况",
            f"{self.short_name}开展“文明城市”创建志愿服务活动",
            "全区防汛抗旱工作部署会召开",
            "区政务服务中心推出“一件事一次办”新举措",
        )
        out = []
        for i, t in enumerate(titles):
            d = base - timedelta(days=2 * i + 1)
            if self.style == "trs":
                p = f"/xwzx/{d:%Y%m}/t{d:%Y%m%d}_{9001 + i}.html"
            elif self.style == "yueyang":
                p = f"/{YY_SITE_ID}/{YY_NEWS_ID}/content_{9001 + i}.html"
            else:
                p = f"/art/{d.year}/{d.month}/{d.day}/art_1111_{9001 + i}.html"
            out.append((p, t, f"{d:%Y-%m-%d}"))
        return out

    def _news_index(self, path: str) -> int | None:
        if not path.startswith(("/xwzx/", "/art/", f"/{YY_SITE_ID}/{YY_NEWS_ID}/")):
            return None
        for i, (p, _, _) in enumerate(self._news()):
            if p == path:
                return i
        return None

    def _sidebar(self) -> str:
        items = "".join(
            f'<li><a href="{p}" target="_blank" title="{esc(t)}">{esc(t)}</a><span>{d}</span></li>'
            for p, t, d in self._news()
        )
        more = "/xwzx/index.html"
        if self.style == "yueyang":
            more = f"/{YY_SITE_ID}/{YY_NEWS_ID}/index.html"
        return (
            '<div class="side-box"><div class="side-title"><h3>热点新闻</h3>'
            f'<a href="{more}" class="more">更多</a></div>\n<ul class="side-news">{items}</ul>'
            "</div>\n"
        )

    def _render_home(self) -> str:
        items = "".join(
            f'<li><a href="{p}" target="_blank">{esc(t)}</a><span>{d}</span></li>'
            for p, t, d in self._news()
        )
        return (
            self._head(f"{self.name}门户网站")
            + self._top()
            + '<div class="main w1200">\n<div class="banner"><img src="/images/banner.jpg" '
            'alt=""></div>\n<div class="home-news"><div class="box-title"><h3>要闻动态</h3>'
            f'</div>\n<ul class="news">{items}</ul></div>\n'
            '<div class="home-links"><a href="/zwgk/index.html">政府信息公开</a>'
            '<a href="/bsfw/index.html">网上办事大厅</a><a href="/zmhd/index.html">区长信箱</a>'
            "</div>\n</div>\n" + self._footer()
        )

    def _render_news(self, i: int) -> str:
        p, t, d = self._news()[i]
        return (
            self._head(t, {"ColumnName": "新闻中心", "ArticleTitle": t, "PubDate": d})
            + self._top()
            + '<div class="main w1200">\n<div class="crumb">当前位置：<a href="/">首页</a> &gt; '
            '<a href="/xwzx/index.html">新闻中心</a></div>\n'
            f'<div class="article"><h1>{esc(t)}</h1><div class="info">来源：{esc(self.short_name)}融媒体中心'
            f' 发布时间：{d} 09:00</div>\n<div class="TRS_Editor"><p>　　{d}，{esc(t)}。</p>'
            "</div></div>\n</div>\n" + self._footer()
        )

    def _render_message(self, text: str, title: str) -> str:
        return (
            self._head(title)
            + self._top()
            + f'<div class="main w1200"><div class="error-box"><img src="/images/404.png" alt="">'
            f'<p class="error-text">{esc(text)}</p><p><a href="/">返回首页</a></p></div></div>\n'
            + self._footer()
        )

    def _render_block(self) -> str:
        return (
            self._head("访问受限")
            + '<body><div class="waf-box" style="text-align:center;margin-top:100px">'
            f"<h2>{BLOCKED_TEXT}</h2><p>您的访问频率过高，已被安全防护系统暂时限制。</p>"
            f"<p>事件ID：{self._token}</p></div></body></html>\n"
        )

    def _body_html(self, n: _Notice) -> str:
        signed = len(n.body) >= 2 and bool(_DATE_LINE.fullmatch(n.body[-1]))
        out = []
        for i, p in enumerate(n.body):
            if i == 0 and p.endswith("："):  # the salutation, flush left
                out.append(f"<p>{esc(p)}</p>")
            elif signed and i >= len(n.body) - 2:  # signing office and date
                out.append(f'<p style="text-align: right;">{esc(p)}</p>')
            else:
                out.append(f"<p>　　{esc(p)}</p>")
        return "\n".join(out)

    def _attachments_html(self, n: _Notice) -> str:
        if not n.attachments:
            return ""
        links = "<br>\n".join(f'<a href="{esc(u)}">{esc(name)}</a>' for name, u in n.attachments)
        return f'<div class="fujian"><span>附件：</span>{links}</div>\n'

    # ---- templates: TRS --------------------------------------------------------------

    def _render_trs_listing(self, k: int, count: int) -> str:
        head = self._head(
            f"通知公告 - {self.name}", {"ColumnName": "通知公告"}, _CREATE_PAGE_HTML_SCRIPT
        )
        if self._listing_state == "redesign":
            return head + self._top() + _REDESIGN + self._footer()
        items = "\n".join(
            f'<li><a href="{_rel(p)}" title="{esc(n.title)}" target="_blank">{esc(n.title)}</a>'
            f"<span>{n.published[:10]}</span></li>"
            for n, p in self._page_entries(k)
        )
        return (
            head
            + self._top()
            + '<div class="main w1200">\n'
            + self._crumb()
            + '<div class="left-side">\n'
            + self._sidebar()
            + '</div>\n<div class="right-main">\n<div class="column-title"><h2>通知公告</h2></div>\n'
            f'<ul class="list">\n{items}\n</ul>\n<div class="page">\n<script type="text/javascript">\n'
            f"var countPage = {count};//共多少页\nvar currentPage = {k};//所在页从0开始\n"
            f'createPageHTML({count}, {k}, "index", "html");\n</script>\n</div>\n</div>\n</div>\n'
            + self._footer()
        )

    def _render_trs_detail(self, n: _Notice, part: int = 0) -> str:
        count = 100 + (n.nid * 37) % 400 + self._build * 7
        body = self._body_html(n) if part == 0 else _plain_paras(n.parts[part - 1])
        paging = ""
        if n.parts:  # TRS writes an article's page bar with the listing's function
            stem = n.path.rsplit("/", 1)[1].rsplit(".", 1)[0]
            paging = (
                f'<div class="page"><script>createPageHTML({len(n.parts) + 1}, {part}, '
                f'"{stem}", "html");</script></div>\n'
            )
        meta = {
            "ColumnName": "通知公告",
            "ArticleTitle": n.title,
            "PubDate": n.published,
            "ContentSource": n.source or "",
        }
        rows = [
            (label, value)
            for label, value in (
                ("索引号", n.index_number),
                ("文号", n.doc_number),
                ("成文日期", n.written),
            )
            if value
        ]
        table = ""
        if rows:
            cells = "".join(f"<tr><th>{lab}：</th><td>{esc(v)}</td></tr>" for lab, v in rows)
            table = f'<table class="xxgk-table">{cells}</table>\n'
        return (
            self._head(f"{n.title} - {self.name}", meta)
            + self._top()
            + '<div class="main w1200">\n'
            + self._crumb()
            + f'<div class="article">\n<h1>{esc(n.title)}</h1>\n'
            f'<div class="info">来源：{esc(n.source or "")} 发布时间：{n.published} '
            f'浏览次数：<span id="count">{count}</span></div>\n'
            + table
            + f'<div class="article-content"><div class="TRS_Editor">\n{body}\n'
            "</div></div>\n"
            + paging
            + self._attachments_html(n)
            + '<div class="share-bar"><span class="share">分享到：<a href="javascript:;" '
            'class="wx">微信</a> <a href="javascript:;" class="wb">微博</a></span>'
            '<span class="tools"><a href="javascript:window.print();">打印本页</a> '
            '<a href="javascript:window.close();">关闭窗口</a></span></div>\n</div>\n'
            '<div class="right-side">\n' + self._sidebar() + "</div>\n</div>\n" + self._footer()
        )

    # ---- templates: Hanweb -----------------------------------------------------------

    def _render_hanweb_column(self) -> str:
        head = self._head(f"通知公告 {self.name}", {"ColumnName": "通知公告"})
        if self._listing_state == "redesign":
            return head + self._top() + _REDESIGN + self._footer()
        entries = [] if self._listing_state == "empty" else self._entries()
        records = "".join(_hanweb_record(n, p) for n, p in entries[: self.page_size])
        webname = esc(self.short_name)
        return (
            head
            + self._top()
            + '<div class="main w1200">\n'
            + self._crumb()
            + '<div class="left-side">\n'
            + self._sidebar()
            + '</div>\n<div class="right-main">\n<div class="column-title"><h2>通知公告</h2></div>\n'
            f'<div class="default_pgContainer"><div id="{UNIT_ID}">'
            '<script type="text/xml"><datastore>'
            '<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&appid=1'
            f"&webid=1&path=/&columnid={COLUMN_ID}&unitid={UNIT_ID}&webname={webname}"
            '&permissiontype=0"></a>]]></nextgroup>'
            f"<recordset>{records}</recordset></datastore></script></div></div>\n"
            '<script language="javascript" src="/module/web/jpage/jpage.js"></script>\n'
            f'<script type="text/javascript">var totalRecord = {len(entries)}; '
            f"var perpage = {self.page_size}; var columnid = {COLUMN_ID}; "
            f"var unitid = {UNIT_ID}; var proxyUrl = "
            '"/module/web/jpage/dataproxy.jsp";</script>\n</div>\n</div>\n' + self._footer()
        )

    def _render_hanweb_detail(self, n: _Notice) -> str:
        built = datetime.fromtimestamp(self._build_time, CST).strftime("%Y-%m-%d %H:%M:%S")
        meta = {
            "ColumnName": "通知公告",
            "ColumnType": "通知公告",
            "ArticleTitle": n.title,
            "PubDate": n.published,
            "ContentSource": n.source or "",
            "Maketime": built,
        }
        src = f"<!--<$[信息来源]>begin-->{esc(n.source or '')}<!--<$[信息来源]>end-->"
        return (
            self._head(n.title, meta)
            + self._top()
            + '<div class="main w1200">\n'
            + self._crumb().replace('class="crumb"', 'class="position"')
            + '<div class="con">\n<table class="xxgk_table" cellspacing="0" cellpadding="0">\n'
            f"<tr><th>索引号：</th><td>{esc(n.index_number or '')}</td>"
            f"<th>发布机构：</th><td>{esc(n.source or '')}</td></tr>\n"
            f"<tr><th>文号：</th><td>{esc(n.doc_number or '')}</td>"
            f"<th>成文日期：</th><td>{esc(n.written or '')}</td></tr>\n"
            f"<tr><th>发布日期：</th><td>{n.published[:10]}</td><th>主题分类：</th>"
            "<td>通知公告</td></tr>\n</table>\n"
            f'<p class="con-title"><!--<$[标题名称]>begin-->{esc(n.title)}'
            "<!--<$[标题名称]>end--></p>\n"
            f'<div class="small-title"><span>发布日期：{n.published}</span>'
            f"<span>浏览次数：{_VIEWS}</span><span>信息来源：{src}</span></div>\n"
            '<div class="main-txt" id="zoom">\n<!--<$[信息内容]>begin--><meta name="ContentStart">'
            f'{self._body_html(n)}<meta name="ContentEnd"><!--<$[信息内容]>end-->\n</div>\n'
            + self._attachments_html(n)
            + '<div class="main-word"><div class="main-word-left"><div class="bdsharebuttonbox">'
            '<a class="bds_qzone" title="分享到QQ空间" href="javascript:;"></a>'
            '<a class="bds_weixin" title="分享到微信" href="javascript:;"></a></div></div>'
            '<div class="main-word-right"><span class="printer" onclick="window.print()">打印'
            '</span><span class="close" onclick="window.close()">关闭</span></div></div>\n'
            "</div>\n</div>\n" + self._footer()
        )

    # ---- templates: Yueyang 集约化 -----------------------------------------------------

    def _yy_top(self) -> str:
        """Top bar, header and nav of the platform's district template (static: build date)."""
        today = _today(datetime.fromtimestamp(self._build_time, CST))
        col = f"/{YY_SITE_ID}"
        return (
            '<body>\n<div class="top"><div class="wrap">'
            f'<div class="top-l">今天是{today}　您好，欢迎访问{esc(self.name)}门户网站！</div>'
            '<div class="top-r"><a href="javascript:void(0)" onclick="aria.start()">无障碍浏览</a>'
            '<a href="javascript:void(0)" id="StranLink">繁體</a>'
            f'<a href="{col}/40830/index.html">网站地图</a>'
            '<a href="https://www.yueyang.gov.cn/" target="_blank">岳阳市人民政府</a></div>'
            "</div></div>\n"
            f'<div class="header"><div class="wrap"><a href="/" class="logo"><img '
            f'src="/r/cms/www/{YY_SITE_ID}/images/logo.png" alt="{esc(self.name)}"></a>\n'
            '<div class="search"><form action="/jsearchfront/search.do" method="get" '
            'target="_blank"><input type="text" name="q" placeholder="请输入搜索关键字">'
            '<input type="submit" value="搜索"></form></div></div></div>\n'
            '<div class="nav"><ul class="wrap"><li><a href="/">首页</a></li>'
            f'<li><a href="{col}/40790/index.html">走进{esc(self.short_name)}</a></li>'
            f'<li><a href="{col}/{YY_NEWS_ID}/index.html">政务动态</a></li>'
            f'<li class="cur"><a href="{col}/{YY_ZWGK_ID}/index.html">政务公开</a></li>'
            f'<li><a href="{self.listing_path(0)}">通知公告</a></li>'
            f'<li><a href="{col}/40850/index.html">政务服务</a></li>'
            f'<li><a href="{col}/40860/index.html">互动交流</a></li></ul></div>\n'
        )

    def _yy_crumb(self) -> str:
        col = f"/{YY_SITE_ID}"
        return (
            '<div class="dqwz">当前位置: <a href="/">首页</a> &gt; '
            f'<a href="{col}/{YY_ZWGK_ID}/index.html">政务公开</a> &gt; '
            f'<a href="{col}/{YY_GSGG_ID}/index.html">公示公告</a> &gt; '
            f'<a href="{self.listing_path(0)}">通知公告</a></div>\n'
        )

    def _render_yy_listing(self, k: int, count: int) -> str:
        head = self._head(f"通知公告-{self.name}", {"ColumnName": "通知公告"})
        if self._listing_state == "redesign":
            return head + self._top() + _REDESIGN + self._footer()
        rows = []
        for n, p in self._page_entries(k):
            t = esc(n.title)
            shown = esc(n.title[:30] + "...") if len(n.title) > 32 else t
            rows.append(
                f'<li><a href="{p}" target="_blank" title="{t}">{shown}</a>'
                f'<span class="date">{n.published[:10]}</span></li>'
            )
        total = 0 if self._listing_state == "empty" else len(self._entries())
        col = f"/{YY_SITE_ID}"
        menu = "".join(
            f'<li{on}><a href="{col}/{cid}/index.html">{name}</a></li>'
            for cid, name in (
                (YY_COLUMN_ID, "通知公告"),
                (40826, "招标公告"),
                (40827, "人事任免"),
                (40828, "征地公告"),
            )
            for on in [' class="on"' if cid == YY_COLUMN_ID else ""]
        )
        items = "\n".join(rows)
        return (
            head
            + self._top()
            + '<div class="wrap">\n'
            + self._yy_crumb()
            + '<div class="left-side">\n<div class="lm-box"><div class="lm-title"><h3>公示公告'
            f'</h3></div>\n<ul class="lm-list">{menu}</ul></div>\n'
            + self._sidebar()
            + '</div>\n<div class="right-main">\n<div class="column-title"><h2>通知公告</h2></div>\n'
            f'<ul class="list">\n{items}\n</ul>\n'
            + _yy_pager(k, count, total)
            + "</div>\n</div>\n"
            + self._footer()
        )

    def _render_yy_detail(self, n: _Notice) -> str:
        views = 12 + (n.nid * 37) % 400 + self._build * 7
        zoom = " ".join(
            f'<a href="javascript:void(0)" onclick="doZoom({size})">{label}</a>'
            for size, label in ((20, "大"), (16, "中"), (14, "小"))
        )
        colors = "".join(f'<a href="javascript:void(0)" class="c{i}"></a>' for i in (1, 2, 3))
        # The metadata line as the platform writes it: adjacent inline elements, no
        # whitespace between them, ASCII colons; an empty 来源: when there is no source.
        info = (
            '<div class="sp_time">'
            f"<span>来源:{esc(n.source or '')}</span>"
            f"<span>日期:{n.published}</span>"
            f"<span>字号:【{zoom}】</span>"
            f"<span>浏览量:<em>{views}</em></span>"
            f'<span class="hlys">视力保护色:{colors}</span>'
            "</div>\n"
        )
        return (
            self._head(
                f"{n.title}-{self.name}", {"ColumnName": "通知公告", "ArticleTitle": n.title}
            )
            + self._top()
            + '<div class="wrap">\n'
            + self._yy_crumb()
            + '<div class="main-box">\n'
            f'<div class="sp_title"><h1>{esc(n.title)}</h1></div>\n'
            + info
            + f'<div class="sp_content" id="j-show-body">\n{self._body_html(n)}\n</div>\n'
            + self._attachments_html(n)
            + '<div class="sp_ewm"><div id="qrcode"></div><p>扫一扫在手机打开当前页</p></div>\n'
            '<div class="sp_btn"><a href="javascript:window.print()">【打印】</a>'
            '<a href="javascript:window.close()">【关闭】</a></div>\n'
            "</div>\n</div>\n" + self._footer()
        )

    # ---- bookkeeping -----------------------------------------------------------------

    def _get(self, nid: int) -> _Notice:
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

    def _part(self, path: str) -> tuple[_Notice, int] | None:
        """(notice, i) for the i-th continuation page t…_i.html of a TRS article."""
        m = re.fullmatch(r"(.*)_(\d+)(\.html)", path)
        nid = self._routes.get(m.group(1) + m.group(3)) if m else None
        if nid is None or self.style != "trs":
            return None
        n, i = self._notices[nid], int(m.group(2))
        return (n, i) if n.state == "ok" and 1 <= i <= len(n.parts) else None

    def _notice_changed(self, n: _Notice) -> None:
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


# ---- helpers -------------------------------------------------------------------------


def _plain_paras(paras: list[str]) -> str:
    return "\n".join(f"<p>　　{esc(p)}</p>" for p in paras)


def _paras(body: list[str] | str | None) -> list[str]:
    if body is None:
        return []
    if isinstance(body, str):
        return [p.strip() for p in body.splitlines() if p.strip()]
    return [str(p) for p in body]


def _today(d: datetime, with_time: bool = False) -> str:
    s = f"{d.year}年{d.month}月{d.day}日 星期{_WEEK[d.weekday()]}"
    return s + f" {d:%H:%M:%S}" if with_time else s


def _rel(path: str) -> str:
    """How a TRS listing links a page: relative inside the column, absolute outside."""
    return "./" + path[len("/tzgg/") :] if path.startswith("/tzgg/") else path


def _trs_listing_page(path: str) -> int | None:
    if path in ("/tzgg/", "/tzgg/index.html"):
        return 0
    if path.startswith("/tzgg/index_") and path.endswith(".html"):
        num = path[len("/tzgg/index_") : -len(".html")]
        if num.isdigit() and not num.startswith("0"):
            return int(num)
    return None


def _yy_listing_page(path: str) -> int | None:
    """0-based listing page of a Yueyang column path: index.html, index_2.html, …"""
    col = f"/{YY_SITE_ID}/{YY_COLUMN_ID}/"
    if path in (col, col + "index.html"):
        return 0
    if path.startswith(col + "index_") and path.endswith(".html"):
        num = path[len(col + "index_") : -len(".html")]
        if num.isdigit() and not num.startswith("0") and int(num) >= 2:
            return int(num) - 1
    return None


def _yy_pager(k: int, count: int, total: int) -> str:
    """The platform's page bar: 首页 / 上一页 / 下一页 links (plain text where there is
    nowhere to go), and the counts as text.  No 尾页 and no page numbers."""
    here = k + 1

    def page(n: int) -> str:
        return "index.html" if n == 1 else f"index_{n}.html"

    if here == 1:
        back = '<span class="disabled">首页</span>\n<span class="disabled">上一页</span>'
    else:
        back = f'<a href="index.html">首页</a>\n<a href="{page(here - 1)}">上一页</a>'
    if here < count:
        on = f'<a href="{page(here + 1)}">下一页</a>'
    else:
        on = '<span class="disabled">下一页</span>'
    return (
        f'<div class="pages">\n{back}\n{on}\n'
        f'<span class="info">共{total}条 共{count}页 当前第{here}页</span>\n</div>\n'
    )


def _hanweb_record(n: _Notice, path: str) -> str:
    t = esc(n.title)
    return (
        f'<record><![CDATA[<li><a href="{path}" title="{t}" target="_blank">{t}</a>'
        f"<span>{n.published[:10]}</span></li>]]></record>\n"
    )


def _accepts_gzip(hdrs: dict) -> bool:
    for part in (hdrs.get("accept-encoding") or "").split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "x-gzip", "*"):
            q = params.strip()
            if q.startswith("q="):
                try:
                    return float(q[2:]) > 0
                except ValueError:
                    return False
            return True
    return False


def _not_modified(page: _Page, hdrs: dict) -> bool:
    inm = hdrs.get("if-none-match")
    if inm:  # RFC 9110: If-None-Match wins over If-Modified-Since
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in tags or page.etag in tags
    ims = hdrs.get("if-modified-since")
    if ims:
        try:
            return page.stamp <= parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError):
            return False
    return False


def _file_type(path: str) -> str:
    ext = path.rsplit(".", 1)[-1].lower()
    return {
        "doc": "application/msword",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls": "application/vnd.ms-excel",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "zip": "application/zip",
        "jpg": "image/jpeg",
        "png": "image/png",
    }.get(ext, "application/pdf")


def _error_html(status: int, reason: str, charset: str) -> str:
    extra = {404: "<p>您访问的页面不存在</p>", 410: "<p>该信息已撤销</p>"}.get(status, "")
    return (
        f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        f"<title>{status} {reason}</title></head><body><center><h1>{status} {reason}</h1>"
        f"</center>{extra}<hr><center>nginx</center></body></html>\n"
    )


_CREATE_PAGE_HTML_SCRIPT = """<script type="text/javascript">
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
  if(_nPageCount == null || _nPageCount <= 1){ return; }
  var nCurrIndex = _nCurrIndex || 0;
  var first = _sPageName + "." + _sPageExt;
  if(nCurrIndex == 0){
    document.write("<span class='disabled'>首页</span><span class='disabled'>上一页</span>");
  } else {
    var nPre = nCurrIndex - 1;
    var sPre = nPre == 0 ? first : _sPageName + "_" + nPre + "." + _sPageExt;
    document.write("<a href='" + first + "'>首页</a><a href='" + sPre + "'>上一页</a>");
  }
  if(nCurrIndex == _nPageCount - 1){
    document.write("<span class='disabled'>下一页</span><span class='disabled'>尾页</span>");
  } else {
    document.write("<a href='" + _sPageName + "_" + (nCurrIndex + 1) + "." + _sPageExt + "'>下一页</a>");
    document.write("<a href='" + _sPageName + "_" + (_nPageCount - 1) + "." + _sPageExt + "'>尾页</a>");
  }
  document.write("<span>共" + _nPageCount + "页</span>");
}
</script>
"""

# A redesigned listing: a script-driven shell with no list a parser could recognize.
_REDESIGN = (
    '<div id="app" class="v2-main"><div class="v2-loading">正在加载…</div></div>\n'
    '<script type="text/javascript" src="/v2/static/js/chunk-vendors.3f9a1c.js"></script>\n'
    '<script type="text/javascript" src="/v2/static/js/app.8e21d7.js"></script>\n'
)


# ---- generated notices -----------------------------------------------------------------

_PLACES = (
    "洞庭街道", "岳阳楼街道", "枫桥湖街道", "城东街道", "金鹗山街道", "望岳路街道",
    "奇家岭街道", "站前路街道", "东茅岭街道", "三眼桥街道", "吕仙亭街道", "五里牌街道",
    "郭镇乡", "西塘镇", "康王乡",
)  # fmt: skip
_SOURCES = (
    ("区政府办公室", "岳楼政办发"),
    ("区自然资源局", "岳楼自然资发"),
    ("区生态环境分局", "岳楼环发"),
    ("区市场监督管理局", "岳楼市监"),
    ("区财政局", "岳楼财发"),
    ("区住房和城乡建设局", "岳楼建发"),
    ("区人力资源和社会保障局", "岳楼人社发"),
    ("区委组织部", "岳楼组通"),
    ("区应急管理局", "岳楼应急发"),
    ("区教育局", "岳楼教发"),
    ("区卫生健康局", "岳楼卫发"),
    ("区交通运输局", "岳楼交发"),
)
_SURNAMES = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗"
_GIVEN = (
    "珺",
    "䶮",
    "𠀾",
    "志强",
    "红梅",
    "建国",
    "晓燕",
    "伟",
    "丽娟",
    "海涛",
    "婷",
    "俊杰",
    "秀英",
)
_PROJECTS = (
    "城区雨污分流改造工程",
    "金鹗中路提质改造工程",
    "老旧小区改造项目（二期）",
    "南湖大道排水管网建设项目",
    "学校食堂设备采购项目",
    "社区卫生服务中心改扩建工程",
    "城市照明节能改造项目",
)
_TOPICS = (
    "安全生产大检查",
    "城乡居民医疗保险集中参保",
    "“双随机、一公开”抽查",
    "农村危房改造对象认定",
    "文明城市创建志愿服务",
    "秸秆禁烧与大气污染防治",
)


def _fake_name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + rng.choice(_GIVEN)


def _fake_notice(rng: random.Random, when: datetime, district: str) -> dict:
    """Title, body and metadata for one plausible notice published at `when`."""
    source, code = rng.choice(_SOURCES)
    place = rng.choice(_PLACES)
    project = rng.choice(_PROJECTS)
    topic = rng.choice(_TOPICS)
    year = when.year
    serial = rng.randrange(1, 120)
    end = when + timedelta(days=rng.choice((5, 7, 10)))
    period = f"公示期为{(end - when).days}天（{_cn_date(when)}至{_cn_date(end)}）"
    kind = rng.randrange(8)
    salutation = "各有关单位："
    doc_number = None
    if kind == 0:
        title = f"关于{district}{place}{year}年度第{serial % 9 + 1}批次征地补偿安置方案的公告"
        source, code = "区自然资源局", "岳楼自然资发"
        items = [
            f"一、征收范围：{place}{rng.randrange(1, 20)}组、{rng.randrange(1, 20)}组部分集体土地，"
            f"面积{rng.randrange(2, 90)}.{rng.randrange(10, 99)}亩。",
            f"二、补偿标准：按照湘政发〔{year - 1}〕{rng.randrange(2, 30)}号文件执行，"
            f"区片综合地价每亩{rng.randrange(45, 80)}000元。",
            "三、安置方式：采取货币安置与产权调换相结合的方式。",
            f"四、被征地农村集体经济组织和农户对方案有异议的，请于{period}内书面提出。",
        ]
        salutation = f"{place}被征地农村集体经济组织及农户："
    elif kind == 1:
        title = f"{district}{source[1:]}行政处罚决定书（{code}罚〔{year}〕{serial}号）"
        items = [
            f"当事人：{district}{_fake_name(rng)}商行，经营者：{_fake_name(rng)}。",
            f"经查，当事人于{_cn_date(when - timedelta(days=40))}存在违反《中华人民共和国食品安全法》"
            "第三十四条规定的行为。",
            f"依据相关规定，决定对当事人处以罚款人民币{rng.randrange(2, 50)}000元。",
            "当事人如不服本处罚决定，可在收到本决定书之日起六十日内申请行政复议。",
        ]
        salutation = ""
    elif kind == 2:
        title = f"{district}{project}招标公告"
        items = [
            f"一、项目名称：{project}；招标编号：YYLQ-{year}-{serial:03d}。",
            f"二、投标人资格要求：具有独立法人资格，具备市政公用工程施工总承包{rng.choice('二三')}级及以上资质。",
            f"三、招标文件获取时间：{_cn_date(when)}至{_cn_date(end)}，每日9:00至17:00。",
            f"四、联系人：{_fake_name(rng)}，联系电话：0730-8{rng.randrange(100000, 999999)}。",
        ]
        salutation = "各潜在投标人："
    elif kind == 3:
        k = rng.randrange(2, 9)
        names = "、".join(_fake_name(rng) for _ in range(3))
        title = f"关于{names}等{k}名同志拟任职的公示"
        source = "区委组织部"
        items = [
            f"经区委研究，拟任用{names}等{k}名同志为相关单位领导职务，现予以公示。",
            period + "。",
            "公示期间，对拟任职人选有异议的，可通过来信、来电、来访等方式向区委组织部反映。"
            "举报电话：0730-12380。",
        ]
        salutation = ""
    elif kind == 4:
        title = f"{year}年第{serial % 4 + 1}批中央生态环境保护督察交办信访件整改情况公示"
        source = "区生态环境分局"
        items = [
            f"一、{place}某餐饮店油烟扰民问题：已责令安装油烟净化设施，整改完成。",
            f"二、{place}建筑工地夜间施工噪声问题：已立案查处，现已办结。",
            f"三、{rng.choice(_PLACES)}河道垃圾问题：已组织清理，建立长效管护机制。",
        ]
        salutation = ""
    elif kind == 5:
        title = f"关于开展{year}年度{topic}工作的通知"
        doc_number = f"{code}〔{year}〕{serial}号"
        items = [
            f"为切实做好{year}年度{topic}工作，经研究，决定在全区范围内开展专项行动。",
            f"一、时间安排：{_cn_date(when)}至{_cn_date(end + timedelta(days=60))}。",
            "二、工作要求：各单位要高度重视，明确专人负责，确保工作落到实处。",
            f"三、联系人：{_fake_name(rng)}，联系电话：0730-8{rng.randrange(100000, 999999)}。",
        ]
        salutation = "各街道办事处、乡镇人民政府，区直各单位："
    elif kind == 6:
        title = f"{district}{project}中标候选人公示"
        items = [
            f"{project}已于{_cn_date(when - timedelta(days=3))}开标，经评标委员会评审，"
            "现将中标候选人公示如下：",
            f"第一中标候选人：湖南{rng.choice(_PLACES)[:2]}建设工程有限公司。",
            period + "。",
        ]
        salutation = "各投标人："
    else:
        title = f"{district}{year}年{topic}结果公示"
        items = [
            f"根据工作安排，{source}组织开展了{year}年{topic}工作，现将结果予以公示。",
            period + "，如有异议，请向" + source + "反映。",
        ]
        salutation = ""
    body = ([salutation] if salutation else []) + items
    body += [f"岳阳市{district}{source[1:]}", _cn_date(when)]
    attachments = []
    if rng.random() < 0.2:
        attachments = [(f"{title[:12]}名单.pdf", f"/files/P0{when:%Y%m%d}{serial:06d}.pdf")]
    written = None
    if doc_number:
        written = f"{when - timedelta(days=rng.randrange(1, 6)):%Y-%m-%d}"
    return {
        "title": title,
        "published": f"{when:%Y-%m-%d %H:%M}",
        "body": body,
        "source": source,
        "doc_number": doc_number,
        "index_number": f"430602/{year}-{serial:05d}" if doc_number else None,
        "written": written,
        "attachments": attachments,
    }


# ---- the server ----------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Scrapy expects of real servers
    timeout = 30  # idle keep-alive connections end on their own
    disable_nagle_algorithm = True  # headers and body go out in two writes

    def version_string(self) -> str:
        return "nginx"

    def log_message(self, format, *args) -> None:  # noqa: A002 - stdlib signature
        pass  # silent: tests read site.requests instead

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._serve("POST", self.rfile.read(length) if length else b"")

    def _serve(self, method: str, form: bytes = b"") -> None:
        resp = self.server.site.handle(method, self.path, self.headers, form)
        self.send_response(resp.status)
        for k, v in resp.headers:
            self.send_header(k, v)
        if resp.status != 304:
            self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if method != "HEAD" and resp.status != 304:
            self.wfile.write(resp.body)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr, handler, site: DistrictSite, family: int) -> None:
        self.address_family = family
        self.site = site
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(addr, handler)

    def process_request_thread(self, request, client_address) -> None:
        with self._conns_lock:
            self._conns.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._conns_lock:
                self._conns.discard(request)

    def handle_error(self, request, client_address) -> None:
        pass  # a client hanging up mid-response is not worth a traceback on stderr

    def close_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class SiteServer:
    """A DistrictSite on loopback, in a daemon thread.  `base` is 'http://127.0.0.1:PORT'."""

    def __init__(self, site: DistrictSite, host: str = "127.0.0.1", port: int = 0) -> None:
        _check_loopback(host)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.site = site
        self._httpd = _HTTPServer((host, port), _Handler, site, family)
        self.host = host
        self.port: int = self._httpd.server_address[1]
        netloc = f"[{host}]" if ":" in host else host
        self.base = f"http://{netloc}:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"tzgg-demo-site-{self.port}",
            daemon=True,
        )
        self._closed = False
        self._thread.start()

    def url(self, path: str) -> str:
        return self.base + path

    def listing_url(self) -> str:
        return self.site.listing_url(self.base)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SiteServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_loopback(host: str) -> None:
    if not _is_loopback(host):
        raise ValueError(f"the example site serves on loopback only, not {host!r}")


def serve(site: DistrictSite, host: str = "127.0.0.1", port: int = 0) -> SiteServer:
    """Start serving `site` on host:port (0 picks a free port); call .close() when done."""
    return SiteServer(site, host, port)
