"""A notice's attachments, fetched after its page (and its continuation pages) and joined into
its record before the archive sees it: so changed bytes are an edit of the notice.

Each file is fetched once per crawl (by canonical URL), conditionally when the archive holds
an earlier download, at most `download_maxsize` bytes.  A file that fails (timeout, 5xx, 404,
too large, an HTML page) never fails the notice: the archive keeps what it knew of it.

Its text is read by `FileTextMiddleware` as part of its download, in a worker process
(crawler.textpool) that the reactor awaits: a slow or hostile file holds its own notice only."""

from __future__ import annotations

import asyncio
import hashlib

import scrapy
from scrapy.utils.reactor import is_asyncio_reactor_installed

from crawler.parse.files.kinds import download_ext
from crawler.schema.records import FileFetch, FileText
from crawler.schema.urls import canonicalize
from crawler.textpool import TextPool

MAX_PER_NOTICE = 30
_FROM_FETCH = (  # what a file's record takes from the fetch of it
    "url",
    "final_url",
    "at",
    "http_version",
    "status",
    "reason",
    "headers",
    "request_headers",
    "redirects",
    "hops",
    "decoded_from",
    "error",
)


def _content_type(headers: list) -> str | None:
    for k, v in headers:
        if k.lower() == "content-type":
            return v.split(";")[0].strip().lower() or None
    return None


def _html_page(content_type: str | None, body: bytes) -> bool:
    """An error, login or block page where the file should be (a Word-saved HTML .doc aside)."""
    if content_type in ("text/html", "application/xhtml+xml"):
        return True
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    html = head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script"))
    return html and b"schemas-microsoft-com:office" not in head


def _too_large(failure) -> bool:
    """A download Scrapy cancelled at `download_maxsize` (or refused to decompress past it)."""
    value = failure.value
    text = str(value)
    return "Cancelled" in type(value).__name__ or "max size" in text or "MAXSIZE" in text


class AttachmentsMixin:
    """Part of NoticesSpider: needs its `settings`, `sites`, `_fetch` and `_failed`."""

    share_files = True  # a file in flight for one notice is awaited by the others

    def _with_files(self, fetch, site: str):
        """Yield the detail fetch, with its attachments fetched into it first."""
        notice = fetch.notice
        if (
            not self.state.files_on
            or not notice
            or fetch.error
            or fetch.home
            or fetch.page_class != "ok"
        ):
            yield fetch
            return
        todo = [
            i
            for i, a in enumerate(notice.attachments)
            if a.url.startswith(("http://", "https://"))
            and download_ext(a.url, a.name)
            and self.on_site(a.url, site)  # a file server elsewhere: the registry's `hosts`
        ]
        doc = {"fetch": fetch, "site": site, "todo": todo[:MAX_PER_NOTICE], "owned": []}
        yield from self._next_file(doc)

    def _next_file(self, doc: dict):
        fetch = doc["fetch"]
        atts = fetch.notice.attachments
        while doc["todo"]:
            i = doc["todo"].pop(0)
            key = canonicalize(atts[i].url)
            if key in self.state.file_results:
                self._known(doc, i, key)
            elif key in self.state.file_waiting:  # another notice is fetching it
                self.state.file_waiting[key].append((doc, i))
                return
            else:
                if self.share_files:  # others wait for it (a worker cannot: see distributed)
                    self.state.file_waiting[key] = []
                doc["owned"].append(key)
                yield self._file_request(doc, i, key)
                return
        yield fetch
        for key in doc["owned"]:  # stored with this record now
            self.state.file_texts.pop(key, None)

    def _known(self, doc: dict, i: int, key: str) -> None:
        """Give entry i of the notice what this crawl learnt of its file."""
        result = self.state.file_results[key]
        if result is None:
            return
        _learnt(doc, i, result)
        text = self.state.file_texts.get(key)
        if text is not None:
            doc["fetch"].texts.append(text)

    def _file_request(self, doc: dict, i: int, key: str) -> scrapy.Request:
        headers = {}
        known = self.state.file_validators.get(key)
        if known and known["etag"]:
            headers["If-None-Match"] = known["etag"]
        if known and known["last_modified"]:
            headers["If-Modified-Since"] = known["last_modified"]
        attachment = doc["fetch"].notice.attachments[i]
        return scrapy.Request(
            attachment.url,
            priority=5,  # finish a notice before starting others: it is held in memory
            callback=self.parse_file,
            errback=self.file_failed,
            headers=headers or None,
            meta={
                "site": doc["site"],
                "doc": doc,
                "file": i,
                "key": key,
                "download_maxsize": self.state.file_max,
                "file_name": attachment.name,  # for its format
            },
            dont_filter=True,
        )

    def parse_file(self, response):
        doc, i, key = (response.meta[k] for k in ("doc", "file", "key"))
        rec = self._file_record(self._fetch(response, "attachment"))
        status, result = response.status, None
        if 200 <= status < 300 and _html_page(rec.content_type, response.body):
            rec.error = "html_page"  # an error or block page, not the file
        elif 200 <= status < 300 and not response.body:
            rec.error = "empty"
        elif 200 <= status < 300:
            body = rec.body = response.body
            sha = rec.sha256 = hashlib.sha256(body).hexdigest()
            rec.text, rec.text_error = response.meta.get("file_text", (None, None))
            result = (sha, len(body))
            self.state.file_texts[key] = FileText(sha, rec.content_type, rec.text, rec.text_error)
        elif status == 304 and key in self.state.file_validators:
            known = self.state.file_validators[key]
            rec.sha256 = known["sha256"]  # the bytes the validators were sent for
            result = (known["sha256"], known["size"])
        else:
            rec.error = f"http_{status}"
        doc["fetch"].files.append(rec)
        yield from self._resolved(doc, i, key, result)

    def file_failed(self, failure):
        meta = failure.request.meta
        doc, i, key = meta["doc"], meta["file"], meta["key"]
        rec = self._file_record(self._failed(failure, "attachment"))
        if _too_large(failure):
            rec.error = "too_large"
        doc["fetch"].files.append(rec)
        yield from self._resolved(doc, i, key, None)

    def _resolved(self, doc: dict, i: int, key: str, result: tuple | None):
        self.state.file_results[key] = result
        if result is not None:
            _learnt(doc, i, result)
        waiting = self.state.file_waiting.pop(key, [])
        for d, j in waiting:  # all first: the owner may be done and drop the text
            self._known(d, j, key)
        for d in [doc] + [d for d, _ in waiting]:
            yield from self._next_file(d)

    @staticmethod
    def _file_record(fetch) -> FileFetch:
        taken = {k: getattr(fetch, k) for k in _FROM_FETCH}
        return FileFetch(**taken, content_type=_content_type(fetch.headers))


