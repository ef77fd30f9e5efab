"""Attachment bombs: small files that unpack or parse into gigabytes or minutes, one of each
extracted format (DOCX, PDF) and of the archive-only ones (zip).

Shared: tests/test_attachments.py runs each through the extraction entry point under hard
limits, tests/faultsite.py serves them (fault `bomb`) to the crawl of tests/test_faults.py,
and benchmarks/bench_bombs.py measures their memory peak."""

from __future__ import annotations

import functools
import io
import struct
import zipfile
import zlib

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MIB = 1 << 20


# -- the bombs --------------------------------------------------------------------------------


def _deflated(*parts: tuple[bytes, int]) -> bytes:
    """Raw deflate of each (chunk, times), without compressing the repeats: a chunk's block is
    cut with a full flush (no reference to what came before) and repeated."""
    out = []
    for chunk, times in parts:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        out.append((c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)) * times)
    out.append(zlib.compressobj(9, zlib.DEFLATED, -15).flush())  # the final, empty block
    return b"".join(out)


def _zip(name: str, deflated: bytes, size: int, crc: int = 0, others=()) -> bytes:
    """A zip whose member `name` is `deflated`, declared to unzip to `size` bytes (true or
    not), after small stored members `others` ((name, bytes))."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for other, data in others:
            z.writestr(other, data)
    head = buf.getvalue()
    end = head.rindex(b"PK\x05\x06")
    central_at = struct.unpack("<I", head[end + 16 : end + 20])[0]
    files, central = head[:central_at], head[central_at:end]
    count = struct.unpack("<H", head[end + 10 : end + 12])[0]
    raw = name.encode()
    at = len(files)
    utf8 = 0x800  # the name's encoding flag
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, utf8, 8, 0, 0, crc, len(deflated), size,
                        len(raw), 0) + raw  # fmt: skip
    entry = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, utf8, 8, 0, 0, crc,
                        len(deflated), size, len(raw), 0, 0, 0, 0, 0, at) + raw  # fmt: skip
    files += local + deflated
    central += entry
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count + 1, count + 1, len(central),
                       len(files), 0)  # fmt: skip
    return files + central + eocd


@functools.cache
def docx_flat_bomb() -> bytes:
    """The issue's: 33 KB, a word/document.xml of 32 MiB of flat empty elements (1.1 GB in a
    parser that keeps every element but paragraphs)."""
    head = f'<?xml version="1.0"?><w:document xmlns:w="{W}"><w:body>'.encode()
    tail = b"</w:body></w:document>"
    n = (32 * MIB - 4096 - len(head) - len(tail)) // 4
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        z.writestr("word/document.xml", head + b"<x/>" * n + tail)
    return buf.getvalue()


@functools.cache
def docx_ratio_bomb(lying: bool = False) -> bytes:
    """2 MB whose word/document.xml unzips to 2 GiB of one paragraph's text; `lying`: its
    headers say 64 KiB."""
    head = f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>'.encode()
    data = _deflated((head, 1), (b"x" * MIB, 2047), (b"x" * (MIB - len(head) - 1), 1))
    return _zip("word/document.xml", data, 64 << 10 if lying else 2048 * MIB - 1,
                others=[("[Content_Types].xml", b"<Types/>")])  # fmt: skip


@functools.cache
def zip_bomb() -> bytes:
    """An archive-only type's bomb: 2 MB of zip holding one 2 GiB file (kept, never unzipped)."""
    return _zip("数据.txt", _deflated((b"\0" * MIB, 2048)), 2048 * MIB - 1)


def _pdf(objects: list[bytes]) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def _page_pdf(kids: bytes, count: int, stream: bytes, extra: bytes = b"") -> bytes:
    """Catalog 1, page tree 2, one page object 3 listed as `kids`, content stream 4 (a
    FlateDecode `stream`), font 5."""
    return _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font"
        b" << /F1 5 0 R >> >> /Contents 4 0 R" + extra + b" >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ])  # fmt: skip


_OPS = b"BT /F1 1 Tf (x) Tj ET\n" * (MIB // 22)  # 1 MiB of text operators


@functools.cache
def pdf_flate_bomb() -> bytes:
    """180 KB: one page whose content stream inflates to 70 MiB of text operators (pypdf
    holds each as objects: 400 MB)."""
    return _page_pdf(b"3 0 R", 1, zlib.compress(_OPS * 70, 9))


@functools.cache
def pdf_pages_bomb() -> bytes:
    """1,000 pages, all the same page object, whose content is 1 MiB of text operators: each
    page parsed anew (minutes of CPU in pypdf)."""
    return _page_pdf(b" ".join([b"3 0 R"] * 1000), 1000, zlib.compress(_OPS, 9))


@functools.cache
def pdf_nested_bomb() -> bytes:
    """A page holding an array nested 200,000 deep."""
    deep = b"[" * 200_000 + b"]" * 200_000
    return _page_pdf(b"3 0 R", 1, zlib.compress(b"BT (x) Tj ET"), b" /X " + deep)


@functools.cache
def pdf_loop_bomb() -> bytes:
    """A page tree that is its own kid, claiming a million pages."""
    return _page_pdf(b"2 0 R 3 0 R", 1_000_000, zlib.compress(b"BT (x) Tj ET"))


# name -> (builder, file name, Content-Type): the bombs a test site serves
BOMBS = {
    "docx_flat": (docx_flat_bomb, "bomb.docx", DOCX_TYPE),
    "docx_ratio": (docx_ratio_bomb, "ratio.docx", DOCX_TYPE),
    "pdf_flate": (pdf_flate_bomb, "flate.pdf", "application/pdf"),
    "pdf_pages": (pdf_pages_bomb, "pages.pdf", "application/pdf"),
    "pdf_nested": (pdf_nested_bomb, "nested.pdf", "application/pdf"),
    "pdf_loop": (pdf_loop_bomb, "loop.pdf", "application/pdf"),
    "zip": (zip_bomb, "bomb.zip", "application/zip"),
}
