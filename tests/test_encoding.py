from __future__ import annotations

import codecs

from crawler.parse.notice import decode_html, extract_notice

TEXT = "关于开展秋季森林防火检查的通知"


def _page(charset_meta: str | None, body: str = TEXT) -> str:
    meta = (
        f'<meta http-equiv="Content-Type" content="text/html; charset={charset_meta}">'
        if charset_meta
        else ""
    )
    return f"<html><head>{meta}<title>{body}</title></head><body><p>{body}</p></body></html>"


def test_utf8():
    text, enc = decode_html(_page("utf-8").encode("utf-8"))
    assert enc == "utf-8" and TEXT in text


def test_gbk_declared():
    text, enc = decode_html(_page("gbk").encode("gbk"))
    assert enc == "gb18030" and TEXT in text


def test_gb2312_declared_with_gb18030_only_chars():
    body = "朱镕基 䶮 𠀀 " + TEXT  # 镕 is GBK-only, 䶮/𠀀 GB18030-only
    text, enc = decode_html(_page("gb2312", body).encode("gb18030"))
    assert enc == "gb18030" and body in text


def test_http_gbk_no_meta():
    text, enc = decode_html(_page(None).encode("gbk"), "GBK")
    assert enc == "gb18030" and TEXT in text


def test_no_declaration_gbk_bytes():
    text, enc = decode_html(_page(None).encode("gbk"))
    assert enc == "gb18030" and TEXT in text


def test_wrong_declared_gbk_but_utf8():
    text, enc = decode_html(_page("gbk").encode("utf-8"), "gbk")
    assert enc == "utf-8" and TEXT in text


def test_wrong_declared_utf8_but_gbk():
    text, enc = decode_html(_page("utf-8").encode("gbk"), "utf-8")
    assert enc == "gb18030" and TEXT in text


def test_bom_wins():
    raw = codecs.BOM_UTF8 + _page("gbk").encode("utf-8")
    text, enc = decode_html(raw, "gbk")
    assert enc == "utf-8" and TEXT in text and not text.startswith("\ufeff")


def test_utf16_bom():
    raw = codecs.BOM_UTF16_LE + _page(None).encode("utf-16-le")
    text, enc = decode_html(raw)
    assert enc == "utf-16-le" and TEXT in text


def test_http_charset_beats_meta():
    # Big5 per HTTP, a stale gbk meta: HTTP wins.
    raw = _page("gbk", "政府公告").encode("big5")
    text, enc = decode_html(raw, "big5")
    assert enc.startswith("big5") and "政府公告" in text


def test_meta_used_when_http_silent_or_weak():
    raw = _page("big5", "政府公告").encode("big5")
    text, enc = decode_html(raw, "iso-8859-1")
    assert enc.startswith("big5") and "政府公告" in text


def test_garbage_last_resort_replaces():
    raw = _page("utf-8").encode("utf-8") + b"\xff\xfe\xfd\x80\x81"
    text, enc = decode_html(raw)
    assert TEXT in text


def test_extract_from_wrongly_labelled_bytes():
    raw = _page("utf-8").encode("gbk")
    n = extract_notice(raw, "http://www.example.gov.cn/a.html", charset="utf-8")
    assert n.title == TEXT and n.body == TEXT
