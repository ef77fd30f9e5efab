"""The densest block of a page of unknown template: the block whose paragraphs hold the most
text that is not links (the article body, where no known container names it).

A block's text is read whole for each block asked about while they nest a little; where they
nest deep (a page may nest two thousand levels), each element's text is summed up once from its
children's instead, with the same answers: reading each level whole would read the page once per
level.  Pure: lxml."""

from __future__ import annotations

import re

from .text import fold_ws, is_hidden, tag_of, text_of


def density_container(body):
    """Unknown template: the block whose paragraphs hold the most non-link text."""
    try:
        return _densest(body, _Direct(len(text_of(body))))
    except _OverBudget:  # nested blocks: each read whole would read the page many times
        return _densest(body, _Tree(body))


def _densest(body, stats) -> object | None:
    scores: dict = {}
    for el in body.iter("p", "br", "div", "td", "font", "span"):
        tag = el.tag
        if tag == "p":
            n = stats.total(el)
            if n:
                par = el.getparent()
                if par is not None:
                    scores[par] = scores.get(par, 0) + n
        elif tag in ("div", "td"):
            n = len(fold_ws(el.text or "")) + sum(len(fold_ws(c.tail or "")) for c in el)
            if n:
                scores[el] = scores.get(el, 0) + n
    best, best_score = None, 0
    for el, score in scores.items():
        if tag_of(el) in ("body", "html") or is_hidden(el):
            continue
        if score < 400 and stats.footer(el):
            continue  # the site's footer outweighs a short notice: never its body
        link_len = stats.links(el)
        total = stats.total(el) or 1
        if link_len / total > 0.5:
            continue
        adj = score * (1 - link_len / total)
        if adj > best_score:
            best, best_score = el, adj
    return best


# What a site footer says and a notice does not (ICP备案号, 网站标识码), or not three of at once
# (an event's notice names its 主办单位 and 承办, not its 版权所有 or 技术支持 too).
_FOOTER_SURE = re.compile(r"ICP备|网站标识码|公网安备")
_FOOTER_WORDS = re.compile(r"版权所有|主办单位|主办[:：]|承办[:：]|技术支持[:：]|Copyright|©")
_WORD_REACH = 8  # a footer word (9 characters at most) crossing a join has at most 8 on a side


def _is_site_footer(text: str) -> bool:
    if _FOOTER_SURE.search(text):
        return True
    return len({m.group()[:2] for m in _FOOTER_WORDS.finditer(text)}) >= 3


class _OverBudget(Exception):
    pass


class _Direct:
    """A block's text read whole, for each block asked about: the quick way, while the blocks
    asked about hold a few times the page's text (they nest a little)."""

    def __init__(self, page_chars: int):
        self.left = 4 * page_chars + 100_000
        self.text: dict = {}

    def _text(self, el) -> str:
        t = self.text.get(el)
        if t is None:
            t = self.text[el] = text_of(el)
            self.left -= len(t)
            if self.left < 0:
                raise _OverBudget
        return t

    def footer(self, el) -> bool:
        return _is_site_footer(self._text(el))

    def total(self, el) -> int:
        return len(fold_ws(self._text(el)))

    def links(self, el) -> int:
        n = 0
        for a in el.iterfind(".//a"):
            t = text_of(a)
            self.left -= len(t) + 1
            if self.left < 0:
                raise _OverBudget
            n += len(fold_ws(t))
        return n


class _Piece:
    """What the density test needs of a text, composable over joined texts: its folded length
    (len(fold_ws(text))), whether it opens or ends with white space, the footer words in it,
    and its first and last characters (where a word may cross a join)."""

    __slots__ = ("size", "core", "lead", "trail", "keys", "sure", "head", "tail")

    def __init__(self, text: str = ""):
        self.size = len(text)
        if not text:
            self.core, self.lead, self.trail, self.keys, self.sure = 0, False, False, set(), False
            self.head = self.tail = ""
            return
        self.core = len(fold_ws(text))
        self.lead = _WS_CHAR.match(text) is not None
        self.trail = _WS_CHAR.match(text[-1]) is not None
        self.keys = {m.group()[:2] for m in _FOOTER_WORDS.finditer(text)}
        self.sure = _FOOTER_SURE.search(text) is not None
        self.head, self.tail = text[:_WORD_REACH], text[-_WORD_REACH:]

    def add(self, other: _Piece) -> None:
        """This piece followed by `other`."""
        if not other.size:
            return
        if not self.size:
            for k in self.__slots__:
                setattr(self, k, getattr(other, k))
            self.keys = set(other.keys)
            return
        join = self.tail + other.head
        self.keys |= other.keys
        self.keys.update(m.group()[:2] for m in _FOOTER_WORDS.finditer(join))
        self.sure = self.sure or other.sure or _FOOTER_SURE.search(join) is not None
        if self.core and other.core:
            self.core += other.core + (self.trail or other.lead)
        elif other.core:
            self.core = other.core
            self.lead = True  # this piece is all white space
        self.trail = other.trail if other.core else True
        self.head = (self.head + other.head)[:_WORD_REACH]
        self.tail = (self.tail + other.tail)[-_WORD_REACH:]
        self.size += other.size


_WS_CHAR = re.compile(r"[\s\u3000\u00a0\u200b\u200c\u200d\ufeff\u2002\u2003\u2009]")


class _Tree:
    """The same answers as `_Direct`, from one walk of the tree: each element's text summed up
    from its children's (text_of(el) is el.text, then each child's text and its tail)."""

    def __init__(self, root):
        self.piece: dict = {}
        self.link: dict = {}
        stack = [(root, iter(root))]
        while stack:
            el, children = stack[-1]
            child = next(children, None)
            if child is not None:
                if isinstance(child.tag, str):
                    stack.append((child, iter(child)))
                continue
            stack.pop()  # every child done: sum them up
            piece = _Piece(el.text) if el.text else _Piece()
            links = 0
            for c in el:
                if isinstance(c.tag, str):
                    p = self.piece[c]
                    if p.size:
                        piece.add(p)
                    links += self.link[c] + (p.core if c.tag == "a" else 0)
                if c.tail:
                    piece.add(_Piece(c.tail))
            self.piece[el], self.link[el] = piece, links

    def footer(self, el) -> bool:
        p = self.piece[el]
        return p.sure or len(p.keys) >= 3

    def total(self, el) -> int:
        return self.piece[el].core

    def links(self, el) -> int:
        return self.link[el]
