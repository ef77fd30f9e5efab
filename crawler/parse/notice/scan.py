"""The landmarks the extractors need, gathered with few Python-side visits of the tree.

Tags are found by lxml's C-level tag filter (`iter(tag, …)`), marker comments likewise;
class and id attributes by one XPath each, so Python sees the attribute values (not every
element); the verdict on a value is cached, and only the elements whose class or id hints
at something are looked at further."""

from __future__ import annotations

import re
from itertools import compress

from lxml import etree

_Comment = etree.Comment
_CLASS_HINT = re.compile(
    r"title|biaoti|crumb|position|location|dqwz|weizhi|curpath|path|TRS_Editor|trs_editor|"
    r"article_content|pages_content|UCAP-CONTENT|zoom|content|zw|con|zhengwen",
    re.I,
)
_TITLE_HINT = re.compile(r"title|biaoti", re.I)
_CRUMB_HINT = re.compile(
    r"crumb|position|location|dqwz|weizhi|curpath|(?<![a-z])path(?![a-z])", re.I
)
# whole class tokens only (a "main-zhengwen-wrap" or a page-wide "neirong" wrapper is none)
_PINYIN_BODY = r"(?i:(?:^|(?<=\s))(?:wenzhang[-_]?(?:content|con|nr|zw|body)|zhengwen)(?=\s|$))"
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
            r"wz_content|art_content|detail_content|detail-content|^zw$|" + _PINYIN_BODY
        ),
    ),
)
# The article body named in pinyin, as Chinese templates often do: wenzhang (文章) -content,
# zhengwen (正文); not neirong (内容), which as often names a page-wide wrapper.
_PINYIN_ID = re.compile(_PINYIN_BODY, re.I)
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
        "data",
        "host",
        "_maybe_label",
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
        self.data: bytes | None = None  # the UTF-8 bytes the tree was parsed from
        self.host = ""  # the page's host, where the caller knows it
        self._maybe_label: bool | None = None

    @property
    def maybe_label(self) -> bool:
        """False: the page bytes cannot hold '位置' in any text (a search of the bytes,
        done once, when asked)."""
        if self._maybe_label is None:
            data = self.data
            self._maybe_label = data is None or (
                _LABEL_BYTES.search(data) is not None
                or (b"&#" in data and _LABEL_REF.search(data) is not None)
            )
        return self._maybe_label

    @property
    def crumb_label_nodes(self):
        """(element, is_tail) whose text or tail holds '位置', in document order (lazily:
        the breadcrumb sits near the top, and its reader stops at the first that works)."""
        if self.root is None:
            return
        # A label near the top is reached by a short walk, for less than a search of the
        # page bytes; past that, the bytes say whether walking on can find one at all.
        budget = _WALK_BEFORE_SEARCH
        for top in _tops(self.root):
            for el in top.iter():
                budget -= 1
                if budget == 0 and not self.maybe_label:
                    return
                tail = el.tail
                if tail and "位置" in tail:
                    yield el, True
                tag = el.tag
                if tag.__class__ is str and tag != "script" and tag != "style":
                    text = el.text
                    if text and "位置" in text:
                        yield el, False


_WALK_BEFORE_SEARCH = 200  # nodes


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
        if rank is None and _PINYIN_ID.search(ident):
            rank = 8
        low = ident.lower()
        crumb = "crumb" in low or "position" in low
        title = bool(_TITLE_HINT.search(ident))
        info = (title, crumb, rank) if (rank is not None or title or crumb) else _NO_INFO
        if len(_ID_CACHE) > 20000:
            _ID_CACHE.clear()
        _ID_CACHE[ident] = info
    return info


# '位置' in UTF-8, and character references that could spell either character.
# (a compiled search: sre's literal search beats `in` on UTF-8 text, where the bytes of
# other Han characters keep matching the needle's first bytes)
_LABEL_BYTES = re.compile(re.escape("位置".encode()))
_LABEL_REF = re.compile(rb"&#(?:[xX]0*(?:4[fF]4[dD]|7[fF]6[eE])|0*(?:20301|32622))(?![0-9])")


# Every class / id attribute of the page, in document order, as "smart" strings: the value,
# and getparent() for its element.  Python then sees the attributes, not every element.
_CLASS_ATTRS = etree.XPath("/descendant::*/@class")  # (cheaper for libxml2 than //@class)
_ID_ATTRS = etree.XPath("/descendant::*/@id")
# The union of node-sets is in document order (libxml2 sorts it), each node once.
_UNION = etree.XPath("$a | $b | $c")


