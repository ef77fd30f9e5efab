"""Listing parsers: items, pagination and family detection on pages in each CMS family's style."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from crawler.parse.listing import is_listing, parse_listing
from crawler.parse.listing.window import MEMORY, following, next_window, window_of, window_step
from crawler.schema.records import ListingEntry
from tests.conftest import crawl, events, require_realpages

FIX = Path(__file__).parent / "fixtures" / "listing"


def load(name: str) -> str:
    raw = (FIX / name).read_bytes()
    return raw.decode("gb18030") if "gbk" in name else raw.decode("utf-8")


def E(url: str, title: str | None, date: str | None) -> ListingEntry:
    return ListingEntry(url=url, title=title, date=date)


WEBNAME = "%E6%9F%90%E6%9F%90%E5%8C%BA%E4%BA%BA%E6%B0%91%E6%94%BF%E5%BA%9C"  # 某某区人民政府
PROXY = "http://www.mmq.gov.cn/module/web/jpage/dataproxy.jsp"
FORM = (
    "col=1&appid=1&webid=12&path=/&columnid=1234&sourceContentType=1&unitid=5678"
    f"&webname={WEBNAME}&permissiontype=0"
)


# --- TRS ---------------------------------------------------------------------------------------


def test_trs_gbk_county_first_page():
    url = "http://www.mmx.gov.cn/zwgk/tzgg/"
    text = load("trs_county_index_gbk.html")
    page = parse_listing(text, url)
    d = "http://www.mmx.gov.cn/zwgk/tzgg/202109/"
    assert page.items == [
        E(d + "t20210924_3008.html", "某某县人民政府关于2021年国庆节放假安排的通知", "2021-09-24"),
        # truncated link text: the title attribute wins; [2021-09-23] brackets
        E(
            d + "t20210923_3007.html",
            "关于某某县城区道路改造工程征收土地补偿安置方案的公告",
            "2021-09-23",
        ),
        # a list crossing columns keeps the link
        E(
            "http://www.mmx.gov.cn/zdlyxxgk/shgysy/202109/t20210922_3006.html",
            "某某县2021年第二批农村危房改造对象公示",
            "2021-09-22",
        ),
        # the .pdf row and the javascript: row are skipped
        E(d + "t20210920_3005.html", "关于开展2021年秋冬季森林防火工作的通告", "2021-09-20"),
        E(
            d + "t20210917_3004.html",
            "某某县退役军人事务局关于开展信息采集工作的通知",
            "2021-09-17",
        ),
        E(
            d + "t20210915_3003.html",
            "某某县2021年事业单位公开招聘工作人员拟聘用人员公示",
            "2021-09-15",
        ),
    ]
    # The dated 热点信息 sidebar (6 items) is not the listing.
    assert not any("/zwdt/" in i.url for i in page.items)
    assert page.next_urls == [f"{url}index_{i}.html" for i in range(1, 5)]
    assert page.last_page is False
    assert page.page_count == 5
    assert page.family == "trs"
    assert is_listing(text, url)


def test_trs_max_pages_bounds_next_urls():
    url = "http://www.mmx.gov.cn/zwgk/tzgg/index.html"
    page = parse_listing(load("trs_county_index_gbk.html"), url, max_pages=3)
    assert page.next_urls == [
        "http://www.mmx.gov.cn/zwgk/tzgg/index_1.html",
        "http://www.mmx.gov.cn/zwgk/tzgg/index_2.html",
    ]
    assert page.page_count == 5 and page.last_page is False


def test_trs_last_page_with_bigger_dated_sidebar():
    url = "http://www.mmq.gov.cn/zwgk/gsgg/index_4.shtml"
    text = load("trs_last_page.html")
    page = parse_listing(text, url)
    d = "http://www.mmq.gov.cn/zwgk/gsgg/"
    assert page.items == [
        E(d + "202003/t20200302_881.shtml", "区自然资源局关于土地征收的预公告", "2020-03-02"),
        E(d + "202003/t20200301_880.shtml", "关于2020年春季造林绿化任务的公示", "2020-03-01"),
        E(
            d + "202002/t20200228_879.shtml",
            "区卫生健康局关于疫情防控的通告（第5号）",
            "2020-02-28",
        ),
    ]
    assert page.next_urls == []
    assert page.last_page is True
    assert page.page_count == 5
    assert page.family == "trs"
    assert is_listing(text, url)


def test_trs_middle_page_and_six_argument_variant():
    html = """<div class="list"><ul>
    <li><a href="./202101/t20210105_7.htm">甲通知</a><span>2021-01-05</span></li>
    <li><a href="./202101/t20210104_6.htm">乙通知</a><span>2021-01-04</span></li></ul>
    <script>createPageHTML('page_div', 4, 2, 'index', 'htm', 80);</script></div>"""
    page = parse_listing(html, "http://a.gov.cn/tzgg/index_2.htm")
    assert page.next_urls == ["http://a.gov.cn/tzgg/index_3.htm"]
    assert (page.last_page, page.page_count, page.family) == (False, 4, "trs")
    last = parse_listing(html.replace("4, 2,", "4, 3,"), "http://a.gov.cn/tzgg/index_3.htm")
    assert (last.next_urls, last.last_page) == ([], True)


def test_trs_single_page_column():
    html = """<ul class="list"><li><a href="./202109/t20210924_1.html">仅一条</a>
    <span>2021-09-24</span></li></ul><script>createPageHTML(1, 0, "index", "html");</script>"""
    page = parse_listing(html, "http://a.gov.cn/tzgg/")
    assert page.items == [E("http://a.gov.cn/tzgg/202109/t20210924_1.html", "仅一条", "2021-09-24")]
    assert (page.next_urls, page.last_page, page.page_count) == ([], True, 1)


# --- loopback fixture site shapes ----------------------------------------------------------------


def _trs_fixture_page(n_pages: int, current: int, start_id: int) -> str:
    lis = "".join(
        f'<li><a href="./202109/t202109{24 - i:02d}_{start_id - i}.html" title="T{start_id - i}">'
        f"T{start_id - i}</a><span>2021-09-{24 - i:02d}</span></li>"
        for i in range(3)
    )
    return (
        "<html><head><meta charset='utf-8'><title>通知公告</title></head><body>"
        "<div class='nav'><a href='/'>首页</a><a href='/zwgk/'>政务公开</a></div>"
        f'<ul class="list">{lis}</ul>'
        f'<script>createPageHTML({n_pages}, {current}, "index", "html");</script>'
        "</body></html>"
    )


def test_loopback_trs_shape():
    base = "http://127.0.0.1:8765/trs/tzgg/"
    first = parse_listing(_trs_fixture_page(3, 0, 1003), base + "index.html")
    assert first.items == [
        E(base + "202109/t20210924_1003.html", "T1003", "2021-09-24"),
        E(base + "202109/t20210923_1002.html", "T1002", "2021-09-23"),
        E(base + "202109/t20210922_1001.html", "T1001", "2021-09-22"),
    ]
    assert first.next_urls == [base + "index_1.html", base + "index_2.html"]
    assert (first.last_page, first.page_count, first.family) == (False, 3, "trs")
    last = parse_listing(_trs_fixture_page(3, 2, 903), base + "index_2.html")
    assert (last.next_urls, last.last_page, len(last.items)) == ([], True, 3)


def test_loopback_hanweb_shape():
    base = "http://127.0.0.1:8765"
    recs = "".join(
        f'<record><![CDATA[<li><a href="/art/2021/9/{24 - i}/art_1_{100 - i}.html" '
        f'title="H{100 - i}">H{100 - i}</a><span>2021-09-{24 - i:02d}</span></li>]]></record>'
        for i in range(4)
    )
    first_html = (
        "<html><body><div id='9'><script type=\"text/xml\"><datastore><nextgroup><![CDATA[]]>"
        f"</nextgroup><recordset>{recs}</recordset></datastore></script></div>"
        "<script>$('#9').jpage({dataStore: dataStore, proxyUrl: '/module/web/jpage/dataproxy.jsp',"
        " perPage: 2, totalRecord: 10, ajaxParam: {col: 1, appid: 1, webid: 1, path: '/',"
        " columnid: 1, unitid: 9, webname: 'demo', permissiontype: 0}});</script></body></html>"
    )
    page = parse_listing(first_html, base + "/col/col1/index.html")
    assert page.family == "hanweb"
    assert page.items[0] == E(base + "/art/2021/9/24/art_1_100.html", "H100", "2021-09-24")
    assert len(page.items) == 4
    tail = (
        "&perpage=2&col=1&appid=1&webid=1&path=/&columnid=1&unitid=9&webname=demo&permissiontype=0"
    )
    proxy = base + "/module/web/jpage/dataproxy.jsp"
    assert page.next_urls == [
        f"{proxy}?startrecord=5&endrecord=8{tail}",
        f"{proxy}?startrecord=9&endrecord=12{tail}",
    ]
    assert (page.last_page, page.page_count) == (False, 3)
    answer = f"<datastore><totalrecord>10</totalrecord><recordset>{recs[: 2 * len(recs) // 4]}</recordset></datastore>"
    last = parse_listing(answer, f"{proxy}?startrecord=9&endrecord=12{tail}")
    assert last.family == "hanweb" and last.last_page is True and last.next_urls == []


# --- Hanweb ------------------------------------------------------------------------------------


def test_hanweb_first_page_datastore():
    url = "http://www.mmq.gov.cn/col/col1234/index.html"
    text = load("hanweb_col_index.html")
    page = parse_listing(text, url)
    h = "http://www.mmq.gov.cn/art/2021/"
    assert page.items == [
        E(
            h + "9/24/art_1234_5688.html",
            "某某区关于2021年国庆节期间安全生产工作的通知",
            "2021-09-24",
        ),
        E(
            h + "9/23/art_1234_5687.html",
            "关于某某区2021年度城乡居民基本医疗保险集中参保缴费工作的通告",
            "2021-09-23",
        ),
        E(h + "9/22/art_1300_7001.html", "某某区2021年第三季度重点项目公示", "2021-09-22"),
        E(h + "9/18/art_1234_5686.html", "某某区征收土地预公告", "2021-09-18"),
        # 09-10 alone: the year comes from the /art/2021/9/10/ URL
        E(h + "9/10/art_1234_5685.html", "关于开展第四次全国经济普查的公告", "2021-09-10"),
        E(h + "9/1/art_1234_5684.html", "某某区2021年秋季学期义务教育招生公告", "2021-09-01"),
    ]
    assert page.next_urls == [
        f"{PROXY}?startrecord=7&endrecord=12&perpage=2&{FORM}",
        f"{PROXY}?startrecord=13&endrecord=18&perpage=2&{FORM}",
    ]
    assert (page.last_page, page.page_count, page.family) == (False, 3, "hanweb")
    assert is_listing(text, url)


def test_hanweb_dataproxy_middle_answer():
    url = f"{PROXY}?startrecord=7&endrecord=12&perpage=2&{FORM}"
    page = parse_listing(load("hanweb_dataproxy_middle.xml"), url)
    h = "http://www.mmq.gov.cn/art/2021/8/"
    assert page.items == [
        E(h + "30/art_1234_5683.html", "关于调整城区部分公交线路的通告", "2021-08-30"),
        E(
            h + "25/art_1234_5682.html",
            "某某区2021年公开招聘社区工作者拟录用人员名单公示",
            "2021-08-25",
        ),
        E(h + "20/art_1234_5681.html", "关于做好防汛工作的紧急通知", "2021-08-20"),
        E(h + "12/art_1234_5680.html", "某某区残疾人两项补贴发放公示", "2021-08-12"),
        E(h + "5/art_1234_5679.html", "某某区关于征集民生实事项目的公告", "2021-08-05"),
        E(h + "1/art_1234_5678.html", "某某区2021年度农村低保对象公示", "2021-08-01"),
    ]
    assert page.next_urls == [f"{PROXY}?startrecord=13&endrecord=18&perpage=2&{FORM}"]
    assert (page.last_page, page.page_count, page.family) == (False, 3, "hanweb")


def test_hanweb_dataproxy_last_answer_without_total():
    url = f"{PROXY}?startrecord=13&endrecord=18&perpage=2&{FORM}"
    page = parse_listing(load("hanweb_dataproxy_last.xml"), url)
    h = "http://www.mmq.gov.cn/art/2021/7/"
    assert page.items == [
        E(h + "28/art_1234_5677.html", "关于开展夏季消防安全检查的通知", "2021-07-28"),
        E(h + "20/art_1234_5676.html", "某某区2021年高温津贴发放公告", "2021-07-20"),
        E(h + "2/art_1234_5675.html", "某某区建党100周年系列活动安排", "2021-07-02"),
    ]
    assert (page.next_urls, page.last_page, page.family) == ([], True, "hanweb")


def test_hanweb_full_answer_without_total_leaves_the_next_window_to_the_walk():
    recs = "".join(
        f'<record><![CDATA[<li><a href="/art/2020/1/{i}/art_5_{i}.html">通知{i}</a>'
        f"<span>2020-01-{i:02d}</span></li>]]></record>"
        for i in range(1, 4)
    )
    url = "http://h.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=4&endrecord=6&perpage=1&columnid=5"
    text = f"<datastore><recordset>{recs}</recordset></datastore>"
    page = parse_listing(text, url)
    # the answer names no next window: the walk asks for the one after the records it got
    assert page.next_urls == [] and page.last_page is False and page.page_count is None
    assert following(url, text) == (
        "http://h.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=7&endrecord=9&perpage=1&columnid=5"
    )
    empty_url = url.replace("=4&endrecord=6", "=7&endrecord=9")
    empty = '<?xml version="1.0" encoding="UTF-8"?><datastore><recordset></recordset></datastore>'
    page = parse_listing(empty, empty_url)
    assert (page.items, page.next_urls, page.last_page, page.family) == ([], [], True, "hanweb")
    assert following(empty_url, empty) is None


# --- Jiangxi 集约化 --------------------------------------------------------------------------------


def test_jyh_xxgk_template_page():
    url = "http://www.mmx.gov.cn/wzxzf/xxgk.shtml?code=wzxzf_tzgg&temp=xxgk_list"
    text = load("jyh_xxgk_list.html")
    page = parse_listing(text, url)
    d = "http://www.mmx.gov.cn/wzxzf/"
    assert page.items == [
        E(
            d + "tzgg/202109/5b8e4c0a9d3f4e21b7c6a1d2e3f40516.shtml",
            "某某县关于做好2021年国庆期间疫情防控工作的通知",
            "2021-09-24",
        ),
        E(
            d + "tzgg/202109/0f1e2d3c4b5a69788796a5b4c3d2e1f0.shtml",
            "某某县2021年城乡居民医保参保缴费公告",
            "2021-09-18",
        ),
        E(
            d + "zdly/202109/a1b2c3d4e5f60718293a4b5c6d7e8f90.shtml",
            "某某县重点民生项目公示",
            "2021-09-10",
        ),
        E(
            d + "tzgg/202108/ffeeddccbbaa99887766554433221100.shtml",
            "关于公开选调机关工作人员的公告",
            "2021-08-30",
        ),
    ]
    assert page.next_urls == [
        d + "xxgk.shtml?code=wzxzf_tzgg&temp=xxgk_list&page=2",
        d + "xxgk.shtml?code=wzxzf_tzgg&temp=xxgk_list&page=3",
    ]
    assert (page.last_page, page.page_count, page.family) == (False, 3, "jyh")
    assert is_listing(text, url)


def test_jyh_list_shtml_with_only_a_page_count():
    html = """<html><head><script src="/ucap/js/page.js"></script></head><body>
    <div class="list"><ul>
    <li><a href="/jxs/tzgg/202109/00112233445566778899aabbccddeeff.shtml">通知甲</a><span>2021-09-24</span></li>
    <li><a href="/jxs/tzgg/202109/ffeeddccbbaa99887766554433221100.shtml">通知乙</a><span>2021-09-20</span></li>
    </ul></div><div id="page"></div><script>var pageCount = 4; showPage(pageCount, 1);</script>
    </body></html>"""
    page = parse_listing(html, "http://www.jxs.gov.cn/jxs/tzgg/list.shtml")
    assert page.family == "jyh"
    assert page.next_urls == [f"http://www.jxs.gov.cn/jxs/tzgg/list_{n}.shtml" for n in (2, 3, 4)]
    assert (page.last_page, page.page_count) == (False, 4)
    last = parse_listing(html, "http://www.jxs.gov.cn/jxs/tzgg/list_4.shtml")
    assert (last.next_urls, last.last_page) == ([], True)


# --- Fujian ------------------------------------------------------------------------------------


def test_fujian_static_groups_all_taken():
    url = "http://www.pingtan.gov.cn/jcms/gsgg/"
    text = load("fujian_pt_list.html")
    page = parse_listing(text, url)
    d = url + "202109/"
    assert page.items == [
        E(
            d + "t20210924_5612345.htm",
            "平潭综合实验区2021年第四批建设用地征收土地公告",
            "2021-09-24",
        ),
        E(
            d + "t20210923_5611234.htm",
            "关于实验区2021年度拟认定高新技术企业名单的公示",
            "2021-09-23",
        ),
        E(
            d + "t20210918_5601234.htm",
            "平潭综合实验区社会事业局关于幼儿园招生的公告",
            "2021-09-18",
        ),
        E(
            "http://www.pingtan.gov.cn/zwgk/zdxm/202109/t20210915_5600001.htm",
            "实验区重点项目环境影响评价公示",
            "2021-09-15",
        ),
        E(
            d + "t20210910_5590001.htm",
            "平潭综合实验区关于征集2022年为民办实事项目的公告",
            "2021-09-10",
        ),
    ]
    assert page.next_urls == [url + f"index_{i}.htm" for i in (1, 2, 3)]
    assert (page.last_page, page.page_count, page.family) == (False, 4, "fujian")
    assert is_listing(text, url)


# --- generic -----------------------------------------------------------------------------------


def test_generic_table_with_header_and_page_links():
    url = "http://www.mmq.gov.cn/news/list.asp?cat=3&page=2"
    text = load("generic_table_page2.html")
    page = parse_listing(text, url)
    n = "http://www.mmq.gov.cn/news/"
    assert page.items == [
        E(n + "show.asp?id=1011", "关于开展2021年度企业年报公示工作的通知", "2021-09-24"),
        E(n + "show.asp?id=1010", "2021年第三季度城镇公益性岗位补贴公示", "2021-09-20"),
        E(n + "show.asp?id=1009", "关于调整最低生活保障标准的通知", "2021-09-13"),
        E(
            "http://www.mmq.gov.cn/zfxxgk/show.asp?id=77",
            "某某区2021年政府信息公开工作年度报告",
            "2021-09-01",
        ),
    ]
    assert page.next_urls == [n + f"list.asp?cat=3&page={i}" for i in range(3, 8)]
    assert (page.last_page, page.page_count, page.family) == (False, 7, "generic")
    assert is_listing(text, url)
    last = parse_listing(
        text.replace('page=3">下一页', 'page=7">下一页'), n + "list.asp?cat=3&page=7"
    )
    assert (last.next_urls, last.last_page, last.page_count) == ([], True, 7)


def test_next_link_listing_with_month_day_dates():
    url = "http://www.yylq.gov.cn/32415/40825/40890/default.htm"
    text = load("next_link_list.html")
    page = parse_listing(text, url)
    c = "http://www.yylq.gov.cn/32415/40825/40890/"
    # 09-24 alone and no date in the URL: the year is unknown, so no date.
    assert page.items == [
        E(c + "content_1242591.html", "岳阳楼区关于2021年国庆节放假的通知", None),
        E(c + "content_1242377.html", "关于开展城区燃气安全隐患排查整治的通告", None),
        E(c + "content_1241800.html", "岳阳楼区2021年公开招聘教师拟聘人员公示", None),
        E(c + "content_1240012.html", "区人社局关于发放就业补贴的公示", None),
    ]
    assert page.next_urls == [c + "default_2.htm"]
    assert (page.last_page, page.page_count, page.family) == (False, None, "generic")
    assert is_listing(text, url)


def test_article_page_is_not_a_listing():
    url = "http://www.mmx.gov.cn/zwgk/tzgg/202109/t20210924_3008.html"
    assert is_listing(load("article_page.html"), url) is False
    # Even served under a neutral URL, the article markers give it away.
    assert is_listing(load("article_page.html"), "http://www.mmx.gov.cn/a?id=1") is False


def test_undated_small_page_is_not_a_listing():
    html = "<html><body><h1>欢迎</h1><p>网站维护中</p><a href='/'>返回首页</a></body></html>"
    assert is_listing(html, "http://x.gov.cn/") is False
    page = parse_listing(html, "http://x.gov.cn/")
    assert page.items == [] and page.next_urls == [] and page.last_page is True


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("2021-09-24", "2021-09-24"),
        ("2021/9/4", "2021-09-04"),
        ("[2021-09-24]", "2021-09-24"),
        ("2021年09月24日", "2021-09-24"),
        ("2021.09.24", "2021-09-24"),
        ("发布时间：2021-09-24 16:12", "2021-09-24"),
        ("（09-24）", None),
    ],
)
def test_date_formats(cell, expected):
    lis = "".join(
        f'<li><a href="/n/{i}.html">第{i}个关于某事项的通知</a><em>{cell}</em></li>'
        for i in range(3)
    )
    page = parse_listing(f"<div class='list'><ul>{lis}</ul></div>", "http://x.gov.cn/n/")
    assert [i.date for i in page.items] == [expected] * 3
    assert len(page.items) == 3


@pytest.mark.parametrize("word", ["下一页", "下页", "后页", ">", "下一页>>"])
def test_next_link_words(word):
    lis = "".join(
        f'<li><a href="/n/{i}.html">第{i}个关于某事项的通知</a><span>2021-09-2{i}</span></li>'
        for i in range(3)
    )
    html = f"<ul>{lis}</ul><div class='page'><a href='?pageNum=2'>{word}</a></div>"
    page = parse_listing(html, "http://x.gov.cn/n/list.jsp")
    assert page.next_urls == ["http://x.gov.cn/n/list.jsp?pageNum=2"]
    assert page.last_page is False


def test_index_n_links_with_last_page_arithmetic():
    lis = "".join(
        f'<li><a href="./202109/t202109{10 + i}_{i}.html">某某通知公告标题{i}</a><span>2021-09-{10 + i}</span></li>'
        for i in range(3)
    )
    html = (
        f"<ul class='list'>{lis}</ul><div class='page'><a href='index.html'>首页</a>"
        "<a href='index_1.html'>下一页</a><a href='index_5.html'>尾页</a></div>"
    )
    page = parse_listing(html, "http://x.gov.cn/tzgg/index.html")
    assert page.next_urls == [f"http://x.gov.cn/tzgg/index_{i}.html" for i in range(1, 6)]
    assert (page.page_count, page.last_page) == (6, False)


def test_last_page_next_link_disabled():
    lis = "".join(
        f'<li><a href="/n/{i}.html">第{i}个关于某事项的通知</a><span>2021-09-2{i}</span></li>'
        for i in range(3)
    )
    html = f"<ul>{lis}</ul><div class='page'><a href='?page=2'>上一页</a><a href='javascript:;'>下一页</a></div>"
    page = parse_listing(html, "http://x.gov.cn/n/list.jsp?page=3")
    assert (page.next_urls, page.last_page) == ([], True)


def test_items_deduplicated_and_truncated_titles_use_title_attribute():
    html = """<ul class="news">
    <li><a href="/a/1.html" title="完整的标题一关于某事项的通知">完整的标题一关于…</a><span>2021-09-24</span></li>
    <li><a href="/a/2.html">标题二的通知全文</a><span>2021-09-23</span></li>
    <li><a href="/a/1.html">完整的标题一关于某事项的通知</a><span>2021-09-24</span></li>
    </ul>"""
    page = parse_listing(html, "http://x.gov.cn/a/")
    assert page.items == [
        E("http://x.gov.cn/a/1.html", "完整的标题一关于某事项的通知", "2021-09-24"),
        E("http://x.gov.cn/a/2.html", "标题二的通知全文", "2021-09-23"),
    ]


def test_div_rows_with_date_inside_the_link():
    rows = "".join(
        f'<a class="item" href="/xw/{i}.html"><span class="t">关于第{i}项工作的公示</span>'
        f'<span class="d">2021-09-{20 + i}</span></a>'
        for i in range(3)
    )
    page = parse_listing(f"<div class='list'>{rows}</div>", "http://x.gov.cn/xw/")
    assert page.items == [
        E(f"http://x.gov.cn/xw/{i}.html", f"关于第{i}项工作的公示", f"2021-09-{20 + i}")
        for i in range(3)
    ]


def test_category_link_before_title_in_each_row():
    lis = "".join(
        f'<li><a href="/col/col9/index.html">[通知]</a><a href="/art/2021/9/{i}/art_9_{i}.html">'
        f"关于第{i}项工作的通知公告</a><span>2021-09-{i:02d}</span></li>"
        for i in range(1, 4)
    )
    page = parse_listing(f"<ul>{lis}</ul>", "http://x.gov.cn/col/col9/index.html")
    assert page.items == [
        E(
            f"http://x.gov.cn/art/2021/9/{i}/art_9_{i}.html",
            f"关于第{i}项工作的通知公告",
            f"2021-09-{i:02d}",
        )
        for i in range(1, 4)
    ]
    assert page.family == "hanweb"


def test_hanweb_page_with_two_datastores_uses_the_list():
    def store(prefix: str, n: int) -> str:
        recs = "".join(
            f'<record><![CDATA[<li><a href="/art/2021/9/{i}/art_{prefix}_{i}.html">{prefix}通知{i}</a>'
            f"<span>2021-09-{i:02d}</span></li>]]></record>"
            for i in range(1, n + 1)
        )
        return (
            f'<script type="text/xml"><datastore><recordset>{recs}</recordset></datastore></script>'
        )

    html = (
        f"<div id='1'>{store('77', 2)}</div><div id='2'>{store('55', 4)}</div>"
        "<script>$('#2').jpage({proxyUrl:'/module/web/jpage/dataproxy.jsp', perPage: 2,"
        " totalRecord: 4, ajaxParam: {columnid: 55, unitid: 2}});</script>"
    )
    page = parse_listing(html, "http://x.gov.cn/col/col55/index.html")
    assert [i.url.rsplit("/", 1)[-1] for i in page.items] == [
        f"art_55_{i}.html" for i in range(1, 5)
    ]
    assert (page.next_urls, page.last_page, page.page_count) == ([], True, 1)


def test_trs_multi_page_article_is_not_a_listing():
    html = """<html><body><div class="TRS_Editor"><p>正文第一页……</p></div>
    <script>createPageHTML(2, 0, "t20190918_693227", "shtml");</script>
    <div class="related"><a href="./t20190917_1.shtml">相关一</a><span>2019-09-17</span></div>
    </body></html>"""
    url = "http://www.shanxi.gov.cn/yw/sxyw/201909/t20190918_693227.shtml"
    assert is_listing(html, url) is False
    assert parse_listing(html, url).next_urls == []


def test_a_link_broken_over_lines_is_read_as_a_browser_reads_it():
    from crawler.parse.listing.generic import resolve

    base = "http://www.x.gov.cn/tzgg/index.html"
    assert (
        resolve(base, "./202305/t2023\n0516_1.html")
        == "http://www.x.gov.cn/tzgg/202305/t20230516_1.html"
    )
    assert resolve(base, "/tzgg/\t202305/t1.html\r") == "http://www.x.gov.cn/tzgg/202305/t1.html"


# --- Hanweb data proxy windows: the walk computes the next one and de-duplicates records -------

QH = "http://slj.qhx.example"
QH_PROXY = QH + "/module/web/jpage/dataproxy.jsp"
QH_FORM = "col=1&appid=1&webid=7&path=%2F&columnid=4401&unitid=88&permissiontype=0"


def walk_answers(first_url: str, answers: list[str]) -> tuple[list[ListingEntry], list[str]]:
    """Feed answers to a window walk as the spider does (parse_listing, then window_step with
    what the previous step carried): (the records listed, the windows asked for, and the
    window it would ask for next)."""
    url, recent, listed, asked = first_url, (), [], []
    for text in answers:
        asked.append(url)
        page = parse_listing(text, url)
        assert page.family == "hanweb" and page.next_urls == []
        step = window_step(url, text, page, recent)
        assert step is not None and not step.stalled
        listed += step.entries
        url, recent = step.next_url, step.recent
    return listed, [*asked, url]


def test_overlapping_data_proxy_windows_list_each_record_once_in_order():
    # Three answers of a column of 14 records: 1-6, 4-9 and 9-14 (each holds 6 records while
    # 5 were asked for; totalpage counts pages of 3): no next URL in any of them.
    answers = [load(f"hanweb_window_{i}.xml") for i in (1, 2, 3)]
    first = f"{QH_PROXY}?startrecord=1&endrecord=5&perpage=5&{QH_FORM}"
    listed, asked = walk_answers(first, answers)
    assert [e.url.rsplit("_", 1)[-1] for e in listed] == [f"{90200 - i}.html" for i in range(14)]
    assert listed[1] == E(
        QH + "/art/2024/4/15/art_4401_90199.html",
        "关于青禾县小型水库安全鉴定结果的公告",
        "2024-04-15",
    )
    # a cut link text gives way to the full title
    assert listed[0].title == "青禾县水利局关于2024年汛期河道清障工作安排的公示"
    # each window starts past the records got, never past the window asked; the other
    # fields stay as they were sent; after record 14 of 14 there is none
    assert asked == [
        first,
        f"{QH_PROXY}?startrecord=6&endrecord=10&perpage=5&{QH_FORM}",
        f"{QH_PROXY}?startrecord=11&endrecord=15&perpage=5&{QH_FORM}",
        None,
    ]


def test_the_real_jiangsu_answers_walk_to_each_record_once_in_order():
    folder = require_realpages()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    by_file = {p["file"][:2]: p for p in manifest["pages"]}
    shots = [by_file[k] for k in ("07", "08", "18")]
    answers = [(folder / p["file"]).read_text(encoding="utf-8") for p in shots]
    want: dict[str, ListingEntry] = {}
    for p in shots:
        for i in p["ground_truth"]["items"]:
            want.setdefault(i["url"], E(i["url"], i["title"], i["date"]))
    # what jpage asks for with perpage=25: three pages a window, the form fields beside
    form = (
        "perpage=25&col=1&appid=1&webid=23&path=%2F&columnid=89736&sourceContentType=9"
        "&unitid=405463&webname=%E6%B1%9F%E8%8B%8F%E7%9C%81%E5%B7%A5%E4%B8%9A%E5%92%8C%E4%BF%A1"
        "%E6%81%AF%E5%8C%96%E5%8E%85&permissiontype=0"
    )
    proxy = "https://gxt.jiangsu.gov.cn/module/web/jpage/dataproxy.jsp"
    listed, asked = walk_answers(f"{proxy}?startrecord=1&endrecord=75&{form}", answers)
    assert len(want) == 176
    assert listed == list(want.values())
    assert [window_of(u) for u in asked] == [(1, 75), (76, 150), (151, 225), (226, 300)]
    assert all(u.endswith(form) for u in asked)


def test_next_window_arithmetic():
    url = f"{QH_PROXY}?startrecord=11&endrecord=20&perpage=10&{QH_FORM}"
    moved = f"{QH_PROXY}?startrecord=21&endrecord=30&perpage=10&{QH_FORM}"
    assert window_of(url) == (11, 20)
    assert next_window(url, 10, None) == moved  # a full window: there may be more
    assert next_window(url, 12, 100) == moved  # more than asked: the extra is seen again
    assert next_window(url, 7, None) is None  # a short answer without a total is the last
    assert next_window(url, 7, 100) == moved.replace("=21&endrecord=30", "=18&endrecord=27")
    assert next_window(url, 10, 20) is None  # the total is reached
    assert next_window(url, 0, 100) is None  # an empty answer ends the walk
    assert window_of(QH_PROXY) is None and next_window(QH_PROXY, 76, 756) is None
    assert window_of(QH_PROXY + "?startrecord=9&endrecord=3") is None
    assert window_of(QH_PROXY + "?startrecord=1&endrecord=99999999999999") is None
    # field order, spelling and encoding of the request are kept as sent
    odd = QH_PROXY + "?webname=%C7%E0%BA%CC&StartRecord=1&path=/&EndRecord=3&perpage=3"
    assert next_window(odd, 3, None) == (
        QH_PROXY + "?webname=%C7%E0%BA%CC&StartRecord=4&path=/&EndRecord=6&perpage=3"
    )


def test_a_server_ignoring_the_window_ends_the_walk_instead_of_looping():
    answer = load("hanweb_window_1.xml")
    url = f"{QH_PROXY}?startrecord=1&endrecord=5&perpage=5&{QH_FORM}"
    page = parse_listing(answer, url)
    step = window_step(url, answer, page)
    assert len(step.entries) == 6 and step.next_url is not None
    again = window_step(step.next_url, answer, parse_listing(answer, step.next_url), step.recent)
    assert (again.entries, again.next_url, again.stalled) == ([], None, True)
    # the memory a walk carries to its next request is bounded
    many = tuple(bytes([i % 256, i // 256]) * 4 for i in range(10_000))
    assert len(window_step(url, answer, page, many).recent) == MEMORY


def test_a_page_that_is_not_a_window_answer_is_left_to_its_parser():
    text = load("hanweb_col_index.html")
    url = "http://www.mmq.gov.cn/col/col1234/index.html"
    assert window_step(url, text, parse_listing(text, url)) is None
    # an answer with a <nextgroup> keeps the next window parse_listing names
    mid_url = f"{PROXY}?startrecord=7&endrecord=12&perpage=2&{FORM}"
    mid = load("hanweb_dataproxy_middle.xml")
    assert window_step(mid_url, mid, parse_listing(mid, mid_url)) is None


# --- a crawl through a data proxy whose windows overlap -----------------------------------------

_DETAIL = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{t}_青禾县水利局</title></head>
<body><div class="crumb">当前位置：<a href="/">首页</a> &gt; 公示公告</div>
<div class="article"><h1>{t}</h1><div class="info">发布日期：{d} 来源：青禾县水利局</div>
<div class="content"><p>各乡镇水利站：</p><p>{t}，现将有关事项告知如下，请认真落实。</p>
<p>特此通知。</p></div></div></body></html>"""


