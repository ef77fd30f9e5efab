"""Every parser is linear in its input: each runs on hostile pages of about 1 MB (unclosed tags
repeated, a script inside an unclosed comment, runs of `<a href=` with no end, nesting two
thousand deep, one long line of digits, dates or labels …) under a hard CPU limit of about ten
times what a linear reading of the page takes here, so a parser that rescans the page from every
tag is killed, not timed.  The pages of a parser family share one child process; the child
lowers its own RLIMIT_CPU before each page, so each page has its own limit.

The figures (time per MB from 100 KB to 10 MB, beside lxml's parse of the same bytes) come from
benchmarks/bench_adversarial.py."""

from __future__ import annotations

import math
import resource

import pytest

from tests.limits import run_limited

MB = 1 << 20
COLUMN = "http://www.mmq.gov.cn/col/col1234/index.html"
PROXY = (
    "http://www.mmq.gov.cn/module/web/jpage/dataproxy.jsp"
    "?startrecord=1&endrecord=60&perpage=20&col=1&webid=12&columnid=1234"
)
TRS = "http://www.mmx.gov.cn/zwgk/tzgg/index_2.html"
JYH = "http://www.wanzai.gov.cn/zwgk/tzgg/list.shtml"
DETAIL = "http://www.mmq.gov.cn/art/2021/9/24/art_1234_5678.html"
BIG = "标" * 150  # text per level of a nesting
RECORD = "<record><![CDATA[<li><a href=/art/2021/9/24/art_1234_5678.html>通知</a></li>]]></record>"