def _learnt(doc: dict, i: int, result: tuple[str, int | None]) -> None:
    """Entry i of the notice is the file of these bytes."""
    attachment = doc["fetch"].notice.attachments[i]
    attachment.sha256, attachment.size = result


_READ = ("pdf", "docx", "doc", "wps")  # what may be a PDF or a DOCX (a .doc often is one)


class FileTextMiddleware:
    """The text of a downloaded attachment (PDF, DOCX), read in a worker process while the
    reactor goes on, put in the request's meta as `file_text`: (text, error).  Below the
    retry and redirect middlewares (550, 600), so it sees the final answer only.  The worker
    starts (in the background) with the first file's download, and stops with the spider."""

    def __init__(self, crawler):
        self.memory_mb = crawler.settings.getint("TZGG_TEXT_MEMORY_MB")
        self.pool: TextPool | None = None
        crawler.signals.connect(self.close, signal=scrapy.signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        name = request.meta.get("file_name")
        if name is not None and download_ext(request.url, name) in _READ:
            self._pool().start()  # in the background, while the first file downloads

    async def process_response(self, request, response, spider=None):
        meta = request.meta
        if "file_name" not in meta or not 200 <= response.status < 300 or not response.body:
            return response
        raw = response.headers.get(b"Content-Type")
        ctype = _content_type([("Content-Type", raw.decode("latin-1"))]) if raw else None
        if _html_page(ctype, response.body):
            return response
        future = self._pool().submit(response.body, response.url, ctype, meta["file_name"])
        meta["file_text"] = await _awaited(future)
        return response

    def _pool(self) -> TextPool:
        if self.pool is None:
            self.pool = TextPool(self.memory_mb)
        return self.pool

    def close(self, spider=None):
        if self.pool is not None:
            self.pool.close()


async def _awaited(future):
    """A concurrent future awaited in the reactor, without a thread where asyncio's loop is
    the reactor's (Scrapy's default), with one that waits otherwise."""
    if is_asyncio_reactor_installed():
        return await asyncio.wrap_future(future)
    from scrapy.utils.defer import maybe_deferred_to_future
    from twisted.internet.threads import deferToThread

    return await maybe_deferred_to_future(deferToThread(future.result))
