"""The newsroom pages of `tzgg serve` (crawler/webui/routes.py), read over HTTP on loopback:
the demo district crawled for real (`tzgg demo`: edits, removals, a restoration, 公示 windows,
attachments), plus a second site of 25 notices that page a search and a window still open."""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from datetime import datetime, timedelta
from io import BytesIO

import lxml.html
import pytest

from archive.storage.store import Archive
from crawler.schema.times import SHANGHAI
from tests.conftest import REPO, fetch_record, serving_ui, tzgg

pytestmark = pytest.mark.e2e  # `tzgg demo` and `tzgg serve`, processes of their own

OTHER = "www.other.gov.cn"


def _other_notice(n: int, at: str, window_end: str | None = None) -> dict:
    url = f"http://{OTHER}/gsgg/t{n}.html"
    body = f"第{n}项整改任务已完成，现予公示。"
    window = None
    if window_end:
        body += f"公示期至{window_end}。"
        window = {
            "text": f"公示期至{window_end}",
            "start": None,
            "end": window_end,
            "days": None,
            "unit": None,
            "approximate": False,
        }
    return fetch_record(
        OTHER,
        url,
        at,
        title=f"关于第{n}项整改情况的公示",
        published=f"2026-{1 + n % 12:02d}-{1 + n % 28:02d}T09:00:00+08:00",
        source="县发展和改革局",
        body=body,
        objection_window=window,
    )


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory):
    db = tmp_path_factory.mktemp("newsroom") / "demo.db"
    p = tzgg("demo", "--db", db, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    a = Archive(db)
    run = a.begin_run(OTHER, [])
    a.describe_site(OTHER, "某某县人民政府", "431023")
    at = "2026-02-01T00:00:00Z"
    soon = (datetime.now(SHANGHAI) + timedelta(days=10)).date().isoformat()  # as the page counts
    for n in range(1, 26):
        a.ingest(_other_notice(n, at, window_end=soon if n == 1 else None), run)
    a.finish_run(run)
    a.close()
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    facts = {
        "edited": conn.execute(
            "SELECT notice_id, version FROM events WHERE kind = 'edited' AND fields LIKE '%body%'"
        ).fetchone(),
        "removed": [dict(r) for r in conn.execute("SELECT * FROM events WHERE kind='removed'")],
        "restored": [
            r[0] for r in conn.execute("SELECT notice_id FROM events WHERE kind='restored'")
        ],
        "file": conn.execute(
            "SELECT v.notice_id, json_extract(j.value, '$.sha256') FROM versions v,"
            " json_each(v.attachments) j WHERE json_extract(j.value, '$.sha256') IN"
            " (SELECT sha256 FROM bodies) LIMIT 1"
        ).fetchone(),
    }
    conn.close()
    with serving_ui(db, name="demo") as base:
        yield {"root": base.rsplit("/", 1)[0], "db": db, **facts}


def get(url: str) -> tuple[int, str, dict]:
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            return r.status, r.read().decode("utf-8"), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace"), dict(e.headers)


def doc(html: str):
    return lxml.html.document_fromstring(html)


def result_ids(html: str) -> list[str]:
    return [a.get("href").rsplit("/", 1)[1] for a in doc(html).cssselect("ol.results a.title")]


def search(root: str, **params) -> tuple[int, str]:
    code, html, _ = get(f"{root}/search?" + urllib.parse.urlencode(params))
    return code, html


def test_home_leads_with_search_then_removals_edits_windows_and_health(newsroom):
    code, html, _ = get(newsroom["root"] + "/")
    assert code == 200
    d = doc(html)
    form = d.cssselect("form.tzgg-search")[0]
    assert form.get("action") == "/search" and form.cssselect("input[name=q]")
    assert "select " not in d.text_content().lower()  # no raw SQL on the page
    removals = d.cssselect("#removals li")
    assert len(removals) == len(newsroom["removed"]) >= 3
    restored = [li for li in removals if li.cssselect(".badge.restored")]
    assert len(restored) == len(set(newsroom["restored"])) >= 1  # restored since: it says so
    assert all("restored" not in li.text_content() for li in removals if li not in restored)
    edits = d.cssselect("#edits a.diff-link")
    nid, version = newsroom["edited"]
    assert f"/notice/{nid}/diff?a={version - 1}&b={version}" in [a.get("href") for a in edits]
    windows = d.cssselect("#windows tbody tr")
    assert len(windows) == 1 and "关于第1项整改情况的公示" in windows[0].text_content()
    assert windows[0].cssselect("td")[1].text_content().strip() == "10"  # days left
    health = {
        tr.cssselect("td")[1].text_content().strip(): tr for tr in d.cssselect("#health tbody tr")
    }
    assert set(health) == {"430602", "431023"}  # the region each crawl recorded
    assert "某某县人民政府" in health["431023"].text_content()
    specs = [json.loads(s.text) for s in d.cssselect("script.tzgg-chart-spec")]
    assert [s["title"].split(" · ")[1] for s in specs] == [
        "events per week",
        "removals and edits per site",
        "notices per site over time",
    ]
    assert all(s["data"]["values"] for s in specs)


@pytest.mark.parametrize(
    "query",
    ["征收", '"补偿安置方案"', "征收 NOT 棚户区", "征收 OR 招聘", "亩", "整改"],
)
def test_search_gives_what_the_cli_gives_for_each_form_of_query(newsroom, query):
    p = tzgg("search", query, "--db", newsroom["db"], "--json", "--limit", "20")
    assert p.returncode == 0, p.stderr
    cli = [json.loads(x)["id"] for x in p.stdout.splitlines()]
    assert cli, query  # not vacuous: each query finds something
    code, html = search(newsroom["root"], q=query)
    assert code == 200 and result_ids(html) == cli
    assert doc(html).cssselect("ol.results mark")  # the words highlighted in the snippets


def test_search_filters_sorts_and_pages(newsroom):
    root = newsroom["root"]
    code, html = search(root, q="整改")
    assert code == 200 and len(result_ids(html)) == 20
    assert doc(html).cssselect("a[rel=next]") and not doc(html).cssselect("a[rel=prev]")
    next_url = doc(html).cssselect("a[rel=next]")[0].get("href")
    assert "q=%E6%95%B4%E6%94%B9" in next_url and "page=2" in next_url
    _, html2 = get(root + next_url)[:2]
    p = tzgg("search", "整改", "--db", newsroom["db"], "--json", "--limit", "100")
    every = [json.loads(x)["id"] for x in p.stdout.splitlines()]
    assert len(every) > 25 and result_ids(html) + result_ids(html2) == every
    assert doc(html2).cssselect("a[rel=prev]") and not doc(html2).cssselect("a[rel=next]")
    # a site and a region filter narrow to that site; the date range and sort apply
    for params in (
        {"site": "yueyanglou"},
        {"site": OTHER},
        {"source": "自然资源局"},
        {"to": "2021-06-30"},
        {"from": "2021-06-01", "to": "2021-09-30", "sort": "oldest"},
        {"status": "active", "sort": "newest"},
    ):
        flags = [x for k, v in params.items() for x in (f"--{k}", v)]
        p = tzgg("search", "征收", "--db", newsroom["db"], *flags, "--json", "--limit", "20")
        cli = [json.loads(x)["id"] for x in p.stdout.splitlines()]
        assert result_ids(search(root, q="征收", **params)[1]) == cli, params
    assert result_ids(search(root, q="征收", site="yueyanglou")[1])  # not vacuous
    assert len(result_ids(search(root, q="整改", region="4310")[1])) == 20
    assert len(result_ids(search(root, q="整改", region="430602")[1])) == len(every) - 25
    newest = result_ids(search(root, q="整改", sort="newest", **{"from": "2026-06-01"})[1])
    p = tzgg(
        "search",
        "整改",
        "--db",
        newsroom["db"],
        "--sort",
        "newest",
        "--from",
        "2026-06-01",
        "--json",
        "--limit",
        "20",
    )
    assert newest == [json.loads(x)["id"] for x in p.stdout.splitlines()] and newest
    # status: removed ones carry their badge, reason and date
    _, html = search(root, q="公告", status="removed")
    badges = doc(html).cssselect("ol.results .badge.removed")
    assert len(badges) == len(result_ids(html)) >= 1
    assert any(e["reason"] in badges[0].text_content() for e in newsroom["removed"])


def test_in_history_finds_text_only_an_earlier_version_held(newsroom):
    nid, version = newsroom["edited"]
    code, html = search(newsroom["root"], q='"8月27日"')
    assert code == 200 and result_ids(html) == []
    assert "history=1" in doc(html).cssselect("p.none a")[0].get("href")
    _, html = search(newsroom["root"], q='"8月27日"', history="1")
    assert result_ids(html) == [nid]
    assert f"only in version {version - 1}" in doc(html).text_content()


@pytest.mark.parametrize(
    "params, says",
    [
        ({"q": "征收", "sort": "sideways"}, "sort"),
        ({"q": "征收", "page": "0"}, "page"),
        ({"q": "征收", "page": "x"}, "page"),
        ({"q": "征收", "from": "yesterday"}, "from"),
        ({"q": "征收", "region": "岳阳"}, "region"),
        ({"q": "征收", "status": "gone"}, "status"),
    ],
)
def test_a_bad_search_parameter_is_a_one_line_400(newsroom, params, says):
    code, html = search(newsroom["root"], **params)
    assert code == 400
    (error,) = doc(html).cssselect(".tzgg-error")
    assert error.text_content().startswith(says) and "\n" not in error.text_content()


def test_a_query_that_cannot_run_says_why_on_the_page(newsroom):
    code, html = search(newsroom["root"], q="NOT 征收")
    (error,) = doc(html).cssselect(".tzgg-error")
    assert code == 200 and "NOT needs something" in error.text_content()
    assert result_ids(html) == []


def test_a_notice_page_shows_its_fields_files_window_and_timeline(newsroom):
    nid, version = newsroom["edited"]
    code, html, _ = get(f"{newsroom['root']}/notice/{nid}")
    assert code == 200
    d = doc(html)
    labels = [th.text.strip() for th in d.cssselect("table.tzgg-fields th")]
    assert labels[:2] == ["标题", "发布日期"]  # the schema's labels, in its order
    assert "公示期" in labels
    times = [t.text for t in d.cssselect("ol.timeline time")]
    assert times == sorted(times)
    kinds = {li.get("class").split()[0] for li in d.cssselect("ol.timeline li")}
    assert kinds == {"capture", "version", "event"}
    assert f"/notice/{nid}/diff?a={version - 1}&b={version}" in [
        a.get("href") for a in d.cssselect("a.diff-link")
    ]
    assert d.cssselect(f'a[href="/notice/{nid}/evidence.wacz"]')


def test_a_removed_notice_shows_why_with_its_evidence(newsroom):
    gone = next(e for e in newsroom["removed"] if e["notice_id"] not in newsroom["restored"])
    code, html, _ = get(f"{newsroom['root']}/notice/{gone['notice_id']}")
    d = doc(html)
    assert code == 200 and gone["reason"] in d.cssselect("h1 + p .badge.removed")[0].text_content()
    event = d.cssselect("ol.timeline li.event.removed")[0]
    assert event.cssselect("details pre") and gone["reason"] in event.text_content()


def test_an_archived_attachment_is_a_download_never_a_page(newsroom):
    nid, sha = newsroom["file"]
    with urllib.request.urlopen(f"{newsroom['root']}/notice/{nid}/file/{sha}") as r:
        data = r.read()
        assert r.headers["Content-Disposition"].startswith("attachment;")
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Content-Security-Policy"] == "sandbox"
        assert r.headers["Content-Type"] == "application/octet-stream"
    import hashlib

    assert hashlib.sha256(data).hexdigest() == sha
    other = newsroom["edited"][0] if newsroom["edited"][0] != nid else newsroom["removed"][0]
    code, _, _ = get(f"{newsroom['root']}/notice/{other}/file/{sha}")
    assert code == 404  # only a file the notice itself lists


def test_the_diff_marks_a_one_character_edit_in_colour_changed_fields_first(newsroom):
    nid, version = newsroom["edited"]
    root = newsroom["root"]
    code, html, _ = get(f"{root}/notice/{nid}/diff?a={version - 1}&b={version}")
    assert code == 200
    d = doc(html)
    fields = d.cssselect("section.field.changed")
    assert fields and fields[0].get("id") == "field-body"
    assert [x.text for x in fields[0].cssselect("del")][:1] == ["5"]
    assert [x.text for x in fields[0].cssselect("ins")][:1] == ["7"]
    assert re.search(r"\d+ 字未变", fields[0].text_content())  # long kept runs collapsed
    assert "未变的字段" in d.text_content()
    css = get(f"{root}/tzgg-static/tzgg.css")[1]
    assert re.search(r"del \{[^}]*background", css) and re.search(r"ins \{[^}]*background", css)
    _, side, _ = get(f"{root}/notice/{nid}/diff?a={version - 1}&b={version}&view=side")
    cols = doc(side).cssselect("section.field.changed .side")[0]
    assert cols.cssselect(".old del") and cols.cssselect(".new ins")
    assert not cols.cssselect(".old ins") and not cols.cssselect(".new del")
    # the default pair is the last edit
    assert get(f"{root}/notice/{nid}/diff")[1].count("<del>") == html.count("<del>")


@pytest.mark.parametrize(
    "path, code",
    [
        ("/notice/nosuchnotice", 404),
        ("/notice/{nid}/diff?a=1&b=99", 404),
        ("/notice/{nid}/diff?a=x", 400),
        ("/notice/{nid}/file/" + "0" * 64, 404),
        ("/notice/nosuchnotice/evidence.wacz", 404),
        ("/site/nosuchsite", 404),
        ("/notice/" + urllib.parse.quote("http://[::1", safe=""), 404),  # no URL at all
        ("/notice/" + urllib.parse.quote("http://a:99999/", safe="") + "/diff", 404),
        ("/search?q=x&page=51", 400),
    ],
)
def test_what_is_not_there_is_a_404_in_one_line(newsroom, path, code):
    got, html, _ = get(newsroom["root"] + path.format(nid=newsroom["edited"][0]))
    assert got == code
    assert len(doc(html).cssselect(".tzgg-error")) == 1


def test_a_site_page_shows_its_crawls_events_counts_and_charts(newsroom):
    code, html, _ = get(newsroom["root"] + "/site/yueyanglou")
    assert code == 200
    d = doc(html)
    assert "430602" in d.cssselect("h1 + p")[0].text_content()
    specs = {
        s.get("data-target"): json.loads(s.text) for s in d.cssselect("script.tzgg-chart-spec")
    }
    assert set(specs) == {"chart-health", "chart-notices"}
    assert len(specs["chart-health"]["data"]["values"]) == len(
        d.cssselect("table.tzgg-table tbody tr")
    )
    assert specs["chart-notices"]["data"]["values"][-1]["total"] >= 10
    assert d.cssselect("ol.events li.event.removed") and d.cssselect("ol.events a.diff-link")


def test_the_evidence_bundle_downloads_as_a_wacz(newsroom):
    nid, _ = newsroom["edited"]
    with urllib.request.urlopen(f"{newsroom['root']}/notice/{nid}/evidence.wacz") as r:
        assert r.headers["Content-Disposition"].startswith("attachment;")
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Content-Security-Policy"] == "sandbox"
        data = r.read()
    names = zipfile.ZipFile(BytesIO(data)).namelist()
    assert "datapackage.json" in names and any(n.startswith("archive/") for n in names)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/search?q=x",
        "/notice/{nid}",
        "/notice/{nid}/diff",
        "/site/yueyanglou",
        "/notice/{nid}/evidence.wacz",
        "/notice/{nid}/file/" + "0" * 64,
    ],
)
def test_a_post_to_any_page_is_405(newsroom, path):
    req = urllib.request.Request(
        newsroom["root"] + path.format(nid=newsroom["edited"][0]), data=b"x=1", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req)
    assert e.value.code == 405


