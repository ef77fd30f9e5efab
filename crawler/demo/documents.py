"""Small real attachments for the example district: a PDF and a DOCX holding Chinese text.

The PDF is written by hand (no PDF library needed): one page per list of lines, a Type0 font
with Identity-H encoding whose ToUnicode CMap maps each glyph id back to its character, which
is how text extractors (pypdf, pdfminer) read Chinese out of real PDFs."""

from __future__ import annotations

import io


def make_pdf(*pages: list[str] | str) -> bytes:
    """A PDF with one page per argument (a string, or a list of lines)."""
    pages = [[p] if isinstance(p, str) else list(p) for p in pages] or [[""]]
    chars = sorted({ch for lines in pages for line in lines for ch in line})
    gid = {ch: i + 1 for i, ch in enumerate(chars)}
    objects: list[bytes] = []

    def add(data: bytes | str) -> int:
        objects.append(data.encode("latin-1") if isinstance(data, str) else data)
        return len(objects)

    catalog = add("")  # filled in below, once the page tree's number is known
    tree = add("")
    font = add("")
    cid_font = add(
        "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SimSun"
        " /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>"
        f" /FontDescriptor {len(objects) + 2} 0 R /DW 1000 /CIDToGIDMap /Identity >>"
    )
    descriptor = add(
        "<< /Type /FontDescriptor /FontName /SimSun /Flags 4 /FontBBox [0 -140 1000 880]"
        " /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 80 >>"
    )
    assert descriptor == cid_font + 1
    cmap = _to_unicode(gid)
    to_unicode = add(f"<< /Length {len(cmap)} >>\nstream\n".encode() + cmap + b"\nendstream")
    objects[font - 1] = (
        "<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /Identity-H"
        f" /DescendantFonts [{cid_font} 0 R] /ToUnicode {to_unicode} 0 R >>"
    ).encode()
    kids = []
    for lines in pages:
        ops = ["BT", "/F1 14 Tf", "50 780 Td", "20 TL"]
        for i, line in enumerate(lines):
            hexed = "".join(f"{gid[ch]:04X}" for ch in line)
            ops.append(f"<{hexed}> Tj" if i == 0 else f"T* <{hexed}> Tj")
        ops.append("ET")
        content = "\n".join(ops).encode()
        stream = add(f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream")
        kids.append(
            add(
                f"<< /Type /Page /Parent {tree} 0 R /MediaBox [0 0 595 842]"
                f" /Resources << /Font << /F1 {font} 0 R >> >> /Contents {stream} 0 R >>"
            )
        )
    objects[tree - 1] = (
        f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>"
    ).encode()
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {tree} 0 R >>".encode()

    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, data in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + data + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def _to_unicode(gid: dict[str, int]) -> bytes:
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    items = sorted(gid.items(), key=lambda kv: kv[1])
    for start in range(0, len(items), 100):  # at most 100 entries per block
        block = items[start : start + 100]
        lines.append(f"{len(block)} beginbfchar")
        lines += [f"<{g:04X}> <{ch.encode('utf-16-be').hex().upper()}>" for ch, g in block]
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode()


def make_docx(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    """A DOCX with `paragraphs`, then `table` (rows of cells) when given."""
    from docx import Document

    doc = Document()
    for p in paragraphs:
        doc.add_paragraph(p)
    if table:
        t = doc.add_table(rows=len(table), cols=max(len(r) for r in table))
        for i, row in enumerate(table):
            for j, cell in enumerate(row):
                t.cell(i, j).text = cell
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