class _ProxyHandler(BaseHTTPRequestHandler):
    """A Hanweb column served through its data proxy only.  `overlap`: records each answer
    repeats before the window asked, `extra`: records it adds after; `stuck`: it answers the
    first window whatever is asked."""

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        srv = self.server
        parts = urlsplit(self.path)
        srv.log.append(self.path)
        if parts.path == "/module/web/jpage/dataproxy.jsp":
            q = dict(parse_qsl(parts.query))
            start, end = int(q["startrecord"]), int(q["endrecord"])
            if srv.stuck:
                start, end = 1, end - start + 1
            shown = srv.notices[max(start - 1 - srv.overlap, 0) : end + srv.extra]
            body = (
                f"<datastore><totalrecord>{len(srv.notices)}</totalrecord><totalpage>9</totalpage>"
                "<recordset>"
                + "".join(
                    f'<record><![CDATA[<li><a href="{p}" title="{t}">{t}</a>'
                    f'<b readlabel="{d}">{d}</b></li>]]></record>'
                    for p, t, d in shown
                )
                + "</recordset></datastore>"
            ).encode()
            ctype = "text/xml;charset=UTF-8"
        elif parts.path in srv.pages:
            body, ctype = srv.pages[parts.path], "text/html; charset=utf-8"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def proxy_site():
    servers = []

    def start(n: int, overlap: int = 0, extra: int = 0, stuck: bool = False):
        srv = ThreadingHTTPServer(("127.0.0.1", 0), _ProxyHandler)
        srv.daemon_threads = True
        srv.notices = [
            (
                f"/art/2024/5/{20 - i}/art_77_{600 - i}.html",
                f"关于开展第{n - i}批河道巡查的通知",
                f"2024-05-{20 - i:02d}",
            )
            for i in range(n)
        ]
        srv.pages = {p: _DETAIL.format(t=t, d=d).encode() for p, t, d in srv.notices}
        srv.overlap, srv.extra, srv.stuck, srv.log = overlap, extra, stuck, []
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}).start()
        servers.append(srv)
        base = f"http://127.0.0.1:{srv.server_address[1]}"
        return (
            srv,
            f"{base}/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=4&perpage=4&columnid=77&unitid=9",
        )

    yield start
    for srv in servers:
        srv.shutdown()
        srv.server_close()