def test_the_charting_library_is_vendored_with_its_version_and_licence(newsroom):
    from crawler.webui.routes import STATIC

    vendor = STATIC / "vendor"
    readme = (vendor / "README.md").read_text(encoding="utf-8")
    for lib in ("vega", "vega-lite", "vega-embed"):
        assert (vendor / f"LICENSE.{lib}").is_file() and re.search(rf"\| {lib} \| \d+\.\d+", readme)
        code, js, headers = get(f"{newsroom['root']}/tzgg-static/vendor/{lib}.min.js")
        assert code == 200 and len(js) > 50_000
    home = get(newsroom["root"] + "/")[1]
    assert not re.search(r"<script[^>]+src=\"https?://", home)  # no CDN: works offline


def test_a_notice_never_edited_has_nothing_to_compare(newsroom):
    conn = sqlite3.connect(newsroom["db"])
    (nid,) = conn.execute("SELECT id FROM notices WHERE current_version = 1").fetchone()
    conn.close()
    code, html, _ = get(f"{newsroom['root']}/notice/{nid}/diff")
    assert code == 404 and "nothing to compare" in doc(html).cssselect(".tzgg-error")[0].text


def test_identical_captures_are_one_row_of_the_timeline_with_their_count(newsroom):
    nid, _ = newsroom["edited"]
    d = doc(get(f"{newsroom['root']}/notice/{nid}")[1])
    rows = [li.text_content() for li in d.cssselect("ol.timeline li.capture")]
    conn = sqlite3.connect(newsroom["db"])
    (n,) = conn.execute(
        "SELECT count(*) FROM captures WHERE notice_id = ? AND kind = 'detail'", (nid,)
    ).fetchone()
    conn.close()
    counts = [int(m[1]) if (m := re.search(r"×(\d+)", r)) else 1 for r in rows]
    assert sum(counts) == n and len(rows) < n  # every capture counted, runs of them folded


