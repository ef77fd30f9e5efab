"""Whitespace folding and the one tree walker that turns elements into lines of text."""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import islice
from urllib.parse import urljoin

from lxml import etree

_WS = re.compile(r"[\s\u3000\u00a0\u200b\u200c\u200d\ufeff\u2002\u2003\u2009]+")
_ALL_WS = re.compile(r"[\s\u3000\u00a0\u200b\u200c\u200d\ufeff\u2002\u2003\u2009]+")
_CJK = r"\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
# A space beside a CJK character or fullwidth punctuation is an artefact in a title.
_CJK_SPACE = re.compile(rf"(?<=[{_CJK}]) | (?=[{_CJK}])")


# A relative reference made only of path characters, with no dot segment but a leading "./":
# joined by string slicing, as urljoin would (urljoin costs microseconds a call, and a page's
# every link and image is joined).  Path characters: ASCII ones, and any non-ASCII character
# or inner space (a file named in Chinese; urljoin keeps them as they are).
_PLAIN_REF = re.compile(
    r"(?:\./(?![./])|/(?![./]))?(?!\.)"
    r"(?:[A-Za-z0-9_\-~%+=,@!$&*\u00a0-\U0010ffff]|(?<!^) (?!$)|\.(?![./])|/(?![./]))+"
)
# A plain http(s) URL whose path has no empty or dot segment (urljoin would drop them).
_PLAIN_BASE = re.compile(r"https?://[^/?#@]+(?:/(?:(?!\.\.?(?:/|$))[^/?#]+/)*[^/?#]*)?")


def join_url(base: str, ref: str) -> str:
    """urljoin(base, ref), quicker where the reference is a plain path (no scheme, query,
    fragment or dot segment but a leading "./") and the base a plain http(s) URL."""
    if _PLAIN_REF.fullmatch(ref) and _PLAIN_BASE.fullmatch(base):
        path_at = base.find("/", base.find("//") + 2)
        if ref[0] == "/":
            return (base if path_at < 0 else base[:path_at]) + ref
        if ref.startswith("./"):
            ref = ref[2:]
        if path_at < 0:
            return base + "/" + ref
        return base[: base.rfind("/") + 1] + ref
    return urljoin(base, ref)


# _WS less the characters str.isspace() (and re's \s, and str.split()) already take
_ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\ufeff")


def _spaced_zero_width(s: str) -> str:
    for z in _ZERO_WIDTH:
        if z in s:
            s = s.replace(z, " ")
    return s


def fold_ws(s: str | None) -> str:
    """Collapse all whitespace (incl. U+3000, U+00A0, zero-width) to single spaces; strip."""
    if not s:
        return ""
    # what _WS.sub(" ", s).strip() gives, by str.split() (C speed, where sre tries every
    # position of a long text)
    return " ".join(_spaced_zero_width(s).split())


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
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
# Classes that hide an element: the common utility names, and AngularJS's ng-hide (a DOM saved
# from a browser keeps the hidden branches of its templates, with this class on them).
HIDDEN_CLASSES = frozenset(
    ("hide", "hidden", "display-none", "d-none", "sr-only", "none", "ng-hide")
)


def is_hidden(el) -> bool:
    style = el.get("style")
    if style and HIDDEN_STYLE.search(style):
        return True
    if el.get("hidden") is not None:
        return True
    cls = el.get("class")
    if cls and HIDDEN_CLASSES.intersection(cls.lower().split()):
        return True
    return False


def tag_of(el) -> str | None:
    """Lower-case tag name, or None for comments/processing instructions."""
    t = el.tag
    return t.lower() if isinstance(t, str) else None


# Where an inline element starts or ends, in text linearized with marks=True: a browser may
# show `<span>来源:区政府</span><span>日期:2021-09-24</span>` apart while the text runs
# together, so a label reader needs to know where an element's text began.
EDGE = "\ue001"
SKIPPED = "\ue002"  # where the skipped element was, in text linearized with marks=True


