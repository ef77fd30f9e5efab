"""extract_notice (parse only) and extract_page (which also returns the decoded text) read
page bytes in any charset to the same notice."""

from __future__ import annotations

import pytest

from crawler.parse.notice import extract_notice, extract_page

TEXT = "关于开展秋季森林防火检查的通知"
PAD = "<!-- " + "x" * 5000 + " -->"  # pushes the first non-ASCII byte past the quick check


def _page(title: str = TEXT, pad: str = "") -> str:
    return (
        f"<html><head>{pad}<title>{title}</title></head><body>"
        f"<div><p>发布日期：2023-05-06</p><div class='TRS_Editor'><p>{title}</p></div></div>"
        "</body></html>"
    )


@pytest.mark.parametrize(
    "body",
    [
        _page().encode("utf-8"),
        _page(pad=PAD).encode("utf-8"),
        _page().encode("gbk"),
        _page(pad=PAD).encode("gbk"),  # an ASCII-only start
        _page(pad=PAD + "</p>" * 200).encode("gbk"),  # and a page that parses with many errors
        _page(pad=PAD).encode("utf-8") + b"\xed\xa0\x80",  # a UTF-8 surrogate
        "\ufeff".encode() + _page().encode("utf-8"),  # byte-order mark
        _page().encode("utf-16"),
        b"",
        b"   ",
    ],
)
def test_same_notice_as_the_decoding_path(body):
    url = "http://www.example.gov.cn/a/t20230506_1.html"
    assert extract_notice(body, url).to_dict() == extract_page(body, url)[0].to_dict()


def test_gbk_page_with_ascii_start_is_decoded():
    n = extract_notice(_page(pad=PAD).encode("gbk"), "http://www.example.gov.cn/a.html")
    assert n.title == TEXT and n.published == "2023-05-06"
