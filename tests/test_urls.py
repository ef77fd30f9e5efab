"""Canonical URLs and site names."""

import pytest

from crawler.schema.urls import canonicalize, site_name


@pytest.mark.parametrize(
    ("url", "site"),
    [
        ("http://WWW.YYLQ.gov.cn/tzgg/", "www.yylq.gov.cn"),
        ("http://127.0.0.1:8081/tzgg/index.html", "127.0.0.1:8081"),
        ("https://www.x.gov.cn:443/a", "www.x.gov.cn"),
        ("http://www.x.gov.cn:80/a", "www.x.gov.cn"),
        ("https://www.x.gov.cn:8443/a", "www.x.gov.cn:8443"),
    ],
)
def test_site_name(url, site):
    assert site_name(url) == site


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("HTTP://Www.X.gov.cn:80/tzgg/index.html", "http://www.x.gov.cn/tzgg/"),
        ("http://www.x.gov.cn/tzgg/t1.html#top", "http://www.x.gov.cn/tzgg/t1.html"),
        ("http://www.x.gov.cn/a?utm_source=wx&id=3&spm=1.2", "http://www.x.gov.cn/a?id=3"),
        ("http://www.x.gov.cn/a?b=2&a=1", "http://www.x.gov.cn/a?a=1&b=2"),
        ("http://www.x.gov.cn", "http://www.x.gov.cn/"),
    ],
)
def test_canonical_forms_fold(a, b):
    assert canonicalize(a) == canonicalize(b) == b


def test_distinct_pages_stay_distinct():
    assert canonicalize("http://x.cn/a?id=1") != canonicalize("http://x.cn/a?id=2")
    assert canonicalize("http://x.cn/a/T1.html") != canonicalize("http://x.cn/a/t1.html")
    assert canonicalize("https://x.cn/a") != canonicalize("http://x.cn/a")
    # GBK-encoded query values keep their bytes (中 and 文)
    assert canonicalize("http://x.cn/l?col=%D6%D0") != canonicalize("http://x.cn/l?col=%CE%C4")
    assert canonicalize("http://x.cn/l?col=%d6%d0") == "http://x.cn/l?col=%D6%D0"


def test_one_fetch_per_canonical_url_per_crawl():
    from scrapy import Request

    from crawler.middlewares import CanonicalFingerprinter

    fp = CanonicalFingerprinter().fingerprint
    same = [
        "http://www.x.gov.cn/tzgg/index.html",
        "HTTP://WWW.X.GOV.CN:80/tzgg/#top",
        "http://www.x.gov.cn/tzgg/?utm_source=wx",
    ]
    assert len({fp(Request(u)) for u in same}) == 1
    assert fp(Request("http://www.x.gov.cn/a?id=1")) != fp(Request("http://www.x.gov.cn/a?id=2"))
    assert fp(Request("http://x.cn/a", method="POST", body=b"p=1")) != fp(
        Request("http://x.cn/a", method="POST", body=b"p=2")
    )


def test_failure_kinds():
    from scrapy.exceptions import IgnoreRequest
    from twisted.internet.error import DNSLookupError, TimeoutError
    from twisted.python.failure import Failure

    from spiders.notices import _failure_kind

    kinds = [
        _failure_kind(Failure(e))
        for e in (
            IgnoreRequest("Forbidden by robots.txt"),
            IgnoreRequest("max redirections reached"),
            DNSLookupError("x"),
            TimeoutError("x"),
        )
    ]
    assert kinds == ["robots", "redirect_loop", "dns", "timeout"]


def test_join_url_is_urljoin():
    """The quick join of plain relative paths gives what urljoin gives, on every base and
    reference form (and a few thousand random ones)."""
    import random
    from urllib.parse import urljoin

    from crawler.parse.notice.text import join_url

    bases = [
        "http://a.gov.cn",
        "http://a.gov.cn/",
        "http://a.gov.cn/x/y/t1.html",
        "https://a.gov.cn/x/y/",
        "http://a.gov.cn/x/y/t1.html?q=1#f",
        "http://a.gov.cn:8080/x/t.htm",
        "http://a.gov.cn/x;p/y",
        "http://u@a.gov.cn/x/",
        "ftp://a/b",
    ]
    refs = ["W0201.jpg", "./W0201.jpg", "../a.pdf", "/abs/p.pdf", "a/./b", "a/../b", "./", "",
            "?q", "#f", "//h/x", "mailto:a@b", "javascript:x", "a:b", "..", "a//b", "附件.pdf",
            "%E9%99%84.pdf", "a?b", ".hidden", "./.a", "/", "a;b"]  # fmt: skip
    rnd = random.Random(7)
    refs += ["".join(rnd.choice("ab./-_%:?#@~=;!&") for _ in range(8)) for _ in range(3000)]
    for base in bases:
        for ref in refs:
            assert join_url(base, ref) == urljoin(base, ref), (base, ref)