def test_a_crawl_walks_overlapping_windows_to_every_notice_once(proxy_site, tmp_path):
    srv, url = proxy_site(10, overlap=2, extra=1)
    code, [s], p = crawl(url, tmp_path / "w.db")
    assert code == 0 and s["counts"]["new"] == 10, (s, p.stderr)
    new = [e["url"] for e in events(tmp_path / "w.db") if e["kind"] == "new"]
    assert sorted(new) == sorted(url.split("/module")[0] + p for p, _, _ in srv.notices)
    windows = [window_of(u) for u in srv.log if "dataproxy.jsp" in u]
    assert windows == [(1, 4), (5, 8), (9, 12)]  # 12 of 10 records: no fourth
    details = [u for u in srv.log if u.startswith("/art/")]
    assert sorted(details) == sorted(p for p, _, _ in srv.notices)  # each fetched once


def test_a_crawl_of_a_data_proxy_ignoring_its_window_stops_and_is_flagged(proxy_site, tmp_path):
    """All ten notices archived by a whole walk; then the server answers the first window
    whatever is asked: the walk stops at the repeat, flagged, and the six notices it did not
    reach are not delisted."""
    srv, url = proxy_site(10)
    db = tmp_path / "s.db"
    code, [s], p = crawl(url, db)
    assert code == 0 and s["counts"]["new"] == 10, (s, p.stderr)
    srv.stuck, srv.log = True, []
    code, [s], p = crawl(url, db)
    assert code == 3, (s, p.stderr)
    assert any(f.startswith("listing_incomplete:repeated_records") for f in s["flags"]), s
    assert [window_of(u) for u in srv.log if "dataproxy.jsp" in u] == [(1, 4), (5, 8)]
    assert events(db, "--kind", "delisted") == []


