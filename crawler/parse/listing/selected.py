"""Listing pages read by a site's own selectors: the registry entry's `listing` and `next_page`
overrides (see crawler.parse.notice.overrides), for a list the block heuristic misreads.  Pure.

* `listing` picks the notice links, or the rows (``li``, ``tr``, ``div``) holding one link
  each; an XPath may also pick an ``@href``.  Title: the link text, or its ``title``
  attribute when the text is cut ("…"); date: a date in the row's text outside the link (an
  ``<a>`` picked alone: its parent's text, or the text after it up to the next link).
* `next_page` picks the link(s) to the next listing page(s), resolved against the page.
"""

from __future__ import annotations

from lxml import etree

from crawler.schema.records import ListingEntry

from .generic import _Row, _row_date, _tag, entries_from_rows, is_attachment, link_title, resolve


def _hits(xp: etree.XPath, doc) -> list:
    try:
        got = xp(doc)
    except etree.XPathError:  # compiled and checked at load; a page cannot break it
        return []
    return got if isinstance(got, list) else [got]


def _element(hit) -> etree._Element | None:
    """An element hit as is; an attribute or text hit (``//a/@href``): its element."""
    if isinstance(hit, etree._Element):
        return hit if isinstance(hit.tag, str) else None
    parent = getattr(hit, "getparent", None)
    return parent() if parent is not None else None


def _link_of(el: etree._Element, base: str) -> tuple[etree._Element, str] | None:
    """The notice link of a picked element: itself, or the first usable link inside it."""
    candidates = [el] if _tag(el) == "a" else list(el.iter("a"))
    for a in candidates:
        url = resolve(base, a.get("href"))
        if url is not None and not is_attachment(url):
            return a, url
    return None


def selected_entries(doc: etree._Element, base: str, xp: etree.XPath) -> list[ListingEntry]:
    """The notices the `listing` selector picks, in page order, de-duplicated by URL."""
    picked: list[tuple[etree._Element, etree._Element, str]] = []
    for hit in _hits(xp, doc):
        el = _element(hit)
        if el is None:
            continue
        got = _link_of(el, base)
        if got is not None:
            picked.append((el, *got))
    links = {a for _, a, _ in picked}
    rows: list[_Row] = []
    for el, a, url in picked:
        row = el if el is not a else _row_of(a, links)
        found, iso, inside = _row_date(row, a, url, links)
        rows.append(_Row(a=a, row=row, url=url, title=link_title(a, inside), date=iso, dated=found))
    return entries_from_rows(rows)


def _row_of(a: etree._Element, links: set) -> etree._Element:
    """The row of a link picked alone: its highest ancestor (3 levels at most: td, tr) that
    holds no other picked link; the link itself when its parent holds others (unwrapped
    rows, read up to the next link)."""
    row = a
    for _ in range(3):
        parent = row.getparent()
        if parent is None or _tag(parent) in ("body", "html"):
            break
        if any(x in links for x in parent.iter("a") if x is not a):
            break
        row = parent
    return row


def selected_next(doc: etree._Element, base: str, xp: etree.XPath, own: str) -> list[str]:
    """The next listing page(s) the `next_page` selector picks (never the page itself)."""
    out: list[str] = []
    for hit in _hits(xp, doc):
        if isinstance(hit, str) and getattr(hit, "is_attribute", False):
            url = resolve(base, hit)  # an @href picked by XPath
        else:
            el = _element(hit)
            if el is None:
                continue
            a = el if el.get("href") is not None else next(el.iter("a"), None)
            url = resolve(base, a.get("href")) if a is not None else None
        if url is not None and url != own and url not in out:
            out.append(url)
    return out
