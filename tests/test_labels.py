"""Labelled metadata on one line of adjacent inline elements: a label is read where an
element's text begins, even with no space between it and the text before."""

from __future__ import annotations

import pytest

from crawler.parse.notice import extract_notice

URL = "http://www.example.gov.cn/41201/41250/content_2290417.html"


def page(line: str) -> bytes:
    return (
        "<html><head><meta charset='utf-8'><title>关于城区停水的通知</title></head><body>"
        "<div class='art'><h1>关于城区停水的通知</h1>"
        f"<div class='info'>{line}</div>"
        "<div class='TRS_Editor'><p>"
        + "因供水管网改造，城区部分路段将暂停供水。"
        * 6
        + "</p></div>"
        "</div></body></html>"
    ).encode()


@pytest.mark.parametrize(
    ("line", "published", "source"),
    [
        # the seed's layout: ASCII colons, no whitespace between the spans
        (
            "<span>来源:区政府办公室</span><span>日期:2021-09-24 16:12</span>"
            "<span>字号:【大 中 小】</span>",
            "2021-09-24T16:12:00+08:00",
            "区政府办公室",
        ),
        # full-width colons, spaces around them
        (
            "<span>信息来源 ： 区水务局</span><span>发布时间 ：2023年3月2日</span>",
            "2023-03-02",
            "区水务局",
        ),
        # a value across inline children, up to the next element's label
        (
            "<span>来源：<a href='/bm/'>区住房和城乡</a>建设局</span><span>发布日期：2022-11-08</span>",
            "2022-11-08",
            "区住房和城乡建设局",
        ),
        # label and value in elements of their own
        (
            "<b>来源：</b><b>区应急管理局</b><b>日期：</b><b>2024-01-15 09:00</b><b>浏览量：</b><em>88</em>",
            "2024-01-15T09:00:00+08:00",
            "区应急管理局",
        ),
        # a label opening the text after a link's end
        (
            "来源：<a href='/bm/'>区卫生健康局</a>发布时间：2020-06-30 浏览次数：<span>12</span>",
            "2020-06-30",
            "区卫生健康局",
        ),
        # an empty 来源 glued to the date: no source
        ("<span>来源:</span><span>日期:2021-09-28 08:45</span>", "2021-09-28T08:45:00+08:00", None),
    ],
)
def test_labels_in_adjacent_inline_elements(line, published, source):
    n = extract_notice(page(line), URL)
    assert (n.published, n.source) == (published, source)
    assert n.title == "关于城区停水的通知"


def test_hostile_metadata_costs_stay_linear():
    """One line of 30,000 glued labels, a script of 5,000 document.write calls and a table
    of 20,000 文号 rows: read in time that grows with the page, not faster."""
    import time

    line = "".join(f"<span>来源:科{i}</span><span>日期:2021-09-24</span>" for i in range(30_000))
    script = "<script>var a='x';" + "document.write(a);" * 5_000 + "</script>"
    rows = "".join(f"<tr><td>文号</td><td>某发〔2021〕{i}号</td></tr>" for i in range(20_000))
    raw = page(line + script).replace(
        b"</p></div>", b"</p><table>" + rows.encode() + b"</table></div>"
    )
    start = time.process_time()
    n = extract_notice(raw, URL)
    assert time.process_time() - start < 10
    assert n.published == "2021-09-24" and n.doc_number is None  # many numbers: none is its own