def test_windows_a_column_page_names_are_walked_as_named(serve, tmp_path):
    """A Hanweb column page names every window of its column; a data proxy that answers
    fewer records than a window asks for must not make each named window start a chain of
    computed ones (the requests would multiply): the walk asks for the named ones, once."""
    from crawler.demo import DistrictSite

    site = DistrictSite(style="hanweb", page_size=5)
    site.generate(23)
    site.proxy_cap = 3
    url = site.listing_url(serve(site).base)
    code, [s], p = crawl(url, tmp_path / "h.db")
    assert code == 0, (s, p.stderr)
    asked = [x for x in site.requests.paths() if "dataproxy" in x]
    assert len(asked) == len(set(asked)) == 4, asked  # 6-10, 11-15, 16-20, 21-25


def _column(notices, commented: bool) -> bytes:
    rows = "".join(f'<li><a href="{p}">{t}</a><span>{d}</span></li>' for p, t, d in notices)
    inner = f"<!--<ul class='list'>{rows}</ul>-->" if commented else f"<ul class='list'>{rows}</ul>"
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>公示公告_青禾县水利局</title>"
        f"</head><body><div class='crumb'>首页 &gt; 公示公告</div><div id='list'>{inner}</div>"
        "<script src='/js/list.js'></script></body></html>"
    ).encode()