def linearize(
    root,
    skip: Callable[[object], bool] | None = None,
    *,
    cells: str = " ",
    out: list[str] | None = None,
    skip_el=None,
    marks: bool = False,
    until_skipped: bool = False,
) -> list[str]:
    """Text chunks of `root` in document order; '\\n' marks block boundaries, and with
    `marks` EDGE marks where an inline element begins and ends, SKIPPED where `skip_el` was
    (and with `until_skipped` the text ends there).

    Raw whitespace inside text is folded to one space, so only the markup makes lines.
    Skips scripts, styles, hidden elements, the element `skip_el` and whatever `skip(el)`
    says (the root itself is never skipped, its tail never read)."""
    if out is None:
        out = []
    tag = root.tag
    if tag.__class__ is str:  # comment / PI: only its tail is text
        try:
            edge = EDGE if marks else ""
            _walk(root, tag.lower(), skip, skip_el, cells, out, edge, until_skipped and bool(edge))
        except _Skipped:  # until_skipped: the text before skip_el is all that was asked for
            if not until_skipped:
                raise
    return out


class _Skipped(Exception):
    pass


_WRITE = re.compile(
    r"document\.write(?:ln)?\(\s*(?:(['\"])((?:\\.|(?!\1).){0,300})\1|([A-Za-z_$][\w$]{0,40}))\s*\)"
)
_ASSIGN = (
    r"(?:\bvar\s+|\blet\s+|\bconst\s+|[;{{\s]|^){name}\s*=\s*(['\"])((?:\\.|(?!\1).){{0,300}})\1"
)
_MARKUP = re.compile(r"<[^<>]{0,300}>")


def strip_tags(s: str) -> str:
    """Text without the markup a value carries (a meta's `<font …>`, a written `<span>`)."""
    return _MARKUP.sub("", s) if "<" in s else s


def script_output(code: str) -> str:
    """What an inline script shows through document.write, where that is plain:

    * straight-line code (no branch, loop or function): each write in turn, a variable
      written being its last string assignment before the write;
    * the template of a field: one variable, assigned a string once, written unless it is
      empty — `var laiyuan = '吉林省公共资源交易平台'; if (laiyuan == "") document.write("默认");
      else document.write(laiyuan)` shows the variable, or the fallback when it is empty.

    Anything else is not evaluated: ''."""
    if len(code) > 4000:
        return ""
    writes = list(islice(_WRITE.finditer(code), 8))
    if not writes:
        return ""
    if not _FLOW.search(code):
        out = []
        for m in writes:
            if m.group(2) is not None:
                out.append(m.group(2))
                continue
            before = [v for at, v in _assigned(code, m.group(3)) if at < m.start()]
            if not before:
                return ""  # a value the script does not spell out
            out.append(before[-1])
        return _shown("".join(out))
    names = {m.group(3) for m in writes if m.group(3)}
    if len(names) != 1:
        return ""
    name = names.pop()
    values = _assigned(code, name)
    if len(values) != 1:
        return ""
    value = _shown(values[0][1])
    if value:
        return value
    literals = [m.group(2) for m in writes if m.group(2) is not None]
    if len(literals) == 1 and re.search(_EMPTY_TEST.format(name=re.escape(name)), code):
        return _shown(literals[0])
    return ""


# branches, loops, functions: code whose writes depend on more than its text
_FLOW = re.compile(r"\b(?:if|else|switch|for|while|do|function|return)\b|\?|=>")
_EMPTY_TEST = r"\b{name}\s*[!=]==?\s*(['\"])\1|(['\"])\2\s*[!=]==?\s*{name}\b|!\s*{name}\b"


def _assigned(code: str, name: str) -> list[tuple[int, str]]:
    """(position, string) of each assignment of a string literal to `name`."""
    rx = re.compile(_ASSIGN.format(name=re.escape(name)))
    return [(m.start(), m.group(2)) for m in islice(rx.finditer(code), 16)]


def _shown(html_text: str) -> str:
    return strip_tags(html_text).strip()


def _ws_fold(text: str) -> str:
    """_WS.sub(" ", text): each run of whitespace one space, the ends kept as one."""
    if len(text) < 48:  # short: one sre call costs less than the splitting
        return " " if text.isspace() else _WS.sub(" ", text)
    text = _spaced_zero_width(text)
    words = text.split()
    if not words:
        return " "
    folded = " ".join(words)
    if text[0].isspace():
        folded = " " + folded
    if text[-1].isspace():
        folded += " "
    return folded


# Per attribute-name tuple: (has style, has hidden, has class), or None when no attribute
# can hide the element; and the verdicts on style and class values (dict lookups: the walk
# asks for every element).
_HIDE_PLANS: dict[tuple, tuple | None] = {}


def memoized(fn):
    """(the cache, a dict-backed cached `fn` of one string): the walk asks it once per
    element, where a plain dict lookup costs a fraction of an lru_cache call.  The cache is
    dropped when it grows past 20,000 values."""
    cache: dict = {}

    def get(value: str):
        v = cache.get(value)
        if v is None:
            if len(cache) > 20000:
                cache.clear()
            v = cache[value] = fn(value)
        return v

    return cache, get