def scan(root, data: bytes | None = None) -> Scan:
    """Landmarks of the page whose root element is `root`; `data`, the UTF-8 bytes it was
    parsed from, if given, lets the breadcrumb search skip pages that cannot hold a '位置'
    label."""
    s = Scan(root)
    s.data = data
    markers = s.markers
    order = 0
    for top in _tops(root):
        for el in top.iter(_Comment, *_SPECIAL):  # one C-level pass for both
            tag = el.tag
            if tag is _Comment:
                text = el.text
                if text and "<$[" in text:
                    mark = _marker(text)
                    if mark:
                        markers.setdefault(mark, []).append(el)
            else:
                order += 1
                _special(s, el, tag, order)
    tagged = s.title_candidates  # h1-h3 / ucaptitle, in document order
    doc = root.getroottree()
    class_titles, class_crumbs = _hinted(_CLASS_ATTRS(doc), _CLASS_CACHE, _class_info, s)
    id_titles, id_crumbs = _hinted(_ID_ATTRS(doc), _ID_CACHE, _id_info, s)
    s.title_candidates = _in_doc_order(class_titles, id_titles, tagged)
    s.crumb_candidates = _in_doc_order(class_crumbs, id_crumbs)
    s.containers.sort(key=lambda t: (t[0], t[1]))
    return s


def _hinted(attrs, cache: dict, info_of, s: Scan) -> tuple[list, list]:
    """(title candidates, breadcrumb candidates) among the elements of `attrs` (class or id
    attribute values, in document order); container candidates go to s.containers, ranked
    and in document order (class and id ranks differ, so their orders never meet)."""
    titles, crumbs = [], []
    # A page repeats a few dozen values over hundreds of elements: each distinct value is
    # judged once, and the elements of the hinted ones picked out at C speed.
    hinted = {}
    for value in set(attrs):
        info = cache.get(value)
        if info is None:
            info = info_of(str(value))  # a plain str: the cache must not keep the page alive
        if info is not _NO_INFO:
            hinted[value] = info
    if not hinted:
        return titles, crumbs
    containers = s.containers
    title_tags = _TITLE_TAGS
    is_class = cache is _CLASS_CACHE
    for order in compress(range(len(attrs)), map(hinted.__contains__, attrs)):
        value = attrs[order]
        info = hinted[value]
        el = value.getparent()
        tag = el.tag
        if tag == "script" or tag == "style":
            continue
        is_title, is_crumb, rank = info
        if is_class:
            if is_title and tag not in title_tags:
                titles.append(el)
            if is_crumb:
                crumbs.append(el)
            if rank is not None:
                containers.append((rank, order, el))
        elif rank is not None:  # an id: one verdict, a container first
            containers.append((rank, order, el))
        elif is_title and tag not in title_tags:
            titles.append(el)
        elif is_crumb:
            crumbs.append(el)
    return titles, crumbs


def _in_doc_order(*lists) -> list:
    """The elements of the lists (each in document order), merged in document order; an
    element found twice (by its class and by its id) is kept once."""
    filled = [x for x in lists if x]
    if len(filled) <= 1:
        return filled[0] if filled else []
    a, b, *rest = filled
    return _UNION(a[0], a=a, b=b, c=rest[0] if rest else [])


_MARKER_END = re.compile(r"\]>(begin|end)")


def _marker(text: str) -> str | None:
    r"""'信息内容begin' of a comment holding `<$[信息内容]>begin`: the first match of
    `<\$\[([^\]]+)\]>(begin|end)`, found in one pass (the pattern looks for a ']' to the end
    of the comment from every '<$[' in it)."""
    pos = 0
    while (start := text.find("<$[", pos)) >= 0:
        close = text.find("]", start + 3)
        if close < 0:
            return None  # no ']' after this '<$[': none after a later one either
        m = _MARKER_END.match(text, close)
        if m and close > start + 3:
            return text[start + 3 : close] + m.group(1)
        pos = close  # every '<$[' before this ']' ends at it too
    return None


# Tags that need a look beyond their class and id.
_SPECIAL = ("meta", "title", "base", "body", "ucapcontent", "h1", "h2", "h3", "ucaptitle")


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