@pytest.mark.parametrize("commented", [True, False])
def test_a_list_kept_in_a_comment_delists_nothing(proxy_site, tmp_path, commented):
    """A column whose only list is an HTML comment is crawled like any other, but the
    comment may be stale: when it stops showing a notice, nothing is delisted (a live list
    that stops showing one delists it, as ever)."""
    srv, url = proxy_site(5)
    column = url.split("/module")[0] + "/gsgg/index.html"
    srv.pages["/gsgg/index.html"] = _column(srv.notices, commented)
    db = tmp_path / "c.db"
    code, [s], p = crawl(column, db)
    assert code == 0 and s["flags"] == [] and s["counts"]["new"] == 5, (s, p.stderr)
    kept = [srv.notices[i] for i in (0, 3, 4)]  # two from the middle of the list gone
    srv.pages["/gsgg/index.html"] = _column(kept, commented)
    for _ in range(2):  # a live list delists after two walks without them
        code, [s], p = crawl(column, db)
        assert code == 0 and s["flags"] == [], (s, p.stderr)
    delisted = events(db, "--kind", "delisted")
    assert len(delisted) == (0 if commented else 2)


# --- lists a script draws: a JavaScript object in the page ------------------------------------

SC = "https://www.scshb.example/zwgk/tzgg/"