def fill(unit: str, head: str = "", size: int = MB) -> str:
    """`head`, then `unit` repeated up to about `size` characters."""
    return head + unit * max(1, (size - len(head)) // len(unit))


def nest(unit: str, depth: int = 2100, bulk: str = "") -> str:
    """`unit` opened `depth` times, never closed (deeper than libxml2 goes), then `bulk`."""
    return unit * depth + bulk


def js_page(data: str) -> str:
    """A page whose script holds `data` as its list (tests/test_listing.py's shape)."""
    return f"<html><body><ul id=list></ul><script>var pageData = {data};</script></body></html>"


JS_ITEM = "{title: '关于某项工作的通知公告', url: '/a/%d.html', pubDate: '2024-01-01'}"


def drawn_into_ids() -> str:
    """Half a page of elements, then a script whose 200 requests draw into 200 ids each."""
    calls = (
        f"$.ajax('/api/list?pageNo={i}', function(d){{ for(;;){{}} "
        + "".join(f"$('#a{i}_{j}').append(d);" for j in range(200))
        + "})"
        for i in range(200)
    )
    return fill("<p id=p>x</p>", size=MB // 2) + "<script>" + "".join(calls) + "</script>"


# family -> [(what, page, seconds a linear reading takes here, rounded up)]; the parsers of
# each family are in `read` below.
PAGES: dict[str, list[tuple]] = {
    "hanweb": [
        ("unclosed <record>", lambda: fill("<record>x", "<datastore><recordset>"), 0.1),
        ("unclosed CDATA records", lambda: fill("<record><![CDATA[x", "<datastore>"), 0.1),
        ("CDATA ends without </record>", lambda: fill("<record><![CDATA[x]]>", "<datastore>"), 0.1),
        ("unclosed <datastore>", lambda: fill("<datastore>x"), 0.1),
        ("unclosed <nextgroup>", lambda: fill("<nextgroup>x", f"<datastore>{RECORD}"), 0.2),
        ("<totalrecord with no '>'", lambda: fill("<totalrecord ", f"<datastore>{RECORD}"), 0.2),
        ("<totalrecord> then spaces", lambda: fill(" ", f"<datastore>{RECORD}<totalrecord>"), 0.3),
        (
            "<input with no '>'",
            lambda: fill("<input name='col' ", f"<datastore>{RECORD}</datastore>"),
            0.2,
        ),
        (
            "href= with no quote end",
            lambda: fill("href='x", f"<datastore>{RECORD}<nextgroup>"),
            0.2,
        ),
        ("a total of 5,000 digits", lambda: f"<datastore>{RECORD}<totalrecord>" + "9" * 5000, 0.1),
        (
            "perPage of 5,000 digits",
            lambda: f"<datastore>{RECORD}</datastore>perPage:" + "9" * 5000,
            0.1,
        ),
    ],
    "trs": [
        ("createPageHTML( repeated", lambda: fill("createPageHTML("), 0.2),
        ("calls naming variables", lambda: fill("createPageHTML(a,b)"), 0.4),
        (
            "calls naming new variables",
            lambda: "".join(f"createPageHTML(v{i},w)" for i in range(45000)),
            0.4,
        ),
        ("countPage= repeated", lambda: fill("countPage="), 0.2),
        ("a count of 5,000 digits", lambda: "var countPage = " + "9" * 5000 + ";", 0.1),
    ],
    "generic": [
        ("<a href= never closed", lambda: fill("<a href=x"), 0.1),
        ('<a href=" never closed', lambda: fill('<a href="x'), 0.1),
        (
            "dated links nested",
            lambda: nest("<div><a href=/a/t20210101_1.html>通知通知</a>2021-01-01"),
            0.2,
        ),
        (
            "a flat list",
            lambda: fill(
                "<li><a href=/a/t20210101_1.html>关于通知</a><span>2021-01-01</span></li>",
                "<ul>",
                MB // 2,
            ),
            0.4,
        ),
        ("lists nested", lambda: nest("<ul><li><a href=/a.html>x</a>2021-01-01"), 0.1),
        ("tables nested", lambda: nest("<table><tr><td><a href=/a.html>x</a>2021-01-01"), 0.1),
        ("a line of digits", lambda: fill("1"), 0.1),
        ("a line of dates", lambda: fill("2021-09-24 "), 0.2),
        ("a line of labels", lambda: fill("发布日期："), 0.2),
        ("'<' repeated", lambda: fill("<"), 0.3),
    ],
    "jyh": [
        ("ucap marks", lambda: fill("<ucap"), 0.1),
        ("a page count of 5 digits", lambda: fill("共99999页 ucap "), 0.1),
        (
            "32-hex links",
            lambda: fill("<li><a href=/a/b/202101/0123456789abcdef0123456789abcdef.shtml>x</a>"),
            0.3,
        ),
    ],
    "scripted": [
        (
            "an unterminated list",
            lambda: fill("{title:'a',url:'/x.html',pubDate:'2021-01-01'},", "<script>var a = ["),
            0.1,
        ),
        ("'{title:' repeated", lambda: fill("{title:", "<script>var x = "), 0.1),
        ("page address pieces", lambda: fill("'index_' + n + ", "<script>"), 0.1),
        ("page slots", lambda: fill("'{page}", "<script>"), 0.1),
        ("scripts never closed", lambda: fill("<script>x"), 0.1),
        # tests/test_listing.py::test_hostile_scripts_cost_little_and_crash_nothing's pages
        (
            "a list of 200,000 items",
            lambda: js_page("{list: [" + ",".join(JS_ITEM % i for i in range(200_000)) + "]}"),
            0.2,
        ),
        (
            "2,000,000 items",
            lambda: js_page("[" + "{title:'通知公告标题',url:'/a'}," * 2_000_000 + "]"),
            0.3,
        ),
        ("brackets 100,000 deep", lambda: js_page("[" * 100_000 + "]" * 100_000), 0.1),
        (
            "60 scripts of 300 items",
            lambda: "".join(
                f"<script>var v{n} = {{list: ["
                + ",".join(JS_ITEM % (n * 1000 + i) for i in range(300))
                + "]};</script>"
                for n in range(60)
            ),
            0.3,
        ),
        ("'{' 300,000 times", lambda: "<script>" + "{" * 300_000 + "</script>", 0.1),
    ],
    "commented": [
        (
            "an unclosed comment of list rows",
            lambda: fill("<li><a href=/a/t20210101_1.html>a</a> 2021-01-01</li>", "<!--<ul>"),
            0.1,
        ),
        ("'<!--' repeated", lambda: fill("<!--x"), 0.1),
        ("<script> inside an unclosed comment", lambda: fill("<script>", "<!--"), 0.1),
    ],
    "pagination": [
        ("numbered links", lambda: fill("<a href=?page=1>1</a>", size=MB // 2), 0.4),
        ("next links", lambda: fill("<a href=index_2.html>下一页</a>"), 0.3),
        ("page counts", lambda: fill("共5页"), 0.1),
        ("current pages", lambda: fill("当前第3页"), 0.1),
        ("pageCount= repeated", lambda: fill("pageCount="), 0.1),
    ],
    "sources": [
        ("$.ajax( repeated", lambda: fill("$.ajax(", "<script>"), 0.1),
        ("one long word of 'api'", lambda: fill("api", "<script>url: '/x'; "), 0.1),
        ("ids a script draws into", drawn_into_ids, 0.4),
        ("text between comments", lambda: fill("<!--c-->x"), 0.1),
        ("a bundle name of 'app.'", lambda: '<script src="' + fill("app.") + '"></script>', 0.1),
        ("'/*' repeated", lambda: fill("/*", "<script>"), 0.1),
    ],
    "window": [
        (
            "a bare answer of unclosed records",
            lambda: fill("<record>x", "<datastore><recordset>"),
            0.1,
        ),
        ("a bare answer of CDATA records", lambda: fill(RECORD, "<datastore><recordset>"), 0.4),
        ("<totalrecord with no '>'", lambda: fill("<totalrecord ", f"<datastore>{RECORD}"), 0.1),
    ],
    "detail": [
        (
            "elements nested deeper than libxml2 goes",
            lambda: nest("<div>", 3000, fill("正文", size=MB // 2)),
            0.2,
        ),
        ("unclosed <record> tags", lambda: fill("<record>x"), 0.1),
        ("labels nested", lambda: nest(f"<div>当前位置：{BIG}"), 0.7),
        (
            "labels nested over many elements",
            lambda: nest("<div>当前位置：", 2000, "<b></b>" * 40000),
            0.5,
        ),
        (
            "labels nested over hidden links",
            lambda: nest("<div>当前位置：", 2000, "<template>" + "<a></a>" * 40000),
            0.6,
        ),
        (
            "breadcrumbs nested",
            lambda: nest(f"<div class=crumb>当前位置：<a href=/a>首页</a>{BIG}"),
            0.3,
        ),
        ("titles nested", lambda: nest(f"<h1>{BIG}"), 0.2),
        ("title classes nested", lambda: nest("<div class=title>", 2000, "<b></b>" * 70000), 0.2),
        ("bodies nested", lambda: nest(f"<div id=zoom>{BIG}"), 0.1),
        ("blocks nested", lambda: nest(f"<div>文字{BIG}"), 0.1),
        ("paragraphs nested", lambda: nest(f"<p><span>{BIG * 2}"), 0.1),
        ("document links nested", lambda: nest(f"<div><a href=/x.pdf>x</a>{BIG}"), 0.4),
        (
            "document links in one paragraph",
            lambda: fill("<a href=/x.pdf>x1</a>yy", "<div id=zoom><p>"),
            0.5,
        ),
        ("document links never closed", lambda: fill("<a href=/a.pdf>"), 0.7),
        (
            "hidden elements, each with a tail",
            lambda: fill("<span style='display:none'>x</span>yyyy", "<div id=zoom>", 2 * MB),
            0.2,
        ),
        ("text between comments", lambda: fill("<!--c-->x", size=2 * MB), 0.4),
        ("Hanweb title marks", lambda: fill("<!--<$[标题]>begin--><br>"), 0.2),
        (
            "one comment of unclosed marks",
            lambda: "<p>x</p><!--" + fill("<$[x") + "--><p>y</p>",
            0.1,
        ),
        ("labels in elements", lambda: fill("<span>来源：</span>", size=MB // 2), 0.3),
        ("a line of labels", lambda: fill("来源：", size=MB // 4), 0.4),
        ("a line of digits", lambda: fill("1"), 0.1),
        (
            "document.write( repeated",
            lambda: fill("document.write(", "<script>") + "</script>",
            0.1,
        ),
        ("<meta never closed", lambda: fill("<meta "), 0.1),
        (
            "a notice's window, repeated",
            lambda: fill("公示时间：2021年1月1日至2021年1月8日。如有异议，请于5个工作日内反映，"),
            0.2,
        ),
        ("a contact, repeated", lambda: fill("联系人：张三，电话：0591-1234567，"), 0.1),
    ],
    "overrides": [
        ("a label's value over element edges", lambda: fill("<span> </span>", "<p>来源：x"), 0.2),
    ],
    "classify": [
        ("<script> inside an unclosed comment", lambda: fill("<script>", "<!--", 190_000), 0.1),
        ("<script> never closed", lambda: fill("<script>x", size=190_000), 0.1),
        ("<style> never closed", lambda: fill("<style>x", size=190_000), 0.1),
        ("'<' repeated", lambda: fill("<", size=190_000), 0.1),
        ("<script> inside an unclosed comment, 1 MB", lambda: fill("<script>", "<!--"), 0.1),
    ],
    "objection_window": [
        ("a line of digits", lambda: fill("1"), 0.1),
        ("a line of dates", lambda: fill("2021年1月1日至"), 0.1),
        ("durations", lambda: fill("公示期5个工作日"), 0.1),
        (
            "one sentence of 公示 with no end",
            lambda: fill("公示", size=MB // 2) + fill("x", size=MB // 2),
            0.1,
        ),
        ("objections", lambda: fill("如有异议"), 0.1),
        ("dates in Chinese numerals", lambda: fill("二〇二一年五月六日"), 0.1),
        ("clauses", lambda: fill("公示，"), 0.1),
        # each took 10-40 s when it was quadratic (tests/test_window.py's)
        ("durations in clauses", lambda: "公示" + "，5日" * 70_000, 0.1),
        ("durations in one clause", lambda: "公示" + "5日 " * 70_000, 0.1),
        (
            "a list of start dates",
            lambda: "以下人员予以公示：" + "张三，1990年5月6日起，" * 15_000,
            0.1,
        ),
        ("many sentences", lambda: "公示期满。" * 40_000, 0.1),
        ("a long comma run", lambda: "公示5日" + "，" * 200_000, 0.1),
        ("dates without a separator", lambda: "公示" + "5月6日" * 50_000, 0.1),
    ],
    "contact": [
        ("a phone, then spaces", lambda: "电话：0591-1234567" + fill(" ") + "x", 0.1),
        ("a phone, then spaces and marks", lambda: "电话：0591-1234567" + fill(" 、 ") + "x", 0.1),
        ("contacts", lambda: fill("联系人：张三，电话："), 0.1),
        ("e-mail labels", lambda: fill("邮箱：a@"), 0.1),
        ("spaced labels", lambda: fill("电 话 "), 0.2),
        ("a line of digits", lambda: fill("1"), 0.1),
        # each took 9-50 s when it was quadratic (tests/test_contact.py's)
        ("adjacent persons", lambda: "联系人：张 " * 40_000, 0.1),
        ("adjacent phones", lambda: "电话：0730-1234567，" * 12_000, 0.1),
        ("a long digit run", lambda: "电话：" + "1" * 200_000, 0.1),
        ("a long local part", lambda: "E-mail：" + "a" * 200_000, 0.1),
        ("a long domain label", lambda: "邮箱：a@" + "b-" * 100_000, 0.1),
        ("phones a line each", lambda: "电话：0730-1234567\n" * 12_000, 0.1),
        ("footer lines", lambda: "主办：某某 电话：0730-1234567\n" * 8_000, 0.1),
        ("bare labels", lambda: " 电话" * 70_000, 0.1),
    ],
}


def read(family: str, page: str) -> None:
    """Run the parsers of `family` on `page`."""
    if family in ("hanweb", "trs", "generic", "jyh", "scripted", "commented", "pagination"):
        from crawler.parse.listing import is_listing, parse_listing

        for url in {"hanweb": (COLUMN, PROXY), "trs": (TRS,), "jyh": (JYH,)}.get(family, (COLUMN,)):
            parse_listing(page, url)
        if family == "generic":
            is_listing(page, COLUMN)
        if family == "hanweb":
            from crawler.parse.listing.hanweb import answer_counts, first_group_url

            answer_counts(page)
            first_group_url(page, COLUMN)
        if family == "trs":
            from crawler.parse.listing.trs import article_parts

            article_parts(page, "http://www.mmx.gov.cn/a/t20210101_1.html")
        if family == "pagination":
            from crawler.parse.listing.pagination import (
                current_page_from_text,
                page_count_from_text,
            )

            page_count_from_text(page)
            current_page_from_text(page)
    elif family == "sources":
        from crawler.parse.listing.generic import parse_html
        from crawler.parse.listing.sources import script_requests, single_page_app

        doc = parse_html(page)
        script_requests(doc, COLUMN)
        single_page_app(doc)
    elif family == "window":
        from crawler.parse.listing import parse_listing
        from crawler.parse.listing.window import following, window_step

        following(PROXY, page)
        window_step(PROXY, page, parse_listing(page, PROXY))
    elif family == "detail":
        from crawler.parse.notice import classify_page, extract_page

        notice, text, _ = extract_page(page.encode("utf-8"), DETAIL)
        classify_page(notice.title, notice.body, text)
    elif family == "overrides":
        from crawler.parse.notice import extract_page
        from crawler.parse.notice.overrides import Overrides

        site = Overrides.from_dict({"source": {"labels": ["来源"]}})
        extract_page(page.encode("utf-8"), DETAIL, overrides=site)
    elif family == "classify":
        from crawler.parse.notice import classify_page

        classify_page("", "", page)
        classify_page(None, "页面", page)
    elif family == "objection_window":
        from crawler.parse.notice.window import find_objection_window

        find_objection_window(page, "2021-06-01")
    elif family == "contact":
        from crawler.parse.notice.contact import find_contact

        find_contact(page)


def allowance(seconds: float) -> int:
    """Whole seconds of CPU a page may take: ten times a linear reading, at least one."""
    return max(1, math.ceil(10 * seconds))


def read_all(family: str) -> None:
    """(In the child) each page of the family in turn, each under its own CPU limit: the soft
    RLIMIT_CPU is set to the CPU used so far plus the page's allowance (and a second for the
    limit's granularity); over it, the kernel kills the child with SIGXCPU."""
    for what, make, seconds in PAGES[family]:
        page = make()
        used = resource.getrusage(resource.RUSAGE_SELF)
        _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        soft = math.ceil(used.ru_utime + used.ru_stime) + allowance(seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (min(soft, hard), hard))
        read(family, page)
        print(what, flush=True)


@pytest.mark.parametrize("family", list(PAGES))
def test_parser_is_linear_on_hostile_pages(family):
    pages = PAGES[family]
    out = run_limited(
        f"from tests.test_linear import read_all\nread_all({family!r})",
        cpu_s=sum(allowance(s) + 1 for *_, s in pages) + 5,
        mem_mb=1536,
    )
    assert out.splitlines() == [what for what, *_ in pages]
