"""Site overrides as data: a registry entry fixes a site the generic rules get wrong."""

from __future__ import annotations

import json

import pytest

from crawler.parse.notice import extract_notice
from crawler.parse.notice.overrides import OverrideError, Overrides
from crawler.sites.registry import Registry, RegistryError
from tests.conftest import crawl, events, tzgg

URL = "http://www.odd.gov.cn/news/show.php?id=88"

# A site whose template defeats the generic rules: the site name sits in an <h1>, the
# publish date is labelled 发稿时间 (no generic label), the issuing office 供稿单位, and the
# article is a bare <div class="nr"> beside a longer, denser list of links.
ODD_PAGE = (
    """<html><head><meta charset="utf-8"><title>某某县人民政府</title></head><body>
<h1 class="logo">某某县人民政府</h1>
<div class="main">
 <div class="nr">
  <div class="bt">关于某某路段临时交通管制的通告</div>
  <div class="xx">发稿时间：2023-06-01 09:30 供稿单位：县公安局交警大队 点击：120</div>
  <div class="txt"><p>因道路施工需要，6月5日至6月20日对某某路实行临时交通管制。</p>
  <p>请过往车辆绕行。</p>
  <p>特此通告。</p></div>
  <p>附：<a href="/up/2023/gz.pdf">管制路段示意图.pdf</a></p>
 </div>
 <div class="side"><h3>县内要闻</h3><ul>
"""
    + "".join(
        f'  <li><a href="/news/show.php?id={i}">县里召开第{i}次工作推进会议并部署下一阶段各项重点工作'
        f"任务安排</a> 2023-05-{i:02d}</li>\n"
        for i in range(1, 25)
    )
    + """ </ul></div>
</div></body></html>"""
)

OVERRIDES = {
    "title": "div.nr > div.bt",
    "published": {"labels": ["发稿时间"]},
    "source": {"labels": ["供稿单位"]},
    "body": "xpath://div[@class='nr']/div[@class='txt']",
    "attachments": "div.nr",
}


def test_overrides_fix_what_the_generic_rules_miss():
    plain = extract_notice(ODD_PAGE.encode(), URL)
    fixed = extract_notice(ODD_PAGE.encode(), URL, None, Overrides.from_dict(OVERRIDES))
    assert fixed.title == "关于某某路段临时交通管制的通告"
    assert fixed.published == "2023-06-01T09:30:00+08:00"
    assert fixed.source == "县公安局交警大队"
    assert fixed.body.startswith("因道路施工需要") and fixed.body.endswith("特此通告。")
    assert "工作推进会议" not in fixed.body
    assert [a.url for a in fixed.attachments] == ["http://www.odd.gov.cn/up/2023/gz.pdf"]
    # and the overrides are what made the difference
    assert (plain.title, plain.published, plain.source) != (
        fixed.title,
        fixed.published,
        fixed.source,
    )


def test_an_xpath_may_name_an_attribute_and_a_selector_that_misses_gives_nothing():
    page = ODD_PAGE.replace("<head>", '<head><meta name="firstpublishedtime" content="2023-05-31">')
    ov = Overrides.from_dict(
        {
            "published": "xpath://meta[@name='firstpublishedtime']/@content",
            "doc_number": "span.wh",  # not on this page: no 文号, not a guess
        }
    )
    n = extract_notice(page.encode(), URL, None, ov)
    assert n.published == "2023-05-31"
    assert n.doc_number is None


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"titel": "h1"}, "unknown field 'titel'"),
        ({"title": "div[[["}, "bad selector"),
        ({"title": "xpath://div[@"}, "bad selector"),
        ({"body": {"labels": ["正文"]}}, "use a selector"),
        ({"source": {"labels": []}}, "a list of label words"),
        ({"source": {"label": "来源"}}, "give a selector string"),
        ({"encoding": "klingon"}, "unknown charset"),
        ({"encoding": "base64"}, "unknown charset"),
        ({"title": "xpath://x:h1"}, "bad selector"),
        ({"source": {"labels": 5}}, "a list of label words"),
    ],
)
def test_bad_overrides_are_named(table, message):
    with pytest.raises(OverrideError, match=message):
        Overrides.from_dict(table)


def _registry(tmp_path, host: str, overrides: str) -> str:
    path = tmp_path / "sites.toml"
    path.write_text(
        f"""
[sites.odd]
name = "某某县人民政府"
region = "430602"
listings = ["{host}/tzgg/index.html"]

[sites.odd.overrides]
{overrides}
""",
        encoding="utf-8",
    )
    return str(path)