def test_a_list_held_as_a_javascript_object():
    text = load("js_object_list.html")
    page = parse_listing(text, SC + "index.html")
    assert page.items == [
        E(
            SC + "202404/t20240416_77031.html",  # pcUrl, not the mobile url beside it
            "松川市生态环境局关于2024年第一季度重点排污单位名录调整的公告",
            "2024-04-16",
        ),
        E(
            SC + "202404/t20240411_77002.html",
            "关于松川化工园区污水处理厂提标改造项目环评文件受理情况的公示",  # <em> dropped
            "2024-04-11",
        ),
        # a date in milliseconds since 1970, read in Shanghai time
        E(
            SC + "202404/t20240408_76990.html",
            "松川市2024年“世界地球日”主题宣传活动方案",
            "2024-04-08",
        ),
        E(
            SC + "202403/t20240329_76954.html",
            "关于征求《松川市声环境功能区划分方案（征求意见稿）》意见的通知",
            "2024-03-29",
        ),
        E(
            SC + "202403/t20240322_76931.html",
            "松川市生态环境局行政处罚自由裁量基准（2024年修订）",
            "2024-03-22",
        ),
    ]
    # 13 records in pages of 5, later pages named by the script's 'index_' + n + '.html'
    assert page.next_urls == [SC + "index_2.html", SC + "index_3.html"]
    assert (page.page_count, page.last_page) == (3, False)
    assert is_listing(text, SC + "index.html")


