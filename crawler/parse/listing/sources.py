"""Where a list the HTML does not hold comes from: the request a script makes for it, or a
single-page app that builds the whole page in the browser.  `tzgg probe` names them in its
hints; the crawler reads neither.  Pure: lxml and regular expressions over script text.

A page's scripts make many requests (weather, visit counters, login checks, share widgets);
the list's is told apart by general signals, each worth points:

* words of its URL: ``search``, ``list``, ``query``, ``page``, ``article``, ``notice``…
  (and the words of a weather, statistics, login or share service count against it);
* paging where it is called: ``pageNo``/``pageSize``/``pageIndex``… in the call or its data;
* a callback that loops over the answer and appends rows into the page, all the more into a
  container that is empty in the HTML;
* the function it is called from: ``getList``, ``loadPage``, ``search``…
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .generic import all_scripts, norm_text, resolve

MAX_SCRIPT = 512 * 1024
MAX_SCRIPTS = 2 * 1024 * 1024
MAX_CALLS = 200  # requests examined on one page
REGION = 4000  # characters of a call (its options and callback) examined
LIST_SCORE = 3  # points from which a request is the list's

_CALL = re.compile(
    r"""\$\.(?:ajax|get|post|getJSON)\s*\(|\bjQuery\.(?:ajax|get|post|getJSON)\s*\("""
    r"""|\bfetch\s*\(|\baxios(?:\.(?:get|post|request))?\s*\(|\.open\s*\(\s*['"](?:GET|POST)['"]""",
    re.I,
)
_FIRST_STR = re.compile(r"""\s*(['"`])([^'"`\s<>]{2,300})\1""")
# a URL named as such: url: '…', listApi = '…', dataUrl: '…' (not imgUrl, backUrl…). The key
# is a whole word, told apart by a look-ahead: `\w*api\w*` would backtrack through a long word
# from every "api" in it.
_URL_KEY = re.compile(
    r"""\b(?=url\b|\w*?api|\w*(?:data|list|search|query|page)url\b)\w+['"]?\s*[:=]\s*"""
    r"""(['"`])([^'"`\s<>]{2,300})\1""",
    re.I,
)
_OPEN_URL = re.compile(
    r"""\.open\s*\(\s*['"](GET|POST)['"]\s*,\s*(['"`])([^'"`\s<>]{2,300})\2""", re.I
)
_METHOD = re.compile(
    r"""\b(?:type|method)['"]?\s*:\s*['"](GET|POST)['"]|\$\.(post|get)\b|axios\.(post|get)\b""",
    re.I,
)
_LINE_COMMENT = re.compile(r"^[ \t]*//[^\n]*", re.M)


def _without_block_comments(text: str) -> str:
    """The text less its /* … */ comments, by a linear scan (an unclosed one runs to the
    end; a lazy regex would rescan from every one of them)."""
    if "/*" not in text:
        return text
    out, pos = [], 0
    while True:
        start = text.find("/*", pos)
        if start < 0:
            out.append(text[pos:])
            return "".join(out)
        out.append(text[pos:start])
        end = text.find("*/", start + 2)
        if end < 0:
            return "".join(out)
        pos = end + 2


_NOT_DATA = re.compile(
    r"\.(?:js|css|png|jpe?g|gif|svg|ico|woff2?|ttf|eot|mp[34]|pdf)(?:[?#]|$)", re.I
)
_WORDS = re.compile(r"[A-Za-z][a-z]*|[A-Z]+(?![a-z])")
_PAGING = re.compile(
    r"\b(?:pageNo|pageSize|pageIndex|pageNum|pageNumber|currentPage|curPage|page_size|page_no"
    r"|perPage|startrecord|endrecord)\b",
    re.I,
)
_LOOP = re.compile(r"\bfor\s*\(|\.each\s*\(|\.forEach\s*\(|\.map\s*\(|\{\{#each|v-for")
_DRAW = re.compile(
    r"""\.(?:append|prepend|html)\s*\(|\.innerHTML\s*\+?=|appendChild\s*\(|insertAdjacentHTML\s*\("""
)
# where rows go: $('#x').append(…) first, then any element the callback names
_INTO = re.compile(
    r"""(?:\$|jQuery)\(\s*['"]#([\w-]{1,60})['"]\s*\)\s*\.(?:append|prepend)\s*\("""
    r"""|getElementById\(\s*['"]([\w-]{1,60})['"]\s*\)\s*\.(?:innerHTML|appendChild|insertAdjacent)"""
)
_TARGET = re.compile(
    r"""(?:\$|jQuery|querySelector)\(\s*['"]#([\w-]{1,60})['"]|getElementById\(\s*['"]([\w-]{1,60})['"]"""
)
_FUNC_NAME = re.compile(
    r"""\bfunction\s+([\w$]+)\s*\(|(?<![\w$])([\w$]+)\s*[:=]\s*(?:async\s+)?function\s*\("""
)

LIST_WORDS = frozenset(
    "search list lists query page paging pager article articles notice notices news info infos "
    "doc docs document documents channel column columns content contents items records record "
    "getlist tzgg gsgg xxgk".split()
)
NOISE_WORDS = frozenset(
    "weather heweather tianqi forecast analytics tongji stat stats statistics counter visit "
    "visits pv uv hm cnzz baidu google beacon track tracking collect click login logout "
    "checklogin user users auth oauth sso token captcha verify ticket jssdk wx weixin share "
    "like favorite comment comments online heartbeat ip geo map ad ads advert".split()
)
_FUNC_WORDS = re.compile(r"list|page|search|query|load|render|data|more", re.I)


@dataclass
class ScriptRequest:
    url: str
    method: str | None
    score: int
    signals: list[str] = field(default_factory=list)

    @property
    def is_list(self) -> bool:
        return self.score >= LIST_SCORE


def _words(url: str) -> set[str]:
    return {w.lower() for w in _WORDS.findall(url.split("#", 1)[0])}


def is_service(url: str) -> bool:
    """Whether the URL's words name a weather, statistics, login or share service."""
    return bool(_words(url) & NOISE_WORDS)


def _scripts(doc):
    left = MAX_SCRIPTS
    for s in all_scripts(doc):
        if s.get("src") or not s.text:
            continue
        if left <= 0:
            return
        text = s.text[: min(MAX_SCRIPT, left)]
        left -= len(text)
        # comments hold old calls (a weather URL commented out beside the live one)
        yield _LINE_COMMENT.sub("", _without_block_comments(text))


class _Ids:
    """The first element of each id under `doc` (doc.get_element_by_id without a search of
    the whole page for each of the ids a page's scripts name)."""

    def __init__(self, doc):
        self.doc = doc
        self.first: dict[str, object] | None = None

    def get(self, ident: str):
        if self.first is None:
            self.first = {}
            for el in self.doc.xpath("descendant-or-self::*[@id]"):
                self.first.setdefault(el.get("id"), el)
        return self.first.get(ident)


def _empty(ids: _Ids, ident: str) -> bool:
    el = ids.get(ident)
    if el is None:
        return False
    return len(el) == 0 and not norm_text(el.text)


def _function_before(text: str, pos: int) -> str | None:
    name = None
    for m in _FUNC_NAME.finditer(text, max(0, pos - 6000), pos):
        name = m.group(1) or m.group(2)
    return name


def _score(
    ids: _Ids, url: str, region: str, script_paging: list, func: str | None, method: str | None
):
    words = _words(url)
    points, signals = 0, []
    if words & NOISE_WORDS:
        return -10, ["a weather, statistics, login or share service"]
    listy = sorted(words & LIST_WORDS)
    if listy:
        points += min(len(listy), 2) + 1
        signals.append("its address says " + "/".join(listy[:3]))
    paging = _PAGING.findall(region) or _PAGING.findall(url)
    if paging:
        points += 2
    else:
        paging = script_paging
        points += bool(paging)
    if paging:
        names = sorted({p for p in paging}, key=str.lower)[:3]
        signals.append("paged by " + "/".join(names))
    if _LOOP.search(region) and _DRAW.search(region):
        points += 2
        targets = dict.fromkeys(m.group(1) or m.group(2) for m in _INTO.finditer(region))
        targets.update(dict.fromkeys(m.group(1) or m.group(2) for m in _TARGET.finditer(region)))
        target = next((i for i in targets if _empty(ids, i)), None)
        if target:
            points += 1
            signals.append(f"its rows are drawn into the empty #{target}")
        else:
            signals.append("its rows are drawn into the page")
    if func and _FUNC_WORDS.search(func):
        points += 1
        signals.append(f"called from {func}()")
    if method:
        signals.insert(0, method)
    return points, signals


def script_requests(doc, url: str) -> list[ScriptRequest]:
    """The requests the page's inline scripts make for data, the list's first (`is_list`),
    noise (weather, counters, logins) left out."""
    found: dict[str, ScriptRequest] = {}
    ids = _Ids(doc)
    calls = 0
    for text in _scripts(doc):
        script_paging = _PAGING.findall(text)[:3]  # paging stated anywhere in the script
        spots = []  # (position, url literal, region)
        for m in _CALL.finditer(text):
            if calls >= MAX_CALLS:
                break
            calls += 1
            nxt = _CALL.search(text, m.end())
            region = text[m.start() : min(m.start() + REGION, nxt.start() if nxt else len(text))]
            lit = _OPEN_URL.match(region)
            raw = lit.group(3) if lit else None
            if raw is None:
                first = _FIRST_STR.match(text, m.end())
                keyed = _URL_KEY.search(region)
                raw = first.group(2) if first else keyed.group(2) if keyed else None
            if raw:
                spots.append((m.start(), raw, region))
        for m in _URL_KEY.finditer(text):  # a URL kept in a variable the call reads
            if len(spots) >= MAX_CALLS:
                break
            start = max(0, m.start() - 200)
            spots.append((m.start(), m.group(2), text[start : start + REGION]))
        for pos, raw, region in spots:
            if _NOT_DATA.search(raw) or raw.startswith(("#", "javascript:")):
                continue
            src = resolve(url, raw)
            if src is None or src == url or src in found:
                continue
            opened = _OPEN_URL.match(region)
            mm = _METHOD.search(region)
            method = opened.group(1).upper() if opened else None
            if method is None and mm:
                method = next((g.upper() for g in mm.groups() if g), None)
            func = _function_before(text, pos)
            points, signals = _score(ids, src, region, script_paging, func, method)
            if points < 0:
                continue
            found[src] = ScriptRequest(src, method, points, signals)
    return sorted(found.values(), key=lambda r: -r.score)


# -- single-page apps -----------------------------------------------------------------------------

_SLOTS = re.compile(r"\{\{[^{}]{1,80}\}\}")
# a bundle's file name: chunk-…/app.…/main.… then .js, in one run of name characters
_BUNDLE_HEAD = re.compile(r"(?:chunk|bundle|vendors?|app|main|runtime)[.-]", re.I)
_BUNDLE_TAIL = re.compile(r"\.js\b", re.I)
_NAME_RUN = re.compile(r"[\w.-]+")
_MOUNTS = ("app", "root", "__next", "__nuxt")
_UNSEEN = frozenset(("script", "style"))


def _is_bundle(src: str) -> bool:
    """Whether `src` names a bundle (`chunk|bundle|vendors?|app|main|runtime` and `[.-]`,
    then name characters up to `.js`): the earliest head of each run of name characters and a
    tail after it, where a pattern backtracking from every head would rescan a long run."""
    for run in _NAME_RUN.finditer(src):
        head = _BUNDLE_HEAD.search(src, run.start(), run.end())
        if head is not None and _BUNDLE_TAIL.search(src, head.end(), run.end()):
            return True
    return False


def visible_text(doc) -> str:
    """The text nodes under the page's <body> outside scripts and styles, joined by spaces:
    `//body//text()[not(ancestor::script) and not(ancestor::style)]`, by a walk of the tree
    (libxml2 sorts such a node-set in time quadratic in the text nodes that comments
    separate)."""
    out: list[str] = []
    done: set = set()
    for body in doc.xpath("//body"):
        if any(a in done for a in body.iterancestors()):
            continue  # its text is already out (a body inside a body)
        done.add(body)
        hidden = body.tag in _UNSEEN or any(a.tag in _UNSEEN for a in body.iterancestors())
        if body.text and not hidden:
            out.append(body.text)
        stack = [(iter(body), hidden, None)]
        while stack:
            children, hidden, node = stack[-1]
            child = next(children, None)
            if child is None:  # the node's subtree is done: then its tail
                stack.pop()
                if node is not None and node.tail and not stack[-1][1]:
                    out.append(node.tail)
            elif isinstance(child.tag, str):
                inner = hidden or child.tag in _UNSEEN
                if child.text and not inner:
                    out.append(child.text)
                stack.append((iter(child), inner, child))
            elif child.tail and not hidden:  # a comment or PI: only its tail is text
                out.append(child.tail)
    return " ".join(out)


def single_page_app(doc) -> str | None:
    """What makes the page a single-page app (its content built in the browser), or None."""
    visible = visible_text(doc)
    slots = len(_SLOTS.findall(visible))
    angular = vue = 0
    for n, el in enumerate(doc.iter()):
        if n > 20000:
            break
        if not isinstance(el.tag, str):
            continue
        for name in el.attrib:
            low = name.lower()
            if low in ("ng-app", "data-ng-app", "x-ng-app"):
                return "an AngularJS app (ng-app)"
            if low.startswith(("ng-", "data-ng-")):
                angular += 1
            elif low.startswith(("v-", ":", "@")):
                vue += 1
    if angular >= 3 and slots:
        return "an AngularJS template (ng-… attributes, {{…}} slots)"
    if vue and slots:
        return "a Vue app (v-… directives, {{…}} slots)"
    bundles = [s for s in all_scripts(doc) if _is_bundle(s.get("src") or "")]
    modules = [s for s in all_scripts(doc) if (s.get("type") or "").lower() == "module"]
    for ident in _MOUNTS:
        try:
            el = doc.get_element_by_id(ident)
        except KeyError:
            continue
        if (
            (bundles or modules)
            and len(norm_text(el.text_content())) <= 30
            and not el.findall(".//a")
        ):
            return f"a JavaScript app mounted on #{ident}"
        if slots >= 2:
            return f"a JavaScript app mounted on #{ident} ({{{{…}}}} slots)"
    if slots >= 3 and (bundles or modules):
        return "a page of {{…}} template slots filled in by JavaScript"
    return None
