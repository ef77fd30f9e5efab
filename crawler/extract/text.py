"""Whitespace folding and the one tree walker that turns elements into lines of text."""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import etree

_WS = re.compile(r"[\s\u3000\u00a0\u200b\u200c\u200d\ufeff\u2002\u2003\u2009]+")
_ALL_WS = re.compile(r"[\s\u3000\u00a0\u200b\u200c\u200d\ufeff\u2002\u2003\u2009]+")
_CJK = r"\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
# A space beside a CJK character or fullwidth punctuation is an artefact in a title.
_CJK_SPACE = re.compile(rf"(?<=[{_CJK}]) | (?=[{_CJK}])")


def fold_ws(s: str | None) -> str:
    """Collapse all whitespace (incl. U+3000, U+00A0, zero-width) to single spaces; strip."""
    if not s:
        return ""
    return _WS.sub(" ", s).strip()


def squash(s: str | None) -> str:
    """Delete all whitespace (the manifest's comparison form)."""
    return _ALL_WS.sub("", s or "")


def clean_title(s: str | None) -> str:
    """fold_ws, then drop spaces next to CJK characters ('2007　年末' -> '2007年末')."""
    s = fold_ws(s)
    return _CJK_SPACE.sub("", s) if " " in s else s


BLOCK_TAGS = frozenset(
    "p div br li ul ol tr table tbody thead tfoot h1 h2 h3 h4 h5 h6 section article aside "
    "header footer nav main dd dt dl blockquote pre hr form center address figure figcaption "
    "caption fieldset legend details summary ucapcontent body html".split()
)
CELL_TAGS = frozenset(("td", "th"))
SKIP_TAGS = frozenset(
    "script style noscript template iframe object embed select option textarea button head "
    "title meta link input svg canvas video audio map area".split()
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_HIDDEN_CLASSES = frozenset(("hide", "hidden", "display-none", "d-none", "sr-only", "none"))


def is_hidden(el) -> bool:
    style = el.get("style")
    if style and _HIDDEN_STYLE.search(style):
        return True
    if el.get("hidden") is not None:
        return True
    cls = el.get("class")
    if cls and _HIDDEN_CLASSES.intersection(cls.lower().split()):
        return True
    return False


def tag_of(el) -> str | None:
    """Lower-case tag name, or None for comments/processing instructions."""
    t = el.tag
    return t.lower() if isinstance(t, str) else None


def linearize(
    root,
    skip: Callable[[object], bool] | None = None,
    *,
    cells: str = " ",
    out: list[str] | None = None,
) -> list[str]:
    """Text chunks of `root` in document order; '\\n' marks block boundaries.

    Raw whitespace inside text is folded to one space, so only the markup makes lines.
    Skips scripts, styles, hidden elements and whatever `skip(el)` says (the root itself is
    never skipped, its tail never read)."""
    if out is None:
        out = []
    _walk(root, skip, cells, out, True)
    return out


def _walk(el, skip, cells, out, is_root):
    tag = tag_of(el)
    if tag is None:  # comment / PI: only its tail is text
        return
    if not is_root and (tag in SKIP_TAGS or is_hidden(el) or (skip is not None and skip(el))):
        return
    block = tag in BLOCK_TAGS
    if block:
        out.append("\n")
    elif tag in CELL_TAGS:
        out.append(cells)
    if el.text:
        out.append(_WS.sub(" ", el.text))
    for child in el:
        _walk(child, skip, cells, out, False)
        if child.tail:
            out.append(_WS.sub(" ", child.tail))
    if block:
        out.append("\n")
    elif tag in CELL_TAGS:
        out.append(cells)


def to_lines(chunks: list[str]) -> list[str]:
    """Join chunks and split into non-empty, whitespace-folded lines."""
    lines = []
    for line in "".join(chunks).split("\n"):
        line = fold_ws(line)
        if line:
            lines.append(line)
    return lines


def is_element(el) -> bool:
    return isinstance(el, etree._Element) and isinstance(el.tag, str)


_STRING = etree.XPath("string()")


def text_of(el) -> str:
    """All text under `el` (the XPath string value; no tail)."""
    return str(_STRING(el))


# Elements hidden by inline style / attribute / class, found in one XPath pass.
_LOWER = "translate(@style,'ABCDEFGHIJKLMNOPQRSTUVWXYZ ','abcdefghijklmnopqrstuvwxyz')"
HIDDEN_XPATH = etree.XPath(
    f".//*[@style and (contains({_LOWER},'display:none') or contains({_LOWER},'visibility:hidden'))"
    " or @hidden or (@class and ("
    + " or ".join(
        f"contains(concat(' ', normalize-space(@class), ' '), ' {c} ')"
        for c in sorted(_HIDDEN_CLASSES)
    )
    + "))]"
)


def remove_keep_tail(el) -> None:
    """Remove `el` and its subtree, keeping the text that follows it."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


LINE = "\ue000"  # a private-use mark for a block boundary while serializing text
_LINE_WS = re.compile(r"[\s\u3000\u00a0\u200b\u200c\u200d\ufeff\u2002\u2003\u2009]+")


def serialized_lines(root) -> list[str]:
    """Lines of `root`'s text after block elements were marked with LINE (see mark_blocks)."""
    text = etree.tostring(root, method="text", encoding="unicode", with_tail=False)
    text = _LINE_WS.sub(" ", text)
    out = []
    for line in text.split(LINE):
        line = line.strip(" ")
        if line:
            out.append(line)
    return out


def mark_blocks(root) -> None:
    """Put LINE marks around block elements and spaces around cells (mutates the tree)."""
    for el in root.iter(*BLOCK_TAGS):
        el.text = LINE + el.text if el.text else LINE
        el.tail = LINE + el.tail if el.tail else LINE
    for el in root.iter("td", "th"):
        el.tail = " " + el.tail if el.tail else " "
