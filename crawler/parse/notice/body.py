"""Find the article container, and turn it into plain text and sanitized HTML."""

from __future__ import annotations

import re

from lxml import etree

from .attachments import is_doc_url
from .density import density_container
from .text import (
    HIDDEN_CLASSES,
    HIDDEN_STYLE,
    MAX_NEST,
    SKIP_TAGS,
    block_lines,
    is_hidden,
    join_url,
    memoized,
    remove_all_keep_tail,
    tag_of,
    text_of,
    too_deep,
)

# Furniture inside a container, removed by class/id.
_FURNITURE = re.compile(
    r"share|bdshare|print|dayin|fontsize|font-size|zoom-btn|article-icon|qrcode|erweima|"
    r"reldoc|related|relation|xglj|xgwj|jiucuo|correct|pagination|shanxi-gov-page|detail_video",
    re.I,
)
_FURNITURE_LINE = re.compile(
    r"^(?:【?\s*字号\s*[:：]?.{0,12}[大中小].{0,8}|.{0,20}(?:浏览次数|阅读量|浏览量|访问量|点击数|点击量|阅读次数)"
    r"\s*[:：]?\s*\d*\s*次?.{0,20}|【?\s*(?:打印本页|打印|关闭窗口|关闭|返回顶部|收藏)\s*】?(?:\s*【?\s*"
    r"(?:打印本页|打印|关闭窗口|关闭|返回顶部|收藏)\s*】?)*|分享到\s*[:：]?.{0,30}|扫一扫在手机上查看当前页面)$"
)
# Words one of which every _FURNITURE_LINE holds: a line without any is none (the pattern
# itself tries its alternatives at each of many offsets).
_FURNITURE_WORD = re.compile(
    "字号|浏览次数|阅读量|浏览量|访问量|点击数|点击量|阅读次数|打印|关闭|返回顶部|收藏|分享到|扫一扫"
)
_ATTACH_HEAD = re.compile(r"^附\s*件\s*(?:下载|列表)?\s*[0-9０-９一二三四五六七八九十]*\s*[:：]?")
_NUMBERING = re.compile(r"[\s\d０-９一二三四五六七八九十、.．:：()（）\[\]【】附件下载-]+")
DOC_NUMBER_LINE = re.compile(
    r"^[\u4e00-\u9fffA-Za-z]{1,20}\s*[〔\[［(（【]\s*(?:19|20)\d{2}\s*[〕\]］)）】]\s*第?\s*\d{1,5}\s*号$"
)
_BAD_TAGS = frozenset(
    (
        "script",
        "style",
        "iframe",
        "object",
        "embed",
        "noscript",
        "template",
        "form",
        "link",
        "meta",
        "base",
        "frame",
        "frameset",
        "applet",
        "input",
        "button",
        "select",
        "textarea",
    )
)
_URL_ATTRS = ("href", "src", "oldsrc", "action", "background", "poster", "data")


def _marker_container(sc):
    """Hanweb: the parent of <meta name=ContentStart>/<!--<$[信息内容]>begin-->, trimmed to the markers."""
    s, e = sc.content_start, sc.content_end
    if s is None:
        starts = sc.markers.get("信息内容begin")
        if not starts:
            return None
        s = starts[0]
        ends = sc.markers.get("信息内容end")
        e = ends[0] if ends else None
    parent = s.getparent()
    if parent is None:
        return None
    if e is not None and e.getparent() is not parent:
        e = None
    # Trim what sits outside the markers (usually nothing).
    for sib in list(s.itersiblings(preceding=True)):
        parent.remove(sib)
    parent.text = None
    if e is not None:
        for sib in list(e.itersiblings()):
            parent.remove(sib)
        e.tail = None
    return parent


_SURE_RANK = 6  # container ranks specific enough to trust when empty (not a bare #content)


def _nested(containers: list, i: int, rank: int) -> set:
    """The containers of this rank (they start at `i`) inside MAX_NEST others of it: one
    holding it has at least its text and comes first, so it never wins over those."""
    same = [el for r, _o, el in containers[i:] if r == rank]
    return too_deep(same) if len(same) > MAX_NEST else set()


def find_container(tree, sc):
    """(container element, how it was found)."""
    c = _marker_container(sc)
    if c is not None:
        return c, "hanweb"
    best = empty = None
    deep: set = set()
    for i, (rank, _order, el) in enumerate(sc.containers):
        if best is not None and rank != best[0]:
            break
        if i == 0 or rank != sc.containers[i - 1][0]:
            deep = _nested(sc.containers, i, rank)
        if is_hidden(el) or el in deep:
            continue
        n = len(text_of(el).strip())
        if n and (best is None or n > best[1]):
            best = (rank, n, el)
        elif not n and empty is None and rank <= _SURE_RANK:
            empty = el
    if best is not None:
        return best[2], "known"
    if empty is not None:
        # The article's own slot (TRS_Editor, zoom …) is there and empty: the notice has no
        # text (a picture, or a template that lost it).  Whatever else the page says (its
        # footer, a sidebar) is not its body.
        return empty, "known_empty"
    c = density_container(sc.body if sc.body is not None else tree)
    if c is not None:
        return c, "density"
    return (sc.body if sc.body is not None else tree), "page"