def test_registry_entries_are_found_by_host_and_checked(tmp_path):
    reg = Registry.load(_registry(tmp_path, "http://www.odd.gov.cn", 'title = "div.bt"'))
    assert reg.for_url(URL).key == "odd"
    assert reg.for_url("http://elsewhere.gov.cn/a.html") is None
    bad = _registry(tmp_path, "http://www.odd.gov.cn", 'titel = "div.bt"')
    with pytest.raises(RegistryError, match=r"sites\.odd\.overrides: unknown field 'titel'"):
        Registry.load(bad)
    for text, message in [
        ("sites = 5", "must be a table"),
        ("[sites.a]\nlistings = 5", "a list of http"),
        ('[sites.a]\nlistings = ["ftp://x.gov.cn/"]', "a list of http"),
        ('[sites.a]\nschedul = "daily"', "unknown keys"),
    ]:
        (tmp_path / "r.toml").write_text(text, encoding="utf-8")
        with pytest.raises(RegistryError, match=message):
            Registry.load(tmp_path / "r.toml")


def test_tzgg_extract_applies_the_registry_entry(tmp_path):
    page = tmp_path / "odd.html"
    page.write_text(ODD_PAGE, encoding="utf-8")
    table = "\n".join(
        f"{k} = {json.dumps(v, ensure_ascii=False)}"
        if isinstance(v, str)
        else f"{k} = {{ labels = {json.dumps(v['labels'], ensure_ascii=False)} }}"
        for k, v in OVERRIDES.items()
    )
    reg = _registry(tmp_path, "http://www.odd.gov.cn", table)
    p = tzgg("extract", page, "--url", URL, "--registry", reg, "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["title"] == "关于某某路段临时交通管制的通告"
    p = tzgg("extract", page, "--url", URL, "--registry", reg, "--site", "nope")
    assert p.returncode == 2 and p.stderr.startswith("tzgg: error: unknown site 'nope'")
    broken = tmp_path / "broken.toml"
    broken.write_text("[sites.odd\n", encoding="utf-8")
    p = tzgg("extract", page, "--registry", broken)
    assert p.returncode == 2 and "not valid TOML" in p.stderr
    assert "Traceback" not in p.stderr


def test_a_crawl_uses_the_overrides_of_the_site_it_crawls(tmp_path, serve):
    from crawler.demo import DistrictSite

    site = DistrictSite(style="trs")
    site.add("关于开展2023年度安全检查的通知", body=["各单位：", "请做好检查。"])
    srv = serve(site)
    # An override every page shows: the title read from the ColumnName meta.
    reg = _registry(tmp_path, srv.base, "title = \"xpath://meta[@name='ColumnName']/@content\"")
    db = tmp_path / "a.db"
    code, [s], p = crawl(site.listing_url(srv.base), db, "--registry", reg)
    assert code == 0, p.stderr
    shown = json.loads(tzgg("show", srv.base + site.path(1), "--db", db, "--json").stdout)
    assert shown["versions"][0]["title"] == "通知公告"
    # and by its key
    code, [s], p = crawl("odd", tmp_path / "b.db", "--registry", reg)
    assert code == 0 and s["counts"]["new"] == 1, p.stderr
    # Changing the overrides is not an edit of every notice: the site's versions are re-derived
    # with the new ones before the crawl compares.
    reg2 = _registry(tmp_path, srv.base, 'source = "xpath://title"')
    code, [s], p = crawl(site.listing_url(srv.base), db, "--registry", reg2)
    assert code == 0 and s["counts"].get("edited", 0) == 0, (s, p.stderr)
    shown = json.loads(tzgg("show", srv.base + site.path(1), "--db", db, "--json").stdout)
    assert shown["versions"][0]["title"] == "关于开展2023年度安全检查的通知"
    assert shown["versions"][0]["source"].startswith("关于开展2023年度安全检查的通知")
    # re-extraction keeps the site's overrides (no silent drift back to the generic rules)
    p = tzgg("reextract", "--db", db, "--registry", reg2)
    assert p.returncode == 0 and "0 changed" in p.stdout, (p.stdout, p.stderr)
    p = tzgg("reextract", "--db", db, "--registry", tmp_path / "none.toml")
    assert p.returncode == 2 and p.stderr.startswith("tzgg: error: no registry at")


def test_two_districts_on_one_host_keep_their_own_overrides(tmp_path, serve):
    """A city's 集约化 platform hosts several districts: their listings /col/colNNNN/, their
    notices /art/…, a path neither listing shares.  A notice is re-derived with the overrides
    of the site it is filed under, never those of whichever entry comes first in the file."""
    import sqlite3

    from crawler.demo.scenario import build_demo_site
    from crawler.sites.registry import PageExtractor, SiteExtractor

    site = build_demo_site(style="hanweb")
    srv = serve(site)
    path = tmp_path / "sites.toml"
    text = (
        f'[sites.nanhu]\nlistings = ["{srv.base}/col/col9999/index.html"]\n'
        '[sites.nanhu.overrides]\nsource = "xpath://title"\n'
        f'[sites.yylq]\nlistings = ["{site.listing_url(srv.base)}"]\n'
        "[sites.yylq.overrides]\nsource = \"xpath://div[@class='small-title']/span[3]\"\n"
    )
    path.write_text(text, encoding="utf-8")
    reg = Registry.load(path)
    nid = site.nids()[0]
    detail = srv.base + site.path(nid)
    assert reg.for_url(detail) is None  # its URL does not say whose it is
    body = site.handle("GET", site.path(nid)).body
    own = SiteExtractor(reg.sites["yylq"].overrides)(body, detail, None).source
    assert own and own != SiteExtractor(reg.sites["nanhu"].overrides)(body, detail, None).source
    assert PageExtractor(reg).for_site("yylq")(body, detail, None).source == own

    def shown_source():
        p = tzgg("show", detail, "--db", db, "--json")
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)["versions"][-1]["source"]

    db = tmp_path / "a.db"
    code, [s], p = crawl("yylq", db, "--registry", path)
    assert code == 0 and s["counts"]["new"] == 12, p.stderr
    assert shown_source() == own
    p = tzgg("reextract", "--db", db, "--registry", path)
    assert p.returncode == 0 and "0 changed" in p.stdout, (p.stdout, p.stderr)
    assert shown_source() == own
    code, [s], p = crawl("yylq", db, "--registry", path)  # the site did not change
    assert code == 0 and s["counts"].get("edited", 0) == 0, (s, p.stderr)
    # the group refines its entry: the versions are re-derived with yylq's new overrides
    path.write_text(text + 'doc_number = { labels = ["文号"] }\n', encoding="utf-8")
    code, [s], p = crawl("yylq", db, "--registry", path)
    assert code == 0 and s["counts"].get("edited", 0) == 0, (s, p.stderr)
    assert not [e for e in events(db) if e["kind"] == "edited"]
    assert shown_source() == own
    tag = SiteExtractor(Registry.load(path).sites["yylq"].overrides).tag()
    conn = sqlite3.connect(db)
    assert {r[0] for r in conn.execute("SELECT DISTINCT extractor_version FROM versions")} == {tag}
    conn.close()
    # a URL given alone, on the shared host, belongs to the entry whose listing it shares
    # most of its path with, and to none when that ties
    assert reg.for_url(site.listing_url(srv.base)).key == "yylq"
    assert reg.for_url(f"{srv.base}/col/col9999/index.html").key == "nanhu"
    assert reg.for_url(f"{srv.base}/index.html") is None


