"""One Python pass over the parsed tree, collecting every landmark the extractors need.

Iterating lxml elements in Python is cheaper than several XPath queries that test strings
(`contains(@class, …)` on every node), so the hot path walks the tree once here."""

from __future__ import annotations

import re

from lxml import etree

_Comment = etree.Comment
_Element = etree.Element
_CLASS_HINT = re.compile(
    r"title|biaoti|crumb|position|location|dqwz|weizhi|curpath|path|TRS_Editor|trs_editor|"
    r"article_content|pages_content|UCAP-CONTENT|zoom|content|zw|con",
    re.I,
)
_TITLE_HINT = re.compile(r"title|biaoti", re.I)
_CRUMB_HINT = re.compile(
    r"crumb|position|location|dqwz|weizhi|curpath|(?<![a-z])path(?![a-z])", re.I
)
_CONTAINER_CLASS = (
    # (rank, regex over class) - lower rank wins
    (2, re.compile(r"(?:^|\s)TRS_Editor(?:\s|$)")),
    (3, re.compile(r"TRS_Editor|trs_editor")),
    (4, re.compile(r"(?:^|\s)article_content(?:\s|$)")),
    (5, re.compile(r"pages_content")),
    (
        8,
        re.compile(
            r"article-content|article_con|content_text|view_content|xxgk_content|news_content|"
            r"wz_content|art_content|detail_content|detail-content|^zw$"
        ),
    ),
)
_CONTAINER_ID = {
    "UCAP-CONTENT": 1,
    "zoom": 6,
    "Zoom": 6,
    "zoomcon": 6,
    "Zoomcon": 6,
    "fontzoom": 6,
    "vsb_content": 7,
    "vsb_content_2": 7,
    "content": 7,
    "Content": 7,
    "article-content": 7,
    "articleContent": 7,
    "mainText": 7,
    "contentText": 7,
}
_TITLE_TAGS = frozenset(("h1", "h2", "h3", "ucaptitle"))


class Scan:
    __slots__ = (
        "metas",
        "doc_title",
        "base_href",
        "content_start",
        "content_end",
        "markers",
        "containers",
        "title_candidates",
        "crumb_candidates",
        "body",
        "nodes",
    )

    def __init__(self):
        self.metas: dict[str, str] = {}
        self.doc_title: str | None = None
        self.base_href: str | None = None
        self.content_start = None
        self.content_end = None
        self.markers: dict[str, list] = {}  # Hanweb comment markers: '信息内容begin' -> [comment]
        self.containers: list = []  # (rank, order, element)
        self.title_candidates: list = []
        self.crumb_candidates: list = []
        self.body = None
        # Every node in document order. Holding them keeps lxml's Python proxies alive, so
        # the later walks over the same tree do not build and free them again.
        self.nodes: list = []

    @property
    def crumb_label_nodes(self):
        """(element, is_tail) whose text or tail holds '位置', in document order (lazily:
        the breadcrumb sits near the top, and its reader stops at the first that works)."""
        for el in self.nodes:
            tail = el.tail
            if tail and "位置" in tail:
                yield el, True
            tag = el.tag
            if tag.__class__ is str and tag != "script" and tag != "style":
                text = el.text
                if text and "位置" in text:
                    yield el, False


_CLASS_CACHE: dict[str, tuple[bool, bool, int | None]] = {}
_NO_INFO = (False, False, None)


def _class_info(cls: str) -> tuple[bool, bool, int | None]:
    """(title hint, breadcrumb hint, container rank) of a class attribute, cached."""
    info = _CLASS_CACHE.get(cls)
    if info is None:
        if _CLASS_HINT.search(cls):
            rank = None
            for r, rx in _CONTAINER_CLASS:
                if rx.search(cls):
                    rank = r
                    break
            info = (bool(_TITLE_HINT.search(cls)), bool(_CRUMB_HINT.search(cls)), rank)
        else:
            info = _NO_INFO
        if len(_CLASS_CACHE) > 20000:
            _CLASS_CACHE.clear()
        _CLASS_CACHE[cls] = info
    return info


def scan(root) -> Scan:
    s = Scan()
    order = 0
    # A stray '</html>' mid-page leaves libxml2 with several top-level elements.
    tops = [*reversed(list(root.itersiblings(preceding=True))), root, *root.itersiblings()]
    nodes = s.nodes
    for top in tops:
        nodes.extend(top.iter())
    containers = s.containers
    title_candidates = s.title_candidates
    crumb_candidates = s.crumb_candidates
    markers = s.markers
    cache = _CLASS_CACHE
    special = _SPECIAL
    title_tags = _TITLE_TAGS
    container_id = _CONTAINER_ID
    for el in nodes:
        order += 1
        tag = el.tag
        if tag.__class__ is not str:
            if tag is _Comment:
                text = el.text
                if text and "<$[" in text:
                    m = _MARKER.search(text)
                    if m:
                        markers.setdefault(m.group(1) + m.group(2), []).append(el)
            continue
        if tag in special:
            if tag == "script" or tag == "style":
                continue
            _special(s, el, tag, order)
        keys = el.keys()
        if not keys:
            continue
        if "class" in keys:
            cls = el.get("class")
            if cls:
                info = cache.get(cls)
                if info is None:
                    info = _class_info(cls)
                if info is not _NO_INFO:
                    is_title, is_crumb, rank = info
                    if is_title and tag not in title_tags:
                        title_candidates.append(el)
                    if is_crumb:
                        crumb_candidates.append(el)
                    if rank is not None:
                        containers.append((rank, order, el))
        if "id" in keys:
            ident = el.get("id")
            if ident:
                rank = container_id.get(ident)
                if rank is not None:
                    containers.append((rank, order, el))
                elif tag not in title_tags and _TITLE_HINT.search(ident):
                    title_candidates.append(el)
                elif "crumb" in ident.lower() or "position" in ident.lower():
                    crumb_candidates.append(el)
    containers.sort(key=lambda t: (t[0], t[1]))
    return s


_MARKER = re.compile(r"<\$\[([^\]]+)\]>(begin|end)")
# Tags that need a look beyond their attributes (script/style: skipped entirely).
_SPECIAL = frozenset(
    (
        "meta",
        "title",
        "base",
        "body",
        "ucapcontent",
        "h1",
        "h2",
        "h3",
        "ucaptitle",
        "script",
        "style",
    )
)


def _special(s: Scan, el, tag: str, order: int) -> None:
    if tag in _TITLE_TAGS:
        s.title_candidates.append(el)
        return
    if tag == "meta":
        name = el.get("name")
        if name:
            lname = name.strip().lower()
            if lname == "contentstart":
                if s.content_start is None:
                    s.content_start = el
            elif lname == "contentend":
                s.content_end = el
            elif lname not in s.metas:
                s.metas[lname] = (el.get("content") or "").strip()
    elif tag == "title":
        if s.doc_title is None:
            s.doc_title = el.text or ""
    elif tag == "base":
        if s.base_href is None and el.get("href"):
            s.base_href = el.get("href")
    elif tag == "body":
        if s.body is None:
            s.body = el
    elif tag == "ucapcontent":
        s.containers.append((0, order, el))
