"""The demo district answering requests: `DistrictSite`, the model (.model) with its pages
(.pages), turns one request into a `Response`: routing, ETag / Last-Modified validators and
304s for the static styles, per-request pages for Hanweb, gzip, redirects, error pages, the
files under /files/ and the Hanweb data proxy.  `handle()` is pure apart from the site's own
counters; .server puts it behind a socket.

Rendered pages are cached until the notice or the site changes, so a 2,000-notice
benchmark site costs one render per page.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import formatdate, parsedate_to_datetime
from urllib.parse import parse_qs, unquote, urlsplit

from crawler.schema.urls import is_loopback

from .model import (
    COLUMN_ID,
    CST,
    SOFT404_TEXT,
    UPGRADING_TEXT,
    YY_COLUMN_ID,
    YY_NEWS_ID,
    YY_SITE_ID,
    SiteNotice,
)
from .pages import Pages, error_html, today_line


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
class _Page:
    """A rendered static page: bytes, validators, and its gzip form once asked for."""

    body: bytes
    ctype: str
    stamp: int
    etag: str = ""
    gz: bytes | None = None

    def __post_init__(self) -> None:
        self.etag = '"' + hashlib.sha1(self.body).hexdigest()[:20] + '"'


class DistrictSite(Pages):
    """One district's website, mutable between crawls: the model (.model: add, edit, move,
    set_state, rebuild …), its pages (.pages) and its answers (`handle`)."""

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
        moved = self.listing_moved_to
        if moved and path == self.listing_path(0) and is_loopback(urlsplit(moved).hostname or ""):
            # the column moved to a platform elsewhere (only ever a loopback one)
            body = self._encode(error_html(301, "Moved", self._charset))
            return Response(301, [("Location", moved), ("Content-Type", self._html_type)], body)
        if path in ("/", "/index.html", "/index.htm"):
            return self._static(("home",), self._render_home, hdrs)
        if path.startswith("/files/") and len(path) > len("/files/"):
            return self._file(path, hdrs)
        if self.style == "trs":
            k = trs_listing_page(path)
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
        fill = {"now": self._encode(today_line(now, with_time=True)), "views": str(views).encode()}
        body = b"".join(fill[p] if isinstance(p, str) else p for p in parts)
        return self._finish(Response(200, [("Content-Type", self._html_type)], body), hdrs)

    def _detail(self, n: SiteNotice, hdrs: dict) -> Response:
        if n.state != "ok":
            return self._finish(self._state_response(n.state, hdrs), hdrs)
        if self.detail_template == "redesign":
            shell = lambda: self._render_redesigned(n)  # noqa: E731
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
        if state == "upgrading":
            body = self._encode(self._render_message(UPGRADING_TEXT + "。", "网站升级改版中"))
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
        loc = f"http://{host}{path}" if host and is_loopback(name) else path
        body = self._encode(error_html(status, "Moved", self._charset))
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
        if status == 412:
            text = self._render_challenge()
        else:
            text = error_html(status, reasons.get(status, "Error"), self._charset)
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
        xml = self._render_dataproxy(entries, start, end, per)
        resp = Response(200, [("Content-Type", "text/xml;charset=UTF-8")], xml.encode("utf-8"))
        return self._finish(resp, hdrs)

    # ---- routes ----------------------------------------------------------------------

    def _news_index(self, path: str) -> int | None:
        if not path.startswith(("/xwzx/", "/art/", f"/{YY_SITE_ID}/{YY_NEWS_ID}/")):
            return None
        for i, (p, _, _) in enumerate(self._news()):
            if p == path:
                return i
        return None

    def _part(self, path: str) -> tuple[SiteNotice, int] | None:
        """(notice, i) for the i-th continuation page t…_i.html of a TRS article."""
        m = re.fullmatch(r"(.*)_(\d+)(\.html)", path)
        nid = self._routes.get(m.group(1) + m.group(3)) if m else None
        if nid is None or self.style != "trs":
            return None
        n, i = self._notices[nid], int(m.group(2))
        return (n, i) if n.state == "ok" and 1 <= i <= len(n.parts) else None


# ---- helpers -------------------------------------------------------------------------


def trs_listing_page(path: str) -> int | None:
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
