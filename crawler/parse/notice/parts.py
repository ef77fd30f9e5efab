"""Multi-page articles: TRS splits a long article into t…_1.shtml, t…_2.shtml, … Pure."""

from __future__ import annotations

from crawler.schema.records import Notice


def join_parts(first: Notice, parts: list[Notice]) -> Notice:
    """The whole article: the first page's fields, the bodies and attachments of every page.

    A field stated only on the first page (title, dates, 文号) stays the first page's; a
    continuation page adds its body and any attachment not already listed (keyed by URL)."""
    if not parts:
        return first
    bodies = [first.body] + [p.body for p in parts]
    first.body = "\n".join(b for b in bodies if b)
    first.body_html = "\n".join(h for h in [first.body_html] + [p.body_html for p in parts] if h)
    seen = {a.url for a in first.attachments}
    for p in parts:
        for a in p.attachments:
            if a.url not in seen:
                seen.add(a.url)
                first.attachments.append(a)
    return first
