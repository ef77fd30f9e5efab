"""The text of PDF and DOCX attachments, for search.  Pure: no Scrapy, no SQLite.

Files come from anyone: every failure is caught and named in one word, and pages, text,
unzipped size and time are capped.  The crawl runs `extract_text` in a worker process under a
memory limit (crawler.textpool), so what the caps miss costs a worker, never the crawl;
`file_kind` runs in the crawl itself and reads nothing but the first bytes and names."""

from __future__ import annotations

import io
import logging
import signal
import threading
import zipfile
from contextlib import contextmanager

from .kinds import content_type_ext, download_ext

MAX_PAGES = 300
MAX_CHARS = 2_000_000
MAX_SECONDS = 20.0

# A damaged PDF makes pypdf log a warning per object: thousands, for a hostile one.
logging.getLogger("pypdf").setLevel(logging.ERROR)


class _Timeout(BaseException):
    """Raised by the alarm: a BaseException, so no `except Exception` in a parser eats it."""


class _TooLarge(Exception):
    """A zip member past its cap, whatever its header declared."""


@contextmanager
def _deadline(seconds: float):
    """Interrupt the block after `seconds` (SIGALRM: the main thread only; elsewhere the
    per-page checks are the only bound)."""
    usable = (
        hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    )
    if not usable:
        yield
        return

    def ring(signum, frame):
        raise _Timeout

    old = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def file_kind(body: bytes, url: str = "", content_type: str | None = None, name: str = ""):
    """'pdf', 'docx' or None (a format whose text is not extracted)."""
    if body[:1024].lstrip().startswith(b"%PDF") or b"%PDF-" in body[:1024]:
        return "pdf"
    ext = content_type_ext(content_type) or download_ext(url, name)
    if body[:4] == b"PK\x03\x04" and ext in ("docx", "doc", "wps", None):
        # a .doc that is really a DOCX, as sites often serve; any other zip is not read
        return "docx" if ext == "docx" or _has_docx_part(body) else None
    return ext if ext in ("pdf", "docx") else None


def _has_docx_part(body: bytes) -> bool:
    """A member named word/document.xml (names are stored as they are): a search of the bytes,
    never an unzip, as this runs in the crawl."""
    return b"word/document.xml" in body


def extract_text(
    body: bytes,
    url: str = "",
    content_type: str | None = None,
    name: str = "",
    seconds: float | None = None,
) -> tuple[str | None, str | None]:
    """(text, None), or (None or partial text, one word: invalid | encrypted | timeout |
    too_large | too_costly | no_text | unreadable); (None, None) for a format not read.
    `seconds`: the time allowed (MAX_SECONDS)."""
    kind = file_kind(body or b"", url, content_type, name)
    if kind is None:
        return None, None
    pieces: list[str] = []
    try:
        with _deadline(seconds or MAX_SECONDS):
            error = (_pdf if kind == "pdf" else _docx)(body, pieces)
    except _Timeout:
        error = "timeout"
    except _TooLarge:
        error = "too_large"
    except Exception as exc:  # anything a damaged or hostile file makes a parser raise
        pieces, error = [], _word(exc)
    # lone surrogates (broken ToUnicode maps) cannot be stored; NULs end strings in SQLite
    text = "\n".join(pieces)[:MAX_CHARS].encode("utf-8", "replace").decode("utf-8")
    text = text.replace("\x00", "").strip()
    if not text:
        return None, error or "no_text"
    return text, error


def _word(exc: Exception) -> str:
    name = type(exc).__name__.lower()
    if "decrypt" in name or "password" in str(exc).lower():
        return "encrypted"
    if "limitreached" in name:  # pypdf's own caps (stream sizes, tokens, elements)
        return "too_large"
    if isinstance(exc, MemoryError):  # the worker's memory limit (crawler.textpool)
        return "too_costly"
    if isinstance(exc, RecursionError):
        return "unreadable"
    return "invalid"


def _pdf(body: bytes, out: list[str]) -> str | None:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(body), strict=False)
    if reader.is_encrypted:
        try:  # most are encrypted for permissions only, with an empty user password
            if not reader.decrypt(""):
                return "encrypted"
        except Exception:
            return "encrypted"
    total = 0
    for i, page in enumerate(reader.pages):
        if i >= MAX_PAGES:
            break
        text = page.extract_text() or ""
        out.append(text)
        total += len(text)
        if total >= MAX_CHARS:
            break
    return None


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_P, _T = f"{_W}p", f"{_W}t"
MAX_DOCUMENT_XML = 32 * 1024 * 1024  # word/document.xml, unzipped


def _docx(body: bytes, out: list[str]) -> str | None:
    """Paragraph texts of word/document.xml (table cells included), streamed through a parser
    that builds no tree: any XML, however many elements, costs the text kept and a buffer.
    The unzipped bytes are counted as they come, so a member that lies about its size stops
    at the cap."""
    from lxml import etree

    with zipfile.ZipFile(io.BytesIO(body)) as z:
        info = z.getinfo("word/document.xml")
        if info.file_size > MAX_DOCUMENT_XML:
            return "too_large"
        paragraphs = _Paragraphs(out)
        parser = etree.XMLParser(
            target=paragraphs, resolve_entities=False, no_network=True, huge_tree=False
        )
        left = MAX_DOCUMENT_XML
        with z.open(info) as xml:
            while paragraphs.total < MAX_CHARS:
                chunk = xml.read(65536)
                if not chunk:
                    parser.close()
                    break
                left -= len(chunk)
                if left < 0:
                    raise _TooLarge
                parser.feed(chunk)
        out.extend(t for t in ("".join(p) for p in paragraphs.open) if t)  # cut at MAX_CHARS
    return None


class _Paragraphs:
    """An lxml parser target: the text of each w:p (its w:t runs, a nested paragraph apart)
    appended to `out` as the paragraph ends; nothing is kept past MAX_CHARS."""

    def __init__(self, out: list[str]):
        self.out, self.open, self.in_t, self.total = out, [], 0, 0

    def start(self, tag, attrib):
        if tag == _P:
            self.open.append([])
        elif tag == _T:
            self.in_t += 1

    def end(self, tag):
        if tag == _P and self.open:
            text = "".join(self.open.pop())
            if text:
                self.out.append(text)
        elif tag == _T:
            self.in_t -= 1

    def data(self, text):
        if self.in_t and self.open and self.total < MAX_CHARS:
            self.open[-1].append(text)
            self.total += len(text)  # counted as it comes: one endless run is cut too

    def close(self):
        return None