def _js_page(data: str) -> str:
    return (
        '<html><body><div class="nav"><a href="/">首页</a></div><ul id="list"></ul>'
        f"<script>var pageData = {data};\nrender(pageData);</script></body></html>"
    )


def test_javascript_list_paging_only_where_the_page_states_it():
    rows = ", ".join(
        f"{{docTitle: '关于第{i}批老旧小区改造计划的公示', docUrl: '/xxgk/{i}.shtml', docRelTime: '2023-0{i}-10'}}"
        for i in range(1, 4)
    )
    url = "http://www.jx-demo.example/xxgk/list.jsp?channelId=31&pageNo=2"
    stated = _js_page(
        f"{{pageNo: 2, pageCount: 4, urlTemplate: 'list.jsp?channelId=31&pageNo={{pageNo}}', docs: [{rows}]}}"
    )
    page = parse_listing(stated, url)
    assert [i.url for i in page.items] == [
        f"http://www.jx-demo.example/xxgk/{i}.shtml" for i in (1, 2, 3)
    ]
    assert page.items[0].date == "2023-01-10"
    assert page.next_urls == [
        url.replace("pageNo=2", "pageNo=3"),
        url.replace("pageNo=2", "pageNo=4"),
    ]
    assert (page.page_count, page.last_page) == (4, False)
    # a count without any address of later pages: no guessed URL
    counted = parse_listing(_js_page(f"{{total: 30, pageSize: 3, docs: [{rows}]}}"), url)
    assert (len(counted.items), counted.next_urls, counted.page_count) == (3, [], 10)
    # no paging stated at all
    bare = parse_listing(_js_page(f"{{docs: [{rows}]}}"), url)
    assert (len(bare.items), bare.next_urls, bare.page_count) == (3, [], None)
    # a next page named beside the list, numbered as the series goes on
    col = "http://www.jx-demo.example/xxgk/tzgg/"
    named = _js_page(f"{{pageCount: 3, nextUrl: 'index_2.html', docs: [{rows}]}}")
    assert parse_listing(named, col + "index.html").next_urls == [
        col + "index_2.html",
        col + "index_3.html",
    ]
    # the page number not stated: the page's own URL places it in the series
    text = load("js_object_list.html").replace("pageNo: 1,", "")
    later = parse_listing(text, SC + "index_2.html")
    assert (later.next_urls, later.page_count) == ([SC + "index_3.html"], 3)
    last = parse_listing(text, SC + "index_3.html")
    assert (last.next_urls, last.last_page) == ([], True)


def test_javascript_arrays_that_are_not_notices_are_not_a_list():
    menu = _js_page(
        "{menu: [{name: '首页', url: '/'}, {name: '政务公开', url: '/zwgk/'}, {name: '办事', url: '/bs/'}]}"
    )
    assert parse_listing(menu, "http://x.example/a/index.html").items == []
    files = _js_page("{files: [{title: '附件一', url: '/f/1.pdf', date: '2024-01-01'}]}")
    assert parse_listing(files, "http://x.example/a/index.html").items == []
    # a dated live list wins over a script's data
    live = (
        '<html><body><ul class="list">'
        + "".join(
            f'<li><a href="/t/{i}.html">关于第{i}项工作的通知</a><span>2024-01-0{i}</span></li>'
            for i in range(1, 4)
        )
        + "</ul><script>var d = {list: [{title: '脚本里的另一条通知标题', url: '/s/1.html', pubDate: '2024-02-01'}]};</script></body></html>"
    )
    assert [i.url for i in parse_listing(live, "http://x.example/").items] == [
        f"http://x.example/t/{i}.html" for i in (1, 2, 3)
    ]


