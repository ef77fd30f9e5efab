"""The demo district on loopback: a `ThreadingHTTPServer` in a daemon thread that hands each
request to `DistrictSite.handle` (.http).  `serve()` refuses any host but loopback."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from crawler.schema.urls import is_loopback

from .http import DistrictSite


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


def _check_loopback(host: str) -> None:
    if not is_loopback(host):
        raise ValueError(f"the example site serves on loopback only, not {host!r}")


def serve(site: DistrictSite, host: str = "127.0.0.1", port: int = 0) -> SiteServer:
    """Start serving `site` on host:port (0 picks a free port); call .close() when done."""
    return SiteServer(site, host, port)