_, _style_hides = memoized(lambda v: bool(HIDDEN_STYLE.search(v)))
_, _class_hides = memoized(lambda v: bool(HIDDEN_CLASSES.intersection(v.lower().split())))


def _hide_plan(keys: tuple) -> tuple | None:
    plan = ("style" in keys, "hidden" in keys, "class" in keys)
    if len(_HIDE_PLANS) > 5000:
        _HIDE_PLANS.clear()
    _HIDE_PLANS[keys] = plan = plan if any(plan) else None
    return plan


def _hidden_in_walk(el, plan: tuple) -> bool:
    """is_hidden(el) for an element whose attribute names gave `plan` (verdicts cached by
    value)."""
    has_style, has_hidden, has_class = plan
    if has_style:
        style = el.get("style")
        if style and _style_hides(style):
            return True
    if has_hidden:
        return True
    if has_class:
        cls = el.get("class")
        if cls:
            return _class_hides(cls)
    return False


def _walk(root, tag, skip, skip_el, cells, out, edge="", stop=False):
    """Chunks of a kept element `root` (lower-case tag `tag`), by a loop over a stack of the
    open elements: a page may nest elements deeper than Python's recursion limit."""
    append = out.append
    ws_fold = _ws_fold
    plans = _HIDE_PLANS
    blocks, cell_tags, skip_tags = BLOCK_TAGS, CELL_TAGS, SKIP_TAGS
    if tag in blocks:
        append("\n")
    elif tag in cell_tags:
        append(cells)
    text = root.text
    if text:
        # an edge mark where text follows an element's start or end: nothing else needs one
        append(edge + _ws_fold(text))
    stack = [(iter(root), tag, None)]  # (children left, tag, the element they belong to)
    while stack:
        children, tag, el = stack[-1]
        for child in children:
            ctag = child.tag
            if ctag.__class__ is str and child is not skip_el:
                # (the HTML parser gives lower-case tag names)
                if ctag not in skip_tags:
                    keys = child.keys()
                    if keys:
                        keys = tuple(keys)
                        try:
                            plan = plans[keys]
                        except KeyError:
                            plan = _hide_plan(keys)
                        hidden = plan is not None and _hidden_in_walk(child, plan)
                    else:
                        hidden = False
                    if not (hidden or (skip is not None and skip(child))):
                        if ctag in blocks:
                            append("\n")
                        elif ctag in cell_tags:
                            append(cells)
                        text = child.text
                        if text:
                            append(edge + ws_fold(text))
                        stack.append((iter(child), ctag, child))
                        break  # into it; its tail comes once it is done
                elif edge and ctag == "script" and "document.write" in (child.text or ""):
                    append(edge + script_output(child.text))  # what a reader sees it write
            elif edge and child is skip_el:
                append("\n" + SKIPPED + "\n")
                if stop:
                    raise _Skipped
            tail = child.tail
            if tail:
                append(edge + ws_fold(tail))
        else:  # the element is done: its end, then its tail (never the root's)
            stack.pop()
            if tag in blocks:
                append("\n")
            elif tag in cell_tags:
                append(cells)
            if el is not None:
                tail = el.tail
                if tail:
                    append(edge + ws_fold(tail))


# Candidates (containers, titles, breadcrumbs, attachment blocks) nested deeper than this in
# one another are left out: a page may nest them two thousand deep, and reading each one whole
# would read the page once per level.  No page nests eight headings or article bodies.
MAX_NEST = 8


def too_deep(els, cap: int = MAX_NEST) -> set:
    """The elements of `els` that lie inside `cap` or more of the others.  Each path up the
    tree is walked once (the count of members at or above a node is kept)."""
    members = set(els)
    above: dict = {}  # node -> members among it and its ancestors
    out = set()
    for el in members:
        path = []
        node = el
        while node is not None and node not in above:
            path.append(node)
            node = node.getparent()
        count = above[node] if node is not None else 0
        for n in reversed(path):
            count += n in members
            above[n] = count
        if above[el] - 1 >= cap:
            out.add(el)
    return out


class Budget:
    """What a search may still read, in characters and elements, before it gives up."""

    __slots__ = ("left",)

    def __init__(self, size: int):
        self.left = size

    def spend(self, n: int) -> bool:
        """Take `n`; whether anything is left."""
        self.left -= n
        return self.left > 0


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