_FURNITURE_RE = re.compile(
    r"share|bdshare|print|dayin|fontsize|font-size|zoom-btn|article-icon|qrcode|erweima|reldoc|"
    r"related|relation|xglj|xgwj|jiucuo|pagination|shanxi-gov-page|detail_video",
    re.I,
)
_TEXT_ONLY_DROP = SKIP_TAGS - _BAD_TAGS  # dropped from the text, harmless in the HTML
_HTML, _TEXT = 1, 2  # what an element is dropped from


def _class_verdict(cls: str) -> int:
    if HIDDEN_CLASSES.intersection(cls.lower().split()):
        return _HTML
    if _FURNITURE_RE.search(cls):
        return _TEXT
    return 0


def _style_action(style: str) -> int:
    """0 keep, 1 drop the element, 2 delete the style attribute."""
    if HIDDEN_STYLE.search(style):
        return 1
    return 2 if "expression(" in style.lower() else 0


_CLASS_VERDICTS, _class_verdict_of = memoized(_class_verdict)
_STYLE_ACTIONS, _style_action_of = memoized(_style_action)
_ID_VERDICTS, _id_is_furniture = memoized(lambda ident: _TEXT if _FURNITURE_RE.search(ident) else 0)

# Per attribute-name tuple: which attributes the sanitizer must read (most: style/class);
# None where it reads none (align, width, face …).
_PLAN_CACHE: dict[tuple, tuple | None] = {}


def _attr_plan(keys: tuple) -> tuple | None:
    """(has style, has hidden, has class, has id, names for _fix_names) for attribute names,
    or None when none of them needs a look."""
    fix = tuple(n for n in keys if n.lower().startswith("on") or n.lower() in _URL_ATTRS)
    plan = ("style" in keys, "hidden" in keys, "class" in keys, "id" in keys, fix)
    return plan if any(plan) else None


def _fix_names(el, names: tuple, base_url: str) -> None:
    """Drop event handlers and script URLs, make links absolute: only for `names`, the
    attributes that may need it."""
    for name in names:
        if name.lower().startswith("on"):
            del el.attrib[name]
            continue
        val = el.get(name).strip()
        low = val[:12].lower().replace(" ", "")
        if low.startswith(("javascript:", "vbscript:", "data:text")):
            del el.attrib[name]
        elif val and not low.startswith(("#", "mailto:", "tel:")) and "://" not in val[:10]:
            try:
                el.set(name, join_url(base_url, val))
            except ValueError:
                del el.attrib[name]


# Comments, processing instructions and entities: never in the HTML (lxml's tag filters).
_NOT_ELEMENTS = (etree.Comment, etree.ProcessingInstruction, etree.Entity)


def _sanitize(container, base_url: str) -> tuple[list, list]:
    """(elements to drop from the HTML, elements to drop from the text only) among the
    container's descendants; strips handlers, script URLs and hiding-only styles, makes
    links absolute on the way.

    What the tag decides is found by lxml's C-level tag filters; the loop reads attributes
    only, and only those the element's attribute names call for.  (An element dropped whole
    may still get its attributes fixed: harmless, it is gone.)"""
    drop_html = list(container.iterdescendants(*_NOT_ELEMENTS, *_BAD_TAGS))
    drop_text = list(container.iterdescendants(*_TEXT_ONLY_DROP))
    plans = _PLAN_CACHE
    styles, style_action = _STYLE_ACTIONS, _style_action_of
    classes, class_verdict = _CLASS_VERDICTS, _class_verdict_of
    ids, id_verdict = _ID_VERDICTS, _id_is_furniture
    for el in container.iterdescendants():
        keys = el.keys()  # [] for comments and the like
        if not keys:
            continue
        keys = tuple(keys)
        try:
            plan = plans[keys]
        except KeyError:
            plan = _attr_plan(keys)
            if len(plans) > 5000:
                plans.clear()
            plans[keys] = plan
        if plan is None:
            continue
        has_style, has_hidden, has_class, has_id, fix = plan
        if has_style:
            style = el.get("style")
            if style:
                act = styles.get(style)
                if act is None:
                    act = style_action(style)
                if act:
                    if act == 1:
                        drop_html.append(el)
                        continue
                    del el.attrib["style"]
        if has_hidden:
            drop_html.append(el)
            continue
        if has_class:
            cls = el.get("class")
            if cls:
                verdict = classes.get(cls)
                if verdict is None:
                    verdict = class_verdict(cls)
                if verdict:
                    if verdict == _HTML:
                        drop_html.append(el)
                        continue
                    drop_text.append(el)
        if has_id:
            ident = el.get("id")
            if ident:
                verdict = ids.get(ident)
                if verdict is None:
                    verdict = id_verdict(ident)
                if verdict:
                    drop_text.append(el)
        if fix:
            _fix_names(el, fix, base_url)
    return drop_html, drop_text


