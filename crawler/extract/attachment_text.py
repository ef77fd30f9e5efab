"""The text of PDF and DOCX attachments, for search.  Pure: no Scrapy, no SQLite.

Files come from anyone: every failure is caught and named in one word, and pages, text,
unzipped size and time are capped, so a hostile file costs the crawl seconds at most."""

from __future__ import annotations

import io
import logging
import signal
import threading
import zipfile
from contextlib import contextmanager

from .files import content_type_ext, download_ext

MAX_PAGES = 300
MAX_CHARS = 2_000_000
MAX_SECONDS = 20.0

# A damaged PDF makes pypdf log a warning per object: thousands, for a hostile one.
logging.getLogger("pypdf").setLevel(logging.ERROR)


class _Timeout(BaseException):
    """Raised by the alarm: a BaseException, so no `except Exception` in a parser eats it."""


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
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            return "word/document.xml" in z.namelist()
    except Exception:
        return False


def extract_text(
    body: bytes, url: str = "", content_type: str | None = None, name: str = ""
) -> tuple[str | None, str | None]:
    """(text, None), or (None or partial text, one word: invalid | encrypted | timeout |
    too_large | no_text | unreadable); (None, None) for a format not read."""
    kind = file_kind(body or b"", url, content_type, name)
    if kind is None:
        return None, None
    pieces: list[str] = []
    try:
        with _deadline(MAX_SECONDS):
            error = (_pdf if kind == "pdf" else _docx)(body, pieces)
    except _Timeout:
        error = "timeout"
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
    if isinstance(exc, MemoryError | RecursionError):
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
MAX_DOCUMENT_XML = 32 * 1024 * 1024  # word/document.xml, unzipped


def _docx(body: bytes, out: list[str]) -> str | None:
    """Paragraph texts of word/document.xml (table cells included), streamed: a small file
    that unzips to gigabytes of XML costs a bounded read, never a whole tree in memory."""
    from lxml import etree

    with zipfile.ZipFile(io.BytesIO(body)) as z:
        info = z.getinfo("word/document.xml")
        if info.file_size > MAX_DOCUMENT_XML:
            return "too_large"
        total = 0
        with z.open(info) as xml:
            capped = _Capped(xml, MAX_DOCUMENT_XML)
            for _, p in etree.iterparse(
                capped, tag=f"{_W}p", resolve_entities=False, huge_tree=False
            ):
                text = "".join(t.text or "" for t in p.iter(f"{_W}t"))
                p.clear()  # free what was read: the paragraph, and those before it
                parent = p.getparent()
                while parent is not None and p.getprevious() is not None:
                    del parent[0]
                if text:
                    out.append(text)
                    total += len(text)
                    if total >= MAX_CHARS:
                        break
    return None


class _Capped(io.RawIOBase):
    """A stream that ends with an error past `limit` bytes (a zip entry may lie about its
    unzipped size)."""

    def __init__(self, raw, limit: int):
        self.raw, self.left = raw, limit

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(65536 if n is None or n < 0 else min(n, 65536))
        self.left -= len(data)
        if self.left < 0:
            raise ValueError("document.xml larger than declared")
        return data
