"""Chinese full-text search: bigram tokens, queries, and `tzgg search` over a crawled archive."""

from __future__ import annotations

import json

import pytest

from archive.storage.bigrams import (
    QueryError,
    match_expression,
    matches,
    parse_query,
    snippet,
    tokens,
)
from crawler.demo.scenario import apply_round, build_demo_site
from tests.conftest import crawl, tzgg


def test_tokens_are_han_bigrams_and_whole_latin_words():
    assert tokens("征地补偿") == ["征地", "地补", "补偿"]
    assert tokens("岳楼环罚〔2021〕17号") == ["岳楼", "楼环", "环罚", "2021", "17", "号"]
    assert tokens("ＡＢＣ１２３ Wuhan") == ["abc123", "wuhan"]
    assert tokens("，。 ") == []


def test_queries():
    terms = parse_query('督察 "征地补偿" OR 拆迁 NOT 撤销')
    assert [(t.text, t.op) for t in terms] == [
        ("督察", "AND"),
        ("征地补偿", "AND"),
        ("拆迁", "OR"),
        ("撤销", "NOT"),
    ]
    assert match_expression(terms) == ('((("督察") AND "征地 地补 补偿") OR "拆迁") NOT "撤销"')
    assert [t.text for t in parse_query('"unbalanced 公示')] == ["unbalanced", "公示"]
    for bad in ("AND", "督察 OR", "OR 督察", "NOT 督察", "督察 AND AND 拆迁", "，。"):
        with pytest.raises(QueryError):
            parse_query(bad)
    assert parse_query("征")[0].needs_scan and not parse_query("征地")[0].needs_scan


def test_scan_path_and_snippets():
    text = "关于征地补偿安置方案的公告\n现将征地补偿安置方案公告如下。"
    assert matches(text, parse_query("征 NOT 拆迁"))
    # a query may start with NOT: both paths read it as the words after it, without it
    assert parse_query("NOT 撤销 公示") == parse_query("公示 NOT 撤销")
    assert match_expression(parse_query("NOT 撤销 NOT 督察 公示")) == (
        '(("公示") NOT "撤销") NOT "督察"'
    )
    assert not matches("撤销公示", parse_query("NOT 撤销 公示"))
    assert matches("公示名单", parse_query("NOT 撤销 公示"))
    with pytest.raises(QueryError):
        parse_query("NOT 撤销 OR 公示")
    assert not matches(text, parse_query("征 拆迁"))
    assert matches(text, parse_query("拆迁 OR 安置"))
    piece, spans = snippet(text, parse_query("安置"), width=20)
    assert [piece[a:b] for a, b in spans] == ["安置"] * len(spans) and spans


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    from crawler.demo import serve

    site = build_demo_site(style="trs")
    srv = serve(site, host="127.0.0.1", port=0)
    db = tmp_path_factory.mktemp("search") / "a.db"
    try:
        for round_ in (0, 1):
            if round_:
                apply_round(site, round_)
            code, _, p = crawl(site.listing_url(srv.base), db)
            assert code == 0, p.stderr
    finally:
        srv.close()
    return db, site, srv.base


def _search(db, *args) -> list[dict]:
    p = tzgg("search", *args, "--db", db, "--json")
    assert p.returncode == 0, p.stderr
    return [json.loads(line) for line in p.stdout.splitlines()]


def test_a_two_character_word_finds_notices_removed_ones_included(archive):
    db, site, base = archive
    got = _search(db, "公示", "--limit", "100")
    assert len(got) >= 5 and all("公示" in r["title"] + r["snippet"] for r in got)
    assert len({r["id"] for r in got}) == len(got)  # one result per notice
    assert set(got[0]) >= {"id", "url", "urls", "site", "title", "published", "source"}
    removed = [r for r in got if r["status"] == "removed"]
    assert removed and all(r["reason"] and r["status_since"] for r in removed)
    only = _search(db, "公示", "--status", "removed", "--limit", "100")
    assert {r["id"] for r in only} == {r["id"] for r in removed}


def test_text_an_edit_removed_is_found_in_history_only(archive):
    db, site, base = archive
    old = '"公示期为5个工作日（2021年8月23日至2021年8月27日）"'
    assert _search(db, old) == []  # not in the current version
    [hit] = _search(db, old, "--in-history")
    assert hit["matched_version"] == 1 and hit["version"] == 2
    assert "2021年8月27日" in hit["snippet"]


def test_doc_numbers_phrases_one_character_and_filters(archive):
    db, site, base = archive
    [hit] = _search(db, "岳楼市监处〔2021〕42号")
    assert "42号" in hit["title"]
    assert _search(db, '"督察组交办"')[0]["title"].startswith("中央第二生态环境保护督察组")
    assert _search(db, '"督察交办"') == []  # a phrase is not two words
    one = _search(db, "䶮")  # a rare one-character word: the scan path
    assert [r["title"] for r in one] == ["岳阳楼区2021年拟任职干部任前公示"]
    every = _search(db, "公示", "--limit", "100", "--sort", "newest")
    dates = [r["published"] for r in every]
    assert dates == sorted(dates, reverse=True)
    in_july = _search(db, "公示", "--from", "2021-07-01", "--to", "2021-07-31")
    assert in_july and all(r["published"].startswith("2021-07") for r in in_july)
    p = tzgg(
        "search", "公示", "--site", "nowhere.gov.cn", "--db", db
    )  # neither archived nor registered
    assert p.returncode == 2 and "no site 'nowhere.gov.cn'" in p.stderr