def process_container(container, base_url: str) -> tuple[str, list[str]]:
    """(sanitized HTML, plain-text lines) of the container, in one pass over it.

    HTML: no scripts/styles/frames/forms/comments/hidden blocks, no on* handlers, no
    javascript: URLs, links absolute. Text: additionally without furniture (share/print
    bars, related lists), attachment entries, view counters and 字号 lines.
    Mutates the container."""
    if not isinstance(container.tag, str):
        return "", []
    keys = container.keys()
    if keys:
        plan = _attr_plan(tuple(keys))
        if plan is not None and plan[4]:
            _fix_names(container, plan[4], base_url)
    drop_html, drop_text = _sanitize(container, base_url)
    remove_all_keep_tail(drop_html)  # removing an already-detached descendant is harmless
    html = etree.tostring(container, method="html", encoding="unicode", with_tail=False).strip()
    drop_text += _attachment_blocks(container)
    remove_all_keep_tail(drop_text)
    lines = []
    for line in block_lines(container):
        if len(line) <= 60 and _FURNITURE_WORD.search(line) and _FURNITURE_LINE.match(line):
            continue
        if len(line) <= 120 and _ATTACH_HEAD.match(line):
            rest = _ATTACH_HEAD.sub("", line, count=1)
            if len(rest) <= 80:
                continue
        lines.append(line)
    return html, lines


_BLOCKISH = ("p", "li", "div", "tr", "td", "dd")


def _attachment_blocks(container) -> list:
    """Paragraphs that are attachment entries: a document link and little else."""
    found = []  # (document link, its block)
    for a in container.iter("a"):
        href = a.get("href") or ""
        if not (is_doc_url(href) or is_doc_url(text_of(a).strip())):
            continue
        block = a.getparent()
        while block is not None and block is not container and block.tag not in _BLOCKISH:
            block = block.getparent()
        found.append((a, block))
    blocks = {b for _a, b in found if b is not None and b is not container}
    # a block inside MAX_NEST others is none: an entry holds a link and little else
    entries: dict = dict.fromkeys(too_deep(blocks), False) if len(blocks) > MAX_NEST else {}
    marked = []
    taken = set()  # what `marked` holds
    link_texts: dict = {}
    for a, block in found:
        if block is None or block in taken:
            continue
        if block is not container:
            entry = entries.get(block)
            if entry is None:
                entry = entries[block] = _is_entry(block, link_texts)
            if entry:
                marked.append(block)
                taken.add(block)
                continue
        if _own_line(a):
            marked.append(a)
            taken.add(a)
    return marked


# Characters of a block's text the exact reading of an entry may go through (its text times its
# links): past this, a block of thousands of links is read by the characters its links use.
_REPLACE_BUDGET = 2_000_000


def _is_entry(block, link_texts: dict) -> bool:
    """Whether the block's text, less the text of each of its links (every occurrence, link by
    link), holds at most 6 characters other than numbering."""
    rest = text_of(block)
    texts = []
    for x in block.iter("a"):
        t = link_texts.get(x)
        if t is None:
            t = link_texts[x] = text_of(x)
        if t:
            texts.append(t)
    # what no link's text holds stays whatever is replaced: more than 6 such characters
    # settle it at once
    unused = rest.translate(dict.fromkeys(map(ord, set("".join(texts))), None))
    if len(_NUMBERING.sub("", unused)) > 6:
        return False
    if len(texts) * len(rest) > _REPLACE_BUDGET:
        return True
    for t in texts:
        rest = rest.replace(t, "")
    return len(_NUMBERING.sub("", rest)) <= 6


_LINE_BREAKS = ("br", *_BLOCKISH, "table")


def _own_line(a) -> bool:
    """A link on a line of its own inside a longer block: it (with the inline elements that
    hold nothing else, `<span><a>…</a></span>`) comes after a <br> or a block element (or at
    the block's start), and nothing but white space or a <br> follows it."""
    node = a
    parent = node.getparent()
    while (
        parent is not None
        and tag_of(parent) not in _LINE_BREAKS
        and node.getprevious() is None  # the only child (len() counts all children)
        and node.getnext() is None
        and not (parent.text or "").strip()
        and not (node.tail or "").strip()
    ):
        node, parent = parent, parent.getparent()
    if parent is None or (node.tail or "").strip():
        return False
    nxt = node.getnext()
    if nxt is not None and tag_of(nxt) not in _LINE_BREAKS:
        return False
    prev = node.getprevious()
    if prev is None:
        return not (parent.text or "").strip()
    return tag_of(prev) in _LINE_BREAKS and not (prev.tail or "").strip()


def split_doc_number_line(lines: list[str]) -> tuple[str | None, list[str]]:
    """A 文号 line heading the container: (文号, remaining lines)."""
    if lines:
        first = lines[0].replace(" ", "")
        if DOC_NUMBER_LINE.match(first):
            return first, lines[1:]
    return None, lines