_tostring = etree.tostring


def text_of(el) -> str:
    """All text under `el` (the XPath string value; no tail).

    Serializing with method="text" reads the same libxml2 node content as XPath string(),
    without setting up an XPath evaluation."""
    return _tostring(el, method="text", encoding="unicode", with_tail=False)


# Elements hidden by inline style / attribute / class, found in one XPath pass.
_LOWER = "translate(@style,'ABCDEFGHIJKLMNOPQRSTUVWXYZ ','abcdefghijklmnopqrstuvwxyz')"
HIDDEN_XPATH = etree.XPath(
    f".//*[@style and (contains({_LOWER},'display:none') or contains({_LOWER},'visibility:hidden'))"
    " or @hidden or (@class and ("
    + " or ".join(
        f"contains(concat(' ', normalize-space(@class), ' '), ' {c} ')"
        for c in sorted(HIDDEN_CLASSES)
    )
    + "))]"
)


def remove_keep_tail(el) -> None:
    """Remove `el` and its subtree, keeping the text that follows it."""
    remove_all_keep_tail((el,))


def remove_all_keep_tail(els) -> None:
    """remove_keep_tail of each of `els` in turn; the text each removal hands on (to the kept
    element before it, or to its parent) is written once at the end, not appended tail by tail
    (which copies the growing text each time: quadratic in a run of removed siblings)."""
    handed: dict = {}  # (element, "tail" | "text") -> the pieces handed to it, in order
    for el in els:
        parent = el.getparent()
        if parent is None:
            continue
        tail = el.tail or ""
        got = handed.pop((el, "tail"), None)
        if got:
            tail += "".join(got)
        if tail:
            prev = el.getprevious()
            handed.setdefault((prev, "tail") if prev is not None else (parent, "text"), []).append(
                tail
            )
        parent.remove(el)
    for (node, where), pieces in handed.items():
        if where == "tail":
            node.tail = (node.tail or "") + "".join(pieces)
        else:
            node.text = (node.text or "") + "".join(pieces)


LINE = "\ue000"  # a private-use mark for a block boundary while serializing text
_LINE_WS = re.compile(r"[\s\u3000\u00a0\u200b\u200c\u200d\ufeff\u2002\u2003\u2009]+")


def _split_lines(text: str) -> list[str]:
    text = _spaced_zero_width(text)
    # str.split() splits on exactly the other characters of _LINE_WS (str.isspace), so this
    # is _LINE_WS.sub(" ", line).strip(" ") for each line, at C speed.
    out = []
    for line in text.split(LINE):
        if line:
            line = " ".join(line.split())
            if line:
                out.append(line)
    return out


def serialized_lines(root) -> list[str]:
    """Lines of `root`'s text after block elements were marked with LINE (see mark_blocks)."""
    return _split_lines(etree.tostring(root, method="text", encoding="unicode", with_tail=False))


def mark_blocks(root) -> None:
    """Put LINE marks around block elements and spaces around cells (mutates the tree)."""
    for el in root.iter(*BLOCK_TAGS):
        text = el.text
        el.text = LINE + text if text else LINE
        tail = el.tail
        el.tail = LINE + tail if tail else LINE
    for el in root.iter("td", "th"):
        tail = el.tail
        el.tail = " " + tail if tail else " "


# mark_blocks + serialized_lines in one XSLT pass (C speed, no tree changes): LINE around
# block elements, a space after cells, all text nodes in document order (no comments).
_BLOCK_LINES = etree.XSLT(
    etree.XML(
        '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
        '<xsl:output method="text" encoding="UTF-8"/>'
        f'<xsl:template match="{"|".join(sorted(BLOCK_TAGS))}">'
        f"{LINE}<xsl:apply-templates/>{LINE}</xsl:template>"
        '<xsl:template match="td|th"><xsl:apply-templates/><xsl:text> </xsl:text></xsl:template>'
        "</xsl:stylesheet>"
    )
)


def block_lines(root) -> list[str]:
    """What mark_blocks(root) then serialized_lines(root) give, without changing the tree."""
    tail = root.tail
    if tail is not None:
        root.tail = None  # the transform would read it
    try:
        text = str(_BLOCK_LINES(root))
    except etree.XSLTApplyError:  # e.g. nesting deeper than libxslt allows
        text = None
    finally:
        if tail is not None:
            root.tail = tail
    if text is None:
        mark_blocks(root)
        return serialized_lines(root)
    return _split_lines(text)
