"""A fault-injection server for crawl tests: a `DistrictSite` behind a raw-socket HTTP/1.1
server on 127.0.0.1, where any path can be made to misbehave the way hostile or broken
government sites do.

    srv = FaultServer(site)                   # serves the site as it is
    srv.fault(site.path(3), "hang")           # faults toggled per path, at any time
    srv.fault("/tzgg/index*", "endless")      # a trailing * matches a path prefix
    srv.clear()                               # every path healthy again

Faults (keyword options in brackets):

* ``hostile`` [body]: 200 with these bytes as the page (input made to cost a parser dearly);
* ``hang``: read the request, never answer (past any download timeout);
* ``slow`` [seconds=1]: answer as the site would, that many seconds late;
* ``reset``: send the status line, headers and half the body, then RST (SO_LINGER 0);
* ``close`` [rst=False]: close the connection before sending a byte (FIN, or RST);
* ``burst`` [n=3, status=503, retry_after=1]: the first n requests fail so, then the page;
* ``waf`` [status=412, style=token]: a cookie-setting script challenge (加速乐 style), or
  with style=token a 瑞数-style page whose script holds only an opaque state string; no content;
  `status=200` as some WAFs answer;
* ``too_frequent``: 200 with the site's 访问过于频繁 page;
* ``loop``: a redirect loop, path -> path?tzgg_loop=1 -> path;
* ``endless``: listing page k links page k + 1 for ever (same notices, page k mod n);
* ``huge`` [size=20_000_000, length=False, gzip=False, ctype=text/html]: `size` bytes, without
  a Content-Length unless `length` (the client must count); `gzip`: a gzip bomb of them;
* ``binary`` [kind="random"|"png"|"zip"|"gzip"]: non-HTML bytes under Content-Type text/html
  (gzip: the page itself, compressed without a Content-Encoding);
* ``empty``: the notice's own template with no title, date or body (a CMS that lost them);
  on a listing page, the listing with no notices in its list.
* ``login`` [dated=True]: the notice's template turned login wall (title 用户登录, a password
  form in the body), still showing the notice's date unless dated=False.
* ``shift`` [nid]: the first request for the path takes notice nid off the listing, then
  the page is answered as it now stands: a column that drops an item while a crawl walks
  it (on a later page, what followed the item has moved up a page).
* ``bomb`` [kind="docx_flat"]: an attachment bomb, one of tests.bombs.BOMBS
  (a DOCX, PDF or zip that unpacks or parses into gigabytes or minutes).

`hits` counts the requests for each path (query left off), faulted or not.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import random
import socket
import struct
import threading
import time
import zipfile
import zlib
from collections import Counter
from http import HTTPStatus
from urllib.parse import urlsplit

from crawler.demo import DistrictSite, Response
from crawler.demo.http import trs_listing_page as _trs_listing_page

BIG_PAGE_BYTES = 20_000_000


@dataclasses.dataclass
class Fault:
    kind: str
    opts: dict
    served: int = 0  # requests this fault has answered


class FaultServer:
    def __init__(self, site: DistrictSite, host: str = "127.0.0.1") -> None:
        self.site = site
        self.faults: dict[str, Fault] = {}
        self.hits: Counter = Counter()
        self.times: dict[str, list[float]] = {}  # path -> time.monotonic() of each request
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._conns: set[socket.socket] = set()
        self._sock = socket.create_server((host, 0))
        self.base = f"http://{host}:{self._sock.getsockname()[1]}"
        self._thread = threading.Thread(target=self._accept, daemon=True, name="faultsite")
        self._thread.start()

    # -- control --------------------------------------------------------------------------

    def fault(self, path: str, kind: str, /, **opts) -> None:
        if not hasattr(self, f"_do_{kind}"):
            raise ValueError(f"no fault {kind!r}")
        with self._lock:
            self.faults[path] = Fault(kind, opts)

    def clear(self, path: str | None = None) -> None:
        with self._lock:
            if path is None:
                self.faults.clear()
            else:
                self.faults.pop(path, None)

    def url(self, path: str) -> str:
        return self.base + path

    def listing_url(self) -> str:
        return self.site.listing_url(self.base)

    def close(self) -> None:
        self._closing.set()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        except OSError:
            pass
        self._sock.close()
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(timeout=5)

    def _find(self, path: str) -> Fault | None:
        with self._lock:
            f = self.faults.get(path)
            if f is None:
                for key, value in self.faults.items():
                    if key.endswith("*") and path.startswith(key[:-1]):
                        f = value
                        break
            if f is not None:
                f.served += 1
            return f

    # -- connections ----------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with self._lock:
            self._conns.add(conn)
        try:
            conn.settimeout(10)
            request = _read_request(conn)
            if request is None:
                return
            method, target, headers, form = request
            path = urlsplit(target).path
            with self._lock:
                self.hits[path] += 1
                self.times.setdefault(path, []).append(time.monotonic())
            f = self._find(path)
            if f is None:
                self._send(conn, self.site.handle(method, target, headers, form))
            else:
                getattr(self, f"_do_{f.kind}")(conn, f, method, target, headers)
        except OSError:
            pass  # the client went away (a cancelled download): nothing to tell
        finally:
            with self._lock:
                self._conns.discard(conn)
            try:
                conn.close()
            except OSError:
                pass

    def _send(self, conn, resp: Response, length: int | None = -1, body=None) -> None:
        """One response, `Connection: close`.  `body`: an iterable of chunks instead of
        resp.body; `length`: the Content-Length to state (None: none, -1: resp.body's)."""
        conn.sendall(self._head_bytes(resp, len(resp.body) if length == -1 else length))
        for chunk in body if body is not None else [resp.body]:
            conn.sendall(chunk)

    def _html(self, status: int, body: bytes, *extra) -> Response:
        return Response(status, [("Content-Type", "text/html; charset=utf-8"), *extra], body)

    # -- the faults -----------------------------------------------------------------------

    def _do_hostile(self, conn, f, method, target, headers) -> None:
        self._send(conn, self._html(200, f.opts["body"]))

    def _do_hang(self, conn, f, method, target, headers) -> None:
        self._closing.wait(f.opts.get("seconds", 60))

    def _do_slow(self, conn, f, method, target, headers) -> None:
        if not self._closing.wait(f.opts.get("seconds", 1)):
            self._send(conn, self.site.handle(method, target, headers))

    def _do_reset(self, conn, f, method, target, headers) -> None:
        # unconditional: a 304 has no body to break off
        fresh = {k: v for k, v in headers.items() if not k.lower().startswith("if-")}
        resp = self.site.handle(method, target, fresh)
        head = self._head_bytes(resp, len(resp.body))
        conn.sendall(head + resp.body[: max(1, len(resp.body) // 2)])
        _rst(conn)

    def _do_close(self, conn, f, method, target, headers) -> None:
        if f.opts.get("rst"):
            _rst(conn)

    def _do_burst(self, conn, f, method, target, headers) -> None:
        if f.served > f.opts.get("n", 3):
            self._send(conn, self.site.handle(method, target, headers))
            return
        status = f.opts.get("status", 503)
        resp = self.site._error(status)  # the site's own error page
        resp.headers = [(k, v) for k, v in resp.headers if k != "Retry-After"]
        resp.headers.append(("Retry-After", str(f.opts.get("retry_after", 1))))
        self._send(conn, resp)

    def _do_waf(self, conn, f, method, target, headers) -> None:
        token = random.Random(target).randbytes(16).hex()
        if f.opts.get("style") == "token":  # 瑞数-style: only an opaque state string
            state = random.Random(target).randbytes(600).hex()
            page = (
                '<html><head><meta charset="utf-8"><script>var $_t=window.$_t||{};'
                f'$_t.s="{state}";if($_t.r)$_t.r();</script><script src="./{token[:10]}.js">'
                "</script></head><body></body></html>"
            )
            self._send(conn, self._html(f.opts.get("status", 412), page.encode()))
            return
        script = (
            '<html><head><meta charset="utf-8"></head><body><script>'
            f'document.cookie=("__jsl_clearance_s=1{token[:8]}|0|"+"{token}")+";max-age=3600;'
            'path=/";location.reload()</script></body></html>'
        )
        cookie = ("Set-Cookie", f"__jsluid_s={token}; max-age=31536000; path=/; HttpOnly")
        self._send(conn, self._html(f.opts.get("status", 412), script.encode(), cookie))

    def _do_too_frequent(self, conn, f, method, target, headers) -> None:
        self._send(conn, self._html(200, self.site._render_block().encode()))

    def _do_loop(self, conn, f, method, target, headers) -> None:
        parts = urlsplit(target)
        there = parts.path if "tzgg_loop" in parts.query else parts.path + "?tzgg_loop=1"
        hdrs = {k.lower(): v for k, v in headers.items()}
        self._send(conn, self.site._redirect(302, there, hdrs))

    def _do_endless(self, conn, f, method, target, headers) -> None:
        site, path = self.site, urlsplit(target).path
        k = _trs_listing_page(path)
        real, count = site.page_count(), 10**6
        with site._lock:
            page = site._render_trs_listing(k % real, count)
        page = page.replace(f"createPageHTML({count}, {k % real},", f"createPageHTML({count}, {k},")
        page = page.replace(f"var currentPage = {k % real};", f"var currentPage = {k};")
        self._send(conn, self._html(200, page.encode()))

    def _do_huge(self, conn, f, method, target, headers) -> None:
        size = f.opts.get("size", BIG_PAGE_BYTES)
        resp = self._html(200, b"")
        if f.opts.get("ctype"):
            resp.headers = [("Content-Type", f.opts["ctype"])]
        if f.opts.get("gzip"):  # a bomb: small on the wire, `size` bytes once decompressed
            resp.headers.append(("Content-Encoding", "gzip"))
            resp.body = _bomb(size)
            self._send(conn, resp, length=None)
            return
        self._send(conn, resp, length=size if f.opts.get("length") else None, body=_big(size))

    def _do_binary(self, conn, f, method, target, headers) -> None:
        kind = f.opts.get("kind", "random")
        rng = random.Random(1)  # random bytes lxml parses without complaint: noise as text
        if kind == "png":
            ihdr = b"IHDR" + struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0)
            body = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + ihdr + rng.randbytes(40_000)
        elif kind == "zip":
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr("公告.txt", "征收范围公告。" * 500)
                z.writestr("附件.bin", rng.randbytes(30_000))
            body = buf.getvalue()
        elif kind == "gzip":  # the page compressed twice, or without its Content-Encoding
            resp = self.site.handle(method, target, {})
            body = _gzip(resp.body)
        else:
            body = rng.randbytes(60_000)
        self._send(conn, self._html(200, body))

    def _do_empty(self, conn, f, method, target, headers) -> None:
        site, path = self.site, urlsplit(target).path
        with site._lock:
            k = _trs_listing_page(path)
            if k is not None:  # a listing page with an empty list
                state, site._listing_state = site._listing_state, "empty"
                try:
                    page = site._render_trs_listing(k, site.page_count())
                finally:
                    site._listing_state = state
            else:
                n = site._notices[site._routes[path]]
                blank = dataclasses.replace(
                    n, title="", published="", body=[], source=None, doc_number=None,
                    index_number=None, written=None, attachments=[], parts=[],
                )  # fmt: skip
                page = site._render_trs_detail(blank)
        self._send(conn, self._html(200, page.encode()))

    def _do_login(self, conn, f, method, target, headers) -> None:
        site, path = self.site, urlsplit(target).path
        with site._lock:
            n = site._notices[site._routes[path]]
            wall = dataclasses.replace(
                n, title="用户登录", source="统一身份认证平台", body=[_LOGIN_TIP],
                published=n.published if f.opts.get("dated", True) else "",
                doc_number=None, index_number=None, written=None, attachments=[], parts=[],
            )  # fmt: skip
            page = site._render_trs_detail(wall)
        page = page.replace(f"<p>　　{_LOGIN_TIP}</p>", f"<p>　　{_LOGIN_TIP}</p>{_LOGIN_FORM}")
        self._send(conn, self._html(200, page.encode()))

    def _do_shift(self, conn, f, method, target, headers) -> None:
        if f.served == 1:
            self.site.delist(f.opts["nid"])
        self._send(conn, self.site.handle(method, target, headers))

    def _do_bomb(self, conn, f, method, target, headers) -> None:
        from tests.bombs import BOMBS

        build, _, ctype = BOMBS[f.opts.get("kind", "docx_flat")]
        self._send(conn, Response(200, [("Content-Type", ctype)], build()))

    def _head_bytes(self, resp: Response, length: int | None) -> bytes:
        lines = [f"HTTP/1.1 {resp.status} {_reason(resp.status)}", "Server: nginx"]
        lines += ["Connection: close"] + [f"{k}: {v}" for k, v in resp.headers]
        if length is not None:
            lines.append(f"Content-Length: {length}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


_LOGIN_TIP = "本信息需登录后查看。"
_LOGIN_FORM = (
    '<form action="/member/login.do" method="post"><p>用户名：<input type="text" name="username">'
    '</p><p>密　码：<input type="password" name="password"></p><button type="submit">登录</button>'
    "</form>"
)
_PARA = ("<p>　　征收范围内的土地现状调查结果予以公告。</p>\n" * 2000).encode()
_HEAD = b"<!DOCTYPE html><html><head><meta charset='utf-8'><title>t</title></head><body>"


def _big(size: int):
    """The bytes of a `size`-byte page, in chunks."""
    yield _HEAD
    sent = len(_HEAD)
    while sent < size:
        piece = _PARA[: size - sent]
        sent += len(piece)
        yield piece


def _gzip(*chunks: bytes) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
    return b"".join(z.compress(c) for c in chunks) + z.flush()


@functools.cache
def _bomb(size: int) -> bytes:
    return _gzip(*_big(size))


def _read_request(conn: socket.socket):
    """(method, target, headers, body) of one request, or None when the client sent none."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
        if len(data) > 1 << 20:
            return None
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip()] = v.strip()
    length = int(headers.get("Content-Length") or 0)
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return method, target, headers, rest[:length]


def _rst(conn: socket.socket) -> None:
    """Close so that the peer gets a TCP RST, not a FIN."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
