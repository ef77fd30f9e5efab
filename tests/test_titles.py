"""A notice's title where the page's <title> joins the site's or column's name to it."""

from __future__ import annotations

import time

import pytest

from crawler.parse.notice import extract_notice

URL = "http://www.example.gov.cn/zwgk/tzgg/202405/t20240521_1.html"
BODY = "<div class='TRS_Editor'><p>" + "各有关单位：现将有关事项通知如下。" * 8 + "</p></div>"


def page(title: str, extra: str = "", head: str = "") -> bytes:
    return (
        f"<html><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
        f"<body>{extra}{BODY}</body></html>"
    ).encode()


@pytest.mark.parametrize(
    ("title", "extra", "head", "want"),
    [
        # the site's name opens the title, joined by a bare hyphen; the logo names the site
        (
            "凯里市人民政府-关于开展夏季防溺水安全检查的通知",
            "<img src='/logo.png' alt='凯里市人民政府'>",
            "",
            "关于开展夏季防溺水安全检查的通知",
        ),
        # …the same <title> on a page that states no such name anywhere: nothing is cut
        (
            "凯里市人民政府-关于开展夏季防溺水安全检查的通知",
            "",
            "",
            "凯里市人民政府-关于开展夏季防溺水安全检查的通知",
        ),
        # name plus 门户网站, stated by the footer's 主办单位
        (
            "关于开展夏季防溺水安全检查的通知_丹江区人民政府门户网站",
            "<div class='foot'>主办单位：丹江区人民政府</div>",
            "",
            "关于开展夏季防溺水安全检查的通知",
        ),
        # column and site, separated by ｜, named by the metas
        (
            "关于开展夏季防溺水安全检查的通知｜通知公告｜丹江区",
            "",
            "<meta name='SiteName' content='丹江区'><meta name='ColumnName' content='通知公告'>",
            "关于开展夏季防溺水安全检查的通知",
        ),
        # an issuer that opens the title is no site name to cut: no separator joins it
        (
            "丹江区人民政府关于开展夏季防溺水安全检查的通知",
            "<img alt='丹江区人民政府'>",
            "<meta name='SiteName' content='丹江区人民政府'>",
            "丹江区人民政府关于开展夏季防溺水安全检查的通知",
        ),
        # a full-width hyphen inside the title itself, and no name stated: the title stays
        (
            "关于印发《丹江区2021－2025年综合防灾减灾规划》的通知",
            "",
            "",
            "关于印发《丹江区2021－2025年综合防灾减灾规划》的通知",
        ),
        # a copyright line names the site; an em dash joins it
        (
            "关于开展夏季防溺水安全检查的通知—丹江区政府网",
            "<p>版权所有 © 丹江区政府网</p>",
            "",
            "关于开展夏季防溺水安全检查的通知",
        ),
    ],
)
def test_site_names_are_cut_only_where_the_page_states_them(title, extra, head, want):
    assert extract_notice(page(title, extra, head), URL).title == want


def test_a_title_of_nothing_but_names_is_no_title():
    head = (
        "<meta name='SiteName' content='丹江区人民政府'><meta name='ColumnName' content='通知公告'>"
    )
    assert extract_notice(page("通知公告 - 丹江区人民政府", head=head), URL).title is None


def test_names_learned_from_the_site_are_cut_too():
    raw = page("关于开展夏季防溺水安全检查的通知 - 丹江发布")
    assert extract_notice(raw, URL).title == "关于开展夏季防溺水安全检查的通知-丹江发布"
    got = extract_notice(raw, URL, site_names=("丹江发布",)).title
    assert got == "关于开展夏季防溺水安全检查的通知"


def test_a_title_of_thousands_of_pieces_costs_little():
    title = "_".join(f"甲{i}乙" for i in range(5000))
    extra = "".join(f"<p>主办：甲{i}乙</p>" for i in range(0, 5000, 7))
    start = time.process_time()
    got = extract_notice(page(title, extra), URL).title
    assert got and got.startswith("甲1乙_") and got.endswith("_甲4999乙")  # 甲0乙: 主办
    assert time.process_time() - start < 2
