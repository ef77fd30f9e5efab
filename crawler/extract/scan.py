"""The landmarks the extractors need, gathered with few Python-side visits of the tree.

One walk over the elements reads tags, marker comments and the class and id attributes;
the verdict on a class or id value is cached, and only the elements whose class or id hints
at something are looked at further."""

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
        "root",
        "maybe_label",
    )

    def __init__(self, root=None):
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
        self.root = root
        self.maybe_label = True  # False: the page bytes cannot hold '位置' in any text

    @property
    def crumb_label_nodes(self):
        """(element, is_tail) whose text or tail holds '位置', in document order (lazily:
        the breadcrumb sits near the top, and its reader stops at the first that works)."""
        if self.root is None or not self.maybe_label:
            return
        for top in _tops(self.root):
            for el in top.iter():
                tail = el.tail
                if tail and "位置" in tail:
                    yield el, True
                tag = el.tag
                if tag.__class__ is str and tag != "script" and tag != "style":
                    text = el.text
                    if text and "位置" in text:
                        yield el, False


def _tops(root) -> list:
    """The top-level nodes: a stray '</html>' mid-page leaves libxml2 with several."""
    return [*reversed(list(root.itersiblings(preceding=True))), root, *root.itersiblings()]


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


_ID_CACHE: dict[str, tuple[bool, bool, int | None]] = {}


def _id_info(ident: str) -> tuple[bool, bool, int | None]:
    """(title hint, breadcrumb hint, container rank) of an id attribute, cached."""
    info = _ID_CACHE.get(ident)
    if info is None:
        rank = _CONTAINER_ID.get(ident)
        low = ident.lower()
        crumb = "crumb" in low or "position" in low
        title = bool(_TITLE_HINT.search(ident))
        info = (title, crumb, rank) if (rank is not None or title or crumb) else _NO_INFO
        if len(_ID_CACHE) > 20000:
            _ID_CACHE.clear()
        _ID_CACHE[ident] = info
    return info


# '位置' in UTF-8, and character references that could spell either character.
_LABEL_BYTES = "位置".encode()
_LABEL_REF = re.compile(rb"&#(?:[xX]0*(?:4[fF]4[dD]|7[fF]6[eE])|0*(?:20301|32622))(?![0-9])")


def scan(root, data: bytes | None = None) -> Scan:
    """Landmarks of the page whose root element is `root`; `data`, the UTF-8 bytes it was
    parsed from, if given, lets the breadcrumb search skip pages that cannot hold a '位置'
    label."""
    s = Scan(root)
    if data is not None:
        s.maybe_label = _LABEL_BYTES in data or (b"&#" in data and bool(_LABEL_REF.search(data)))
    markers = s.markers
    containers = s.containers
    titles = s.title_candidates
    crumbs = s.crumb_candidates
    classes, class_info = _CLASS_CACHE, _class_info
    ids, id_info = _ID_CACHE, _id_info
    title_tags = _TITLE_TAGS
    special = _SPECIAL
    order = 0
    # One walk over the fresh tree: each further pass, even a C-level one, costs about as
    # much as the Python work of this one (libxml2 nodes are scattered in memory).
    for top in _tops(root):
        for el in top.iter():
            tag = el.tag
            if tag.__class__ is not str:
                if tag is _Comment:
                    text = el.text
                    if text and "<$[" in text:
                        m = _MARKER.search(text)
                        if m:
                            markers.setdefault(m.group(1) + m.group(2), []).append(el)
                continue
            order += 1
            if tag in special:
                _special(s, el, tag, order)
            cls = el.get("class")
            ident = el.get("id")
            if not (cls or ident) or tag == "script" or tag == "style":
                continue
            if cls:
                info = classes.get(cls)
                if info is None:
                    info = class_info(cls)
                if info is not _NO_INFO:
                    is_title, is_crumb, rank = info
                    if is_title and tag not in title_tags:
                        titles.append(el)
                    if is_crumb:
                        crumbs.append(el)
                    if rank is not None:
                        containers.append((rank, order, el))
            if ident:
                info = ids.get(ident)
                if info is None:
                    info = id_info(ident)
                if info is not _NO_INFO:
                    is_title, is_crumb, rank = info
                    if rank is not None:  # one verdict per id, a container first
                        containers.append((rank, order, el))
                    elif is_title and tag not in title_tags:
                        titles.append(el)
                    elif is_crumb:
                        crumbs.append(el)
    containers.sort(key=lambda t: (t[0], t[1]))
    return s


_MARKER = re.compile(r"<\$\[([^\]]+)\]>(begin|end)")
# Tags that need a look beyond their class and id.
_SPECIAL = frozenset(("meta", "title", "base", "body", "ucapcontent", "h1", "h2", "h3", "ucaptitle"))


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