def test_for_url_is_none_when_entries_tie_and_a_host_of_one_entry_is_that_entry():
    reg = Registry.from_dict(
        {
            "sites": {
                "a": {"listings": ["http://city.gov.cn/col/col1/", "http://a.gov.cn/tzgg/"]},
                "b": {"listings": ["http://city.gov.cn/col/col2/index.html"]},
            }
        }
    )
    assert reg.for_url("http://city.gov.cn/art/2023/1/2/art_1_9.html") is None
    assert reg.for_url("http://city.gov.cn/col/col2/index.html").key == "b"
    assert reg.for_url("http://a.gov.cn/anywhere/else.html").key == "a"  # its host alone
    # two listings of one entry do not tie with each other
    one = Registry.from_dict(
        {"sites": {"a": {"listings": ["http://c.gov.cn/col/col1/", "http://c.gov.cn/col/col2/"]}}}
    )
    assert one.for_url("http://c.gov.cn/art/x.html").key == "a"


def test_an_extractor_bound_to_a_site_reads_with_that_sites_overrides():
    from crawler.parse.notice.overrides import version_tag
    from crawler.sites.registry import PageExtractor

    reg = Registry.from_dict(
        {
            "sites": {
                "a": {"listings": ["http://city.gov.cn/col/col1/"], "overrides": OVERRIDES},
                "b": {"listings": ["http://city.gov.cn/col/col2/"]},
                "odd": {"listings": ["http://www.odd.gov.cn/tzgg/"], "overrides": OVERRIDES},
            }
        }
    )
    extract = PageExtractor(reg)
    tagged = version_tag(reg.sites["a"].overrides)
    assert tagged != version_tag(None)
    # by its key, whatever the page's URL
    assert extract.for_site("a").tag() == tagged
    assert extract.for_site("b", ["http://city.gov.cn/col/col1/"]).tag() == version_tag(None)
    assert (
        extract.for_site("odd")(ODD_PAGE.encode(), URL, None).title
        == "关于某某路段临时交通管制的通告"
    )
    # filed under a host name: its listings' entry, as a crawl of them reads it
    assert extract.for_site("city.gov.cn", ["http://city.gov.cn/col/col1/"]).tag() == tagged
    assert extract.for_site("city.gov.cn", ["http://city.gov.cn/"]).tag() == version_tag(None)
    assert extract.for_site("www.odd.gov.cn", [URL]).tag() == tagged  # its host's one entry
    # a key no longer in the registry: no overrides, not those of its URL's entry
    assert extract.for_site("gone", ["http://www.odd.gov.cn/tzgg/"]).tag() == version_tag(None)
    assert PageExtractor(None).for_site("a").tag() == version_tag(None)