def test_times_are_shown_in_chinas_time(newsroom):
    conn = sqlite3.connect(newsroom["db"])
    (at,) = conn.execute("SELECT at FROM events WHERE kind = 'removed' LIMIT 1").fetchone()
    conn.close()
    local = (datetime.fromisoformat(at.replace("Z", "+00:00")) + timedelta(hours=8)).strftime(
        "%Y-%m-%d %H:%M"
    )
    assert local in doc(get(newsroom["root"] + "/")[1]).cssselect("#removals")[0].text_content()


def test_the_archives_own_pages_answer_from_the_first_request(newsroom):
    """Datasette's database page reads the search indexes' config (allowed), first time too:
    a server of its own, whose first request is that page (it binds its port before it
    starts: the request waits for it, no polling first)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "crawler.cli", "serve", "--db", str(newsroom["db"])]
    proc = subprocess.Popen(
        [*cmd, "--port", str(port)],
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:  # until the port is bound; then the request waits for the app
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.05)
        base = f"http://127.0.0.1:{port}/demo"
        for url in (base, base + ".json", f"http://127.0.0.1:{port}/"):
            assert get(url)[0] == 200, url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_events_are_counted_by_chinas_week(tmp_path):
    from crawler.webui.reads import events_by_week

    db = tmp_path / "w.db"
    Archive(db).close()
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    rows = [  # Sunday 2026-03-01 20:00 UTC is Monday 04:00 in China: the week of 03-02
        ("2026-03-01T20:00:00Z", "removed"),
        ("2026-03-01T15:00:00Z", "removed"),  # Sunday 23:00 in China: the week of 02-23
        ("2026-01-01T00:00:00Z", "edited"),  # before the 26 weeks shown: Monday-aligned start
        ("2025-08-31T15:59:59Z", "edited"),  # 2025-08-31 23:59 in China: too early
    ]
    conn.executemany(
        "INSERT INTO events (site, url, kind, at) VALUES ('s', 'u', ?, ?)",
        [(k, at) for at, k in rows],
    )
    weeks = events_by_week(conn, weeks=26, today="2026-03-04")
    got = {(w["week"], w["kind"]): w["n"] for w in weeks}
    assert got == {
        ("2025-12-29", "edited"): 1,
        ("2026-02-23", "removed"): 1,
        ("2026-03-02", "removed"): 1,
    }
    # the first week shown starts on a Monday, whole
    assert min(w["week"] for w in events_by_week(conn, weeks=0, today="2026-03-04")) == "2026-03-02"


def test_a_search_past_the_pages_time_says_so(newsroom):
    from crawler.webui.reads import TOO_BROAD, search_page

    conn = sqlite3.connect(f"file:{newsroom['db']}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    # the time runs out once the one-character word's read of every version has begun
    scanning = []
    conn.set_trace_callback(lambda sql: scanning.append(" FROM versions" in sql))
    conn.set_progress_handler(lambda: any(scanning), 1)
    assert search_page(conn, {"q": "亩"})["error"] == TOO_BROAD
    conn.set_trace_callback(None)
    conn.set_progress_handler(None, 0)
    assert search_page(conn, {"q": "亩"})["results"]


def test_the_home_pages_aggregates_are_read_again_when_the_archive_changes(tmp_path):
    from crawler.webui.reads import Aggregates

    db = tmp_path / "a.db"
    a = Archive(db)
    run = a.begin_run(OTHER, [])
    a.ingest(_other_notice(1, "2026-02-01T00:00:00Z"), run)
    a.finish_run(run)
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    kept = Aggregates()
    first = kept.get(conn, str(db), "2026-02-02")
    assert kept.get(conn, str(db), "2026-02-02") is first  # unchanged: not read again
    run = a.begin_run(OTHER, [])
    a.ingest(_other_notice(2, "2026-02-02T00:00:00Z"), run)
    a.finish_run(run)
    a.close()
    second = kept.get(conn, str(db), "2026-02-02")
    assert second is not first and second["health"][0]["counts"] == {"active": 2}
    assert kept.get(conn, str(db), "2026-02-03") is not second  # a new day


def test_an_archive_named_like_a_page_keeps_its_datasette_pages(newsroom, tmp_path):
    """`search.db`: tzgg's /search is the search page; the archive's own pages move aside."""
    import shutil

    db = tmp_path / "search.db"
    shutil.copy(newsroom["db"], db)
    with serving_ui(db, name="search_archive") as base:
        root = base.rsplit("/", 1)[0]
        assert get(base)[0] == 200 and get(base + "/notices")[0] == 200
        code, html = search(root, q="征收")
        assert code == 200 and result_ids(html)
        assert doc(get(root + "/")[1]).cssselect('nav a[href="/search_archive"]')
