"""Has a page the structure of an article: a notice's title shown on the page and a body
container holding text?  A notice's own words (已撤销, 验证码, 页面不存在 …) never make such a
page an error or a block page; an error, block or login page has no notice title to show.

Used by classify.py only when a phrase or a password field puts a page in doubt (a second
parse of a page that is usually small)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from .body import find_container
from .fields import extract_breadcrumb, extract_title
from .scan import scan
from .text import clean_title, fold_ws, is_hidden, text_of

_PARSER = etree.HTMLParser(
    encoding="utf-8", remove_comments=False, collect_ids=False, huge_tree=True
)
# What a notice's title names; a heading with one of these is a notice's, not a column's.
_NOTICE_WORD = re.compile(
    r"关于|通知|公告|公示|通告|决定|说明|办法|方案|报告|意见|批复|名单|结果|公报|启事|声明|须知|指南"
)
# Titles of error pages that name no error (系统提示, 提示信息, 服务器错误 …).
_GENERIC = re.compile(
    r"(?:系统|服务器|错误|信息|操作|出错)?(?:提示|消息|错误|出错了?|警告|异常)(?:信息|页面)?"
    r"|(?:http)?(?:状态|status)?[45]\d\d"  # (squashed and lower-cased)
)
# A login page's title: 用户登录, 统一身份认证平台 … (a notice about logging in names a notice).
_LOGIN = re.compile(r"登录|登陆|身份认证|注册|login|log in|sign in", re.I)
# A site's or a platform's name standing as the title.
_SITE_NAME = re.compile(r"(?:人民政府|政府网|门户网站|网站|平台|系统)$")
_SEPARATORS = re.compile(r"\s*(?:_{1,2}|\||｜|--|－|\s-\s|-|—{1,2}|–)\s*")
_WORD_CHARS = re.compile(r"[\w\u4e00-\u9fff]")
_ERROR_SLACK = 4  # characters beside an error phrase in a title that is that error ('抱歉')


@dataclass
class Shape:
    article: bool  # a notice's title shown on the page and a body container holding text
    login: bool  # a login wall: a password field in the article's place, or a login page


NO_SHAPE = Shape(False, False)


def page_shape(html_text: str, phrases: tuple[str, ...]) -> Shape:
    """The structure of a page; `phrases`: the error and block phrases (squashed, lower-cased,
    longest first), whose title is no notice's ('页面不存在_某县人民政府', '404 Not Found')."""
    data = html_text.encode("utf-8", "surrogatepass")
    if not data.strip():
        return NO_SHAPE
    try:
        root = etree.fromstring(data, _PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return NO_SHAPE
    if root is None:
        return NO_SHAPE
    sc = scan(root, data)
    crumbs = extract_breadcrumb(sc)
    title, title_el = extract_title(sc, (), crumbs)
    container, how = find_container(root, sc)
    names = {fold_ws(sc.metas.get(k, "")) for k in ("sitename", "columnname")} | set(crumbs)
    names.discard("")
    heading = None
    if how != "page" and text_of(container).strip():
        heading = _heading(sc, root, title, title_el, container, names, phrases)
    fields = [el for el in root.iter("input") if _is_password(el)]
    if not fields:
        return Shape(heading is not None, False)
    if heading is not None:
        # a login box in the header or a sidebar is the site's furniture; one in the
        # article's block stands in the notice's place
        block = container if heading is True else _common(heading, container)
        return Shape(True, any(_within(el, block) for el in fields))
    # no notice on the page: a login page if its title or a heading says so (用户登录,
    # 统一身份认证平台); a password field alone may be a header's box over a list or an error
    heads = (text_of(el) for el in sc.title_candidates if not is_hidden(el))
    return Shape(False, any(_is_login_title(t) for t in (title or "", *heads)))


def is_notice_title(title: str, names: set[str], phrases: tuple[str, ...], strict: bool) -> bool:
    """Whether a title can be a notice's: no error message, no generic 提示, no login
    page's, no site's or column's name; `strict` (a heading found by its look alone): it
    names a notice (关于…的通知)."""
    t = clean_title(title)
    if len(t) < 2 or t in names or _is_error_title(t, phrases):
        return False
    if _NOTICE_WORD.search(t):
        return True
    return not strict and not _LOGIN.search(t) and not _SITE_NAME.search(t)


def _is_login_title(title: str) -> bool:
    return len(title) <= 30 and bool(_LOGIN.search(title)) and not _NOTICE_WORD.search(title)


def _heading(sc, root, title, title_el, container, names, phrases):
    """The element showing the notice's title (True: the CMS's ArticleTitle says it), or
    None when the page shows no notice title."""
    if title and title_el is not None and is_notice_title(title, names, phrases, strict=False):
        return title_el
    art = sc.metas.get("articletitle", "")
    if art and is_notice_title(art, names, phrases, strict=False):
        return True
    # a heading the extractor did not match to the <title>, above or beside the body (not
    # in it): one whose look says title (h1-h3, class="title" …), or an element showing a
    # piece of the <title> (<div class="nr-bt">); either naming a notice
    for el in sc.title_candidates:
        if not _within(el, container) and _shows_notice_title(el, names, phrases):
            return el
    pieces = {
        p
        for p in map(clean_title, _SEPARATORS.split(sc.doc_title or ""))
        if is_notice_title(p, names, phrases, strict=True)
    }
    if pieces:
        body = sc.body if sc.body is not None else root
        for el in body.iter():
            if el is container:
                continue
            text = el.text
            if text and clean_title(text) in pieces and el.tag != "a" and not is_hidden(el):
                if not _within(el, container):
                    return el
    return None


def _shows_notice_title(el, names, phrases) -> bool:
    """A heading by its look, showing a notice's title (not a link to another's)."""
    if is_hidden(el) or el.tag == "a" or el.find(".//a") is not None:
        return False
    text = text_of(el)
    return len(text) <= 300 and is_notice_title(text, names, phrases, strict=True)


def _is_error_title(title: str, phrases: tuple[str, ...]) -> bool:
    """A title that is an error message: a piece of it is an error phrase and little else
    ('抱歉，您访问的页面不存在！', '页面不存在_某县人民政府', '404 - 找不到文件或目录'), or a
    generic 提示 or status code."""
    for piece in _SEPARATORS.split(title):
        squashed = _squash(piece).lower()
        if not squashed:
            continue
        if _GENERIC.fullmatch("".join(_WORD_CHARS.findall(squashed))):
            return True
        if says_only(squashed, phrases, _ERROR_SLACK):
            return True
    return False


def says_only(text: str, phrases: tuple[str, ...], slack: int) -> bool:
    """Whether `text` (squashed, lower-cased) holds an error or block phrase and at most
    `slack` letters beside the phrases it holds."""
    rest, found = text, False
    for p in phrases:
        if p and p in rest:
            rest, found = rest.replace(p, ""), True
    return found and len(_WORD_CHARS.findall(rest)) <= slack


def _squash(s: str) -> str:
    return "".join(s.split())


def _is_password(el) -> bool:
    return (el.get("type") or "").strip().lower() == "password"


def _within(el, block) -> bool:
    return el is block or any(a is block for a in el.iterancestors())


def _common(a, b):
    """The lowest common ancestor of two elements (the article block: title and body)."""
    ancestors = {id(x): x for x in a.iterancestors()}
    ancestors[id(a)] = a
    for x in (b, *b.iterancestors()):
        if id(x) in ancestors:
            return x
    return b
