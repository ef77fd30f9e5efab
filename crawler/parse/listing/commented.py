"""Lists whose static items sit inside an HTML comment while JavaScript draws the same list.

Some templates keep the server-side list in the page commented out (``<!-- <ul><li><a …>…``)
and have a script draw it into an empty container.  Templates also comment out stale lists,
beside the live one; so a comment is read only when the live markup holds no dated list (the
caller checks), and only a comment holding the repeated structure of a list: at least
MIN_ROWS dated rows of links.  Conditional comments (``<!--[if IE]>``) are skipped.  Bounded:
MAX_COMMENT characters of one comment, MAX_COMMENTS of all of them.  Pure: lxml.
"""

from __future__ import annotations

import lxml.html
from lxml import etree

from .generic import Block, best_block

MIN_ROWS = 2
MAX_COMMENT = 256 * 1024
MAX_COMMENTS = 1024 * 1024


def commented_block(doc, base: str) -> Block | None:
    """The best dated list held in the page's comments, or None."""
    best = None
    left = MAX_COMMENTS
    for c in doc.iter(etree.Comment):
        text = c.text or ""
        if "href" not in text or text.lstrip().startswith("[if"):
            continue
        if left <= 0:
            break
        text = text[: min(MAX_COMMENT, left)]
        left -= len(text)
        try:
            frag = lxml.html.document_fromstring(f"<html><body>{text}</body></html>")
        except (etree.ParserError, ValueError):
            continue
        block = best_block(frag, base)
        if block is None or block.dated < MIN_ROWS:
            continue
        if best is None or (block.dated, len(block.rows)) > (best.dated, len(best.rows)):
            best = block
    return best