def test_bad_queries_are_one_line_errors(archive):
    db, *_ = archive
    for bad in ("AND", "督察 OR"):
        p = tzgg("search", bad, "--db", db)
        assert p.returncode == 2 and p.stderr.startswith("tzgg: error:"), p.stderr
        assert "Traceback" not in p.stderr
    p = tzgg("search", "公示", "--db", db, "--from", "yesterday")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    p = tzgg("search", "公示", "--db", db)
    assert p.returncode == 0 and "公示" in p.stdout


def test_one_character_queries_sort_both_ways(archive):
    db, *_ = archive
    newest = [r["published"] for r in _search(db, "的", "--sort", "newest", "--limit", "3")]
    oldest = [r["published"] for r in _search(db, "的", "--sort", "oldest", "--limit", "3")]
    assert newest == sorted(newest, reverse=True) and oldest == sorted(oldest)
    assert newest[0] > oldest[0]
    fts_oldest = [r["published"] for r in _search(db, "公示", "--sort", "oldest", "--limit", "4")]
    assert len(fts_oldest) == 4 and fts_oldest == sorted(fts_oldest)


def test_the_index_follows_re_derived_versions(archive):
    import sqlite3

    db, *_ = archive
    before = {r["id"] for r in _search(db, "公示", "--limit", "100")}
    conn = sqlite3.connect(db)
    conn.execute("UPDATE versions SET extractor_version = '0'")  # as if from an old tzgg
    conn.commit()
    p = tzgg("reextract", "--db", db)
    assert p.returncode == 0, p.stderr
    assert {r["id"] for r in _search(db, "公示", "--limit", "100")} == before
    # every version is in the index exactly once, under its own tokens
    n = conn.execute("SELECT count(*) FROM versions").fetchone()[0]
    assert conn.execute("SELECT count(*) FROM search_index_docsize").fetchone()[0] == n
    conn.execute("INSERT INTO search_index (search_index) VALUES ('integrity-check')")


def test_a_one_character_search_is_what_reading_every_version_gives(archive, monkeypatch):
    """The scan path lets SQLite test a lone Han character on the stored columns first
    (search._scan); what it finds, for every form of query, is what reading every version's
    text in Python finds: punctuation and full-width letters beside the character, NOT, OR,
    two-character words beside it, versions with files (the demo's PDFs) and without."""
    import random

    from archive.storage import search as s
    from archive.storage.bigrams import matches
    from archive.storage.db import connect

    def every_version(conn, terms):
        rows = conn.execute(f"SELECT {s._DOC_COLUMNS} FROM versions")
        return [r[0] for r in rows if matches(s._text(conn, r), terms)]

    conn = connect(archive[0], readonly=True)
    text = "".join(r[0] for r in conn.execute("SELECT coalesce(title, '') || body FROM versions"))
    chars = sorted({c for c in text if "\u4e00" <= c <= "\u9fff"})

    assert conn.execute("SELECT count(*) FROM versions WHERE attachments != '[]'").fetchone()[0]
    rng = random.Random(7)
    forms = [
        "{a}",
        "{a} {b}",
        "{a} NOT {b}",
        "{a} OR {b}",
        "{a}，",
        "{a}Ａ",
        "{a} 征收",
        "NOT {a} {b}",
    ]
    fast = s._scan
    found = 0
    for _ in range(40):
        a, b = rng.choice(chars), rng.choice(chars)
        for form in forms:
            q = form.format(a=a, b=b)
            for kw in ({}, {"in_history": True}, {"sort": "newest"}):
                monkeypatch.setattr(s, "_scan", fast)
                got = [r["id"] for r in s.search(conn, q, limit=100, **kw)]
                monkeypatch.setattr(s, "_scan", every_version)
                assert got == [r["id"] for r in s.search(conn, q, limit=100, **kw)], (q, kw)
                found += bool(got)
    assert found > 200  # not vacuous


def test_a_one_character_word_only_a_files_text_holds_is_found(tmp_path):
    """The scan's SQL test sees the stored columns only: a version listing a file is read in
    Python all the same, and found by what its file says."""
    from archive.storage.store import Archive
    from tests.conftest import fetch_record

    db = tmp_path / "f.db"
    a = Archive(db)
    run = a.begin_run("www.f.gov.cn", [])
    sha = "ab" * 32
    for n, files in ((1, True), (2, False)):
        rec = fetch_record(
            "www.f.gov.cn",
            f"http://www.f.gov.cn/t{n}.html",
            "2026-01-01T00:00:00Z",
            title=f"关于第{n}号事项的公告",
            published="2026-01-01T09:00:00+08:00",
            body="详见附件。",
            attachments=[{"name": "名单.pdf", "url": "http://www.f.gov.cn/a.pdf", "sha256": sha}]
            if files
            else [],
        )
        rec["texts"] = [{"sha256": sha, "text": "拟聘用人员：甄某某"}] if files else []
        a.ingest(rec, run)
    a.finish_run(run)
    a.close()
    ids = [r["id"] for r in search_fn(db, "甄")]
    assert len(ids) == 1  # the file's text, not the page's
    assert [r["id"] for r in search_fn(db, "甄 NOT 附")] == []
    assert len(search_fn(db, "附")) == 2


def search_fn(db, q):
    from archive.storage.db import connect
    from archive.storage.search import search

    return search(connect(db, readonly=True), q, limit=10)