def test_hostile_scripts_cost_little_and_crash_nothing():
    from crawler.parse.listing.scripted import MAX_ITEMS

    item = "{title: '关于某项工作的通知公告', url: '/a/%d.html', pubDate: '2024-01-01'}"
    huge = _js_page("{list: [" + ",".join(item % i for i in range(200_000)) + "]}")
    millions = _js_page("[" + "{title:'通知公告标题',url:'/a'}," * 2_000_000 + "]")
    deep = _js_page("[" * 100_000 + "]" * 100_000)
    broken = _js_page(
        "{list: [{title: '未闭合的标题, url: '/a.html', pubDate: 2024-01-01}, {title:"
    )
    wide = "".join(
        f"<script>var v{n} = {{list: ["
        + ",".join(item % (n * 1000 + i) for i in range(300))
        + "]};</script>"
        for n in range(60)
    )
    many_scripts = "<html><body>" + wide + "</body></html>"
    for text in (  # (their time: benchmarks/bench_bounds.py)
        huge,
        millions,
        deep,
        broken,
        many_scripts,
        "<script>" + "{" * 300_000 + "</script>",
    ):
        page = parse_listing(text, "http://x.example/list/index.html")
        assert len(page.items) <= MAX_ITEMS


# --- lists kept in an HTML comment -------------------------------------------------------------


def test_a_commented_list_is_read_when_the_live_container_is_empty():
    base = "http://www.yunling.example/zwgk/gsgg/"
    page = parse_listing(load("commented_list_empty_live.html"), base + "index.html")
    assert page.items == [
        E(
            "http://www.yunling.example/zwgk/gsgg/2024/0412/4101.html",
            "云岭镇2024年度农村危房改造对象评议结果公示",
            "2024-04-12",
        ),
        E(
            "http://www.yunling.example/zwgk/gsgg/2024/0403/4087.html",
            "关于云岭镇高标准农田建设项目选址的公示",
            "2024-04-03",
        ),
        E(
            "http://www.yunling.example/zwgk/gsgg/2024/0326/4060.html",
            "云岭镇第二批临时救助对象名单公示",
            "2024-03-26",
        ),
        E(
            "http://www.yunling.example/zwgk/gsgg/2024/0315/4032.html",
            "云岭镇2023年度村级财务收支情况公开",
            "2024-03-15",
        ),
    ]
    assert page.next_urls == [] and page.last_page is True


def test_a_stale_commented_list_beside_a_live_one_is_ignored():
    page = parse_listing(
        load("commented_stale_beside_live.html"), "http://jyj.shimen.example/tztg/index.html"
    )
    assert [i.url.rsplit("/", 1)[-1] for i in page.items] == [
        "8830.html",
        "8801.html",
        "8779.html",
        "8742.html",
    ]
    assert all(i.date.startswith("2024-") for i in page.items)


def _dated_rows(href: str, title: str) -> str:
    """Five dated rows; `href` and `title` are formats of the row's number i."""
    return "".join(
        f'<li><a href="{href.format(i=i)}">{title.format(i=i)}</a>'
        f"<span>2024-05-{10 + i:02d}</span></li>"
        for i in range(5)
    )


def _later_page(current_text: str) -> str:
    rows = _dated_rows("/41201/41250/content_90{i:02d}.html", "第{i}号停电检修通知")
    return (
        f"<html><body><ul class='list'>{rows}</ul><div class='page'>"
        "<a href='index.html'>首页</a><a href='index_2.html'>上一页</a>"
        f"<a href='index_4.html'>下一页</a> 共18条 共4页 {current_text}</div></body></html>"
    )


@pytest.mark.parametrize("current", ["当前第3页", ""])
def test_a_later_page_numbered_like_its_address_walks_on(current):
    """index_3.html of index.html, index_2.html … (index_N is page N, unlike TRS's index_1 =
    page 2), with no page-number links: the next page is index_4.html, whether the page
    says 当前第3页 or only links it."""
    url = "http://www.example.gov.cn/41201/41250/index_3.html"
    page = parse_listing(_later_page(current), url)
    assert page.next_urls == ["http://www.example.gov.cn/41201/41250/index_4.html"]
    assert not page.last_page and len(page.items) == 5


def test_a_page_number_the_server_clamps_ends_the_walk():
    """共5页 with a 下一页 link on page 5 to ?page=6 (the server answers page 5 again): the
    walk stops at the stated last page, it does not follow the link to the page bound."""

    def page(n: int) -> str:
        rows = _dated_rows(f"/tzgg/t{n}_{{i}}.html", f"关于第{n}页第{{i}}条事项的通知公告")
        return (
            f"<html><body><ul class='list'>{rows}</ul><div class='page'>共5页 当前第{min(n, 5)}页 "
            f"<a href='list.jsp?page={max(n - 1, 1)}'>上一页</a>"
            f"<a href='list.jsp?page={n + 1}'>下一页</a></div></body></html>"
        )

    for n in (5, 6):
        got = parse_listing(page(n), f"http://www.example.gov.cn/tzgg/list.jsp?page={n}")
        assert got.next_urls == [] and got.last_page, n


def test_a_script_s_carousel_never_replaces_the_live_list():
    """Eight undated notices in the markup, and a dated focus-news array in a script: the
    column is the eight, not the carousel (page 1's notices would go unseen)."""
    rows = "".join(
        f'<li><a href="/tzgg/202405/t2024050{i}_{i}.html">关于第{i}批项目资金拨付情况的公告</a></li>'
        for i in range(1, 9)
    )
    html = (
        "<html><body><script>var focusNews = ["
        "{title: '我区召开2024年一季度经济运行分析会', url: '/xwdt/t20240420_1.html', time: '2024-04-20'},"
        "{title: '区领导调研重点项目建设推进情况', url: '/xwdt/t20240418_2.html', time: '2024-04-18'}];"
        f"</script><ul class='list'>{rows}</ul></body></html>"
    )
    page = parse_listing(html, "http://www.example.gov.cn/tzgg/index.html")
    assert [i.url.rsplit("/", 1)[1] for i in page.items] == [
        f"t2024050{i}_{i}.html" for i in range(1, 9)
    ]


def test_a_navigation_config_in_a_script_is_no_list():
    html = (
        "<html><head><script>var navConfig = {menus: ["
        "{name: '政府信息公开指南和目录', url: '/xxgk/zn/index.html'},"
        "{name: '政府信息公开工作年度报告', url: '/xxgk/nb/index.html'},"
        "{name: '重点领域信息公开专栏', url: '/xxgk/zdly/index.html'}]};</script></head>"
        "<body><div id='list'></div><script src='/js/list.js'></script></body></html>"
    )
    url = "http://www.example.gov.cn/tzgg/index.html"
    assert parse_listing(html, url).items == [] and not is_listing(html, url)
