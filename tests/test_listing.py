"""Listing parsers: items, pagination and family detection on pages in each CMS family's style."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from crawler.items import ListingEntry
from spiders.listing import is_listing, parse_listing

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


def test_hanweb_full_answer_without_total_asks_for_next_group():
    recs = "".join(
        f'<record><![CDATA[<li><a href="/art/2020/1/{i}/art_5_{i}.html">通知{i}</a>'
        f"<span>2020-01-{i:02d}</span></li>]]></record>"
        for i in range(1, 4)
    )
    url = "http://h.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=4&endrecord=6&perpage=1&columnid=5"
    page = parse_listing(f"<datastore><recordset>{recs}</recordset></datastore>", url)
    assert page.next_urls == [
        "http://h.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=7&endrecord=9&perpage=1&columnid=5"
    ]
    assert page.last_page is False and page.page_count is None
    empty = parse_listing(
        '<?xml version="1.0" encoding="UTF-8"?><datastore><recordset></recordset></datastore>',
        url.replace("=4&endrecord=6", "=7&endrecord=9"),
    )
    assert (empty.items, empty.next_urls, empty.last_page, empty.family) == ([], [], True, "hanweb")


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


def test_performance_few_ms():
    text = load("trs_county_index_gbk.html")
    url = "http://www.mmx.gov.cn/zwgk/tzgg/"
    parse_listing(text, url)
    t0 = time.perf_counter()
    for _ in range(20):
        parse_listing(text, url)
    assert (time.perf_counter() - t0) / 20 < 0.05


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
    from spiders.listing.generic import resolve

    base = "http://www.x.gov.cn/tzgg/index.html"
    assert (
        resolve(base, "./202305/t2023\n0516_1.html")
        == "http://www.x.gov.cn/tzgg/202305/t20230516_1.html"
    )
    assert resolve(base, "/tzgg/\t202305/t1.html\r") == "http://www.x.gov.cn/tzgg/202305/t1.html"
