"""The pure extraction core: page bytes -> `Notice`.

No Scrapy, no SQLite: one lxml parse per page, then xpath/iteration over that one tree.

    from crawler.parse.notice import extract_notice, decode_html, parse_date, classify_page, fold_ws
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from lxml import etree

from crawler.schema.records import Notice
from crawler.schema.urls import canonicalize, site_name

from .attachments import collect_attachments
from .body import find_container, process_container, split_doc_number_line
from .classify import classify_page
from .contact import find_contact
from .dates import parse_date
from .encoding import decode_html, html_utf8_bytes
from .fields import (
    extract_breadcrumb,
    extract_title,
    find_labels,
    line_date,
    meta_published,
    pick_fields,
    table_doc_number,
)
from .overrides import Overrides
from .scan import scan
from .text import SKIPPED, fold_ws, linearize, tag_of
from .window import find_objection_window

__all__ = [
    "extract_notice",
    "extract_page",
    "decode_html",
    "parse_date",
    "classify_page",
    "fold_ws",
    "parse_tree",
]

# collect_ids=False: no ID table (nothing here looks elements up by id), a cheaper parse.
# huge_tree: libxml2 otherwise drops a text node over 10 MB without a word, and a page's
# whole body would read as empty; the page's size is bounded before it gets here
# (DOWNLOAD_MAXSIZE).
_PARSER = etree.HTMLParser(
    encoding="utf-8",
    remove_blank_text=False,
    remove_comments=False,
    collect_ids=False,
    huge_tree=True,
)


def _parse_utf8(data: bytes):
    """The lxml root element of UTF-8 page bytes, or None."""
    if not data or data.isspace():  # i.e. `not data.strip()`, without copying the page
        return None
    try:
        return etree.fromstring(data, _PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None


def parse_tree(body: bytes | str, charset: str | None = None):
    """(lxml root element or None, decoded text, codec used)."""
    data, text, enc = html_utf8_bytes(body, charset)
    return _parse_utf8(data), text, enc


def _region(title_el, container):
    """The article block: the lowest common ancestor of the title and the container."""
    if title_el is not None:
        anc = set(title_el.iterancestors())  # the set keeps the proxies (and their ids) alive
        anc.add(title_el)
        lca = container
        while lca is not None and lca not in anc:
            lca = lca.getparent()
        if lca is not None and lca is not container:
            inside = any(a is container for a in lca.iterancestors())
            if not inside:
                return lca
    region = container
    for _ in range(2):
        parent = region.getparent()
        if parent is None or tag_of(parent) in ("html",):
            break
        region = parent
    return region


def _meta_text(root, skip_el) -> str:
    """The text labels are read from, with the edges of inline elements marked."""
    return "".join(linearize(root, skip_el=skip_el, marks=True))


_SOURCE_REACH = 3  # levels above the article block where a 来源 line may stand


def _wider_fields(doc, region, container, fields: dict) -> dict:
    """Fields the article block lacks: a 发布日期-class label anywhere on the page; a 来源
    stated before the body, a few levels around the block (a rendered page may put its
    metadata line above the title, outside the block; the footer's 文章来源 comes after the
    body, the header's menus further out)."""
    need = {"published", "source"} - fields.keys()
    if "source_empty" in fields:  # '来源：' with nothing after it: no source, not another
        need.discard("source")
    if not need:
        return {}
    scope = doc
    if "published" not in need:
        scope = region
        for _ in range(_SOURCE_REACH):
            up = scope.getparent()
            if up is None or up is doc or tag_of(up) in ("body", "html"):
                break
            scope = up
        if scope is region:
            return {}
    # a 来源 is read before the body only: the text may stop there
    text = "".join(linearize(scope, skip_el=container, marks=True, until_skipped=scope is not doc))
    body_at = text.find(SKIPPED)
    wide = [
        lab
        for lab in find_labels(text)
        if (lab.kind == "pub1" and "published" in need)
        or (lab.kind == "source" and "source" in need and 0 <= lab.pos < body_at)
    ]
    return {k: v for k, v in pick_fields(wide).items() if k in need}


def extract_notice(
    body: bytes | str,
    url: str,
    charset: str | None = None,
    overrides: Overrides | None = None,
    *,
    site_names: tuple[str, ...] = (),
) -> Notice:
    """Every field of a notice page (see crawler.schema.records.Notice); `overrides`: the site's
    registry entry's selectors and labels, where the generic rules fail on it; `site_names`:
    names of the site learned from its other pages (cut from a <title> joined to them)."""
    return _extract(html_utf8_bytes(body, charset)[0], url, overrides, site_names)


def extract_page(
    body: bytes,
    url: str,
    charset: str | None = None,
    overrides: Overrides | None = None,
    *,
    site_names: tuple[str, ...] = (),
) -> tuple[Notice, str, str]:
    """(notice, decoded text, codec) of page bytes: decode_html and extract_notice in one go.

    Same results as `text, enc = decode_html(body, charset); extract_notice(text, url)`,
    but UTF-8 pages are parsed from their own bytes (no re-encoding of the decoded text)."""
    data, text, enc = html_utf8_bytes(body, charset)
    return _extract(data, url, overrides, site_names), text, enc


def _extract(
    data: bytes, url: str, overrides: Overrides | None = None, site_names: tuple[str, ...] = ()
) -> Notice:
    """The notice in UTF-8 page bytes."""
    notice = Notice(url=url, canonical_url=canonicalize(url), site=site_name(url))
    tree = _parse_utf8(data)
    if tree is None:
        return notice

    sc = scan(tree, data)
    sc.host = urlsplit(url).hostname or ""
    base_url = url
    if sc.base_href:
        try:
            base_url = urljoin(url, sc.base_href.strip())
        except ValueError:
            pass

    metas = sc.metas
    notice.breadcrumb = extract_breadcrumb(sc)
    title, title_el = extract_title(sc, site_names, notice.breadcrumb)
    notice.title = title or None

    container = overrides.container(tree, "body") if overrides else None
    if container is None:
        container, _how = find_container(tree, sc)
    region = _region(title_el, container)

    region_text = _meta_text(region, container)
    fields = pick_fields(find_labels(region_text))
    doc = sc.body if sc.body is not None else tree
    if doc is not region:
        fields.update(_wider_fields(doc, region, container, fields))
    notice.published = fields.get("published") or line_date(region_text) or meta_published(metas)
    notice.written = fields.get("written")
    notice.source = fields.get("source")
    notice.index_number = fields.get("index_number")

    roots = [region] if region is not container else [container]
    if overrides and "attachments" in overrides.selectors:
        roots = [overrides.container(tree, "attachments")]
    notice.attachments = collect_attachments(roots, base_url)

    notice.body_html, lines = process_container(container, base_url)
    heading_number, lines = split_doc_number_line(lines)
    notice.body = "\n".join(lines)
    notice.doc_number = fields.get("doc_number") or heading_number
    if notice.doc_number is None and "文号" in notice.body:  # a table row or column saying so
        notice.doc_number = table_doc_number(container, lines[0] if lines else "")
    if overrides:
        page_text = _meta_text(sc.body if sc.body is not None else tree, None)
        for name, value in overrides.values(tree, page_text).items():
            setattr(notice, name, value)
    notice.objection_window = find_objection_window(notice.body, notice.published)
    notice.contact = find_contact(notice.body)
    return notice
