"""`tzgg serve`: Datasette over a real archive, read over HTTP on loopback."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest

from archive.storage.store import Archive
from tests.conftest import fetch_record, serving_ui, tzgg

pytestmark = pytest.mark.e2e  # `tzgg serve`, a server of its own

SITE = "www.example.gov.cn"
BASE = f"http://{SITE}"


def _fetch(n: int, at: str, body: str, title: str | None = None) -> dict:
    return fetch_record(
        SITE,
        f"{BASE}/tzgg/t{n}.html",
        at,
        title=title or f"关于第{n}号地块征地补偿安置方案的公告",
        published=f"2023-05-{n:02d}T09:00:00+08:00",
        source="区自然资源局",
        body=body,
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("serve") / "archive.db"
    a = Archive(db)
    run = a.begin_run(SITE, [])
    a.ingest(
        _fetch(1, "2026-01-01T00:00:00Z", "补偿标准为每亩52000元。\n<script>alert(1)</script>"), run
    )
    a.ingest(_fetch(2, "2026-01-01T00:00:00Z", "拆迁范围见附图。"), run)
    a.finish_run(run)
    run = a.begin_run(SITE, [])
    a.ingest(
        _fetch(1, "2026-01-02T00:00:00Z", "补偿标准为每亩48000元。\n<script>alert(1)</script>"), run
    )
    gone = _fetch(2, "2026-01-02T00:00:00Z", "")
    gone.update(status=404, notice=None)  # notice 2 taken down
    a.ingest(gone, run)
    a.finish_run(run)
    a.close()
    with serving_ui(db, "--allow-sql") as base:  # visitors' SQL is tried below
        yield base


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode()


def _rows(base: str, query: str, **params) -> list[dict]:
    qs = urllib.parse.urlencode({**params, "_shape": "array"})
    return json.loads(_get(f"{base}/{query}.json?{qs}"))


def test_search_page_matches_two_character_words(server):
    titles = [r["title"] for r in _rows(server, "search", q="征地")]
    assert titles == ["关于第2号地块征地补偿安置方案的公告", "关于第1号地块征地补偿安置方案的公告"]
    assert [r["title"] for r in _rows(server, "search", q="拆迁")] == [
        "关于第2号地块征地补偿安置方案的公告"
    ]
    assert _rows(server, "search", q="AND") == []  # a bad query finds nothing, no error page


def test_edits_history_and_a_diff_with_changed_characters_marked(server):
    [edit] = _rows(server, "recent_edits")
    history = _rows(server, "notice_history", id=edit["id"])
    assert [v["version"] for v in history] == [1, 2]
    page = _get(f"{server}/version_diff?id={edit['id']}&a=1&b=2")
    assert "<del>52</del>" in page and "<ins>48</ins>" in page
    # archived text is shown as text: no script from an archived page reaches the browser
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)" in page


def test_visitors_sql_cannot_smuggle_markup(server):
    sql = "select '<table class=\"tzgg-diff\"><script>alert(2)</script>' as diff"
    page = _get(f"{server}?" + urllib.parse.urlencode({"sql": sql}))
    assert "<script>alert(2)</script>" not in page
    # nor by editing what tzgg_diff made (its mark kept), nor by copying the mark off a page
    [edit] = _rows(server, "recent_edits")
    page_mark = _get(f"{server}/version_diff?id={edit['id']}&a=1&b=2")
    mark = page_mark[page_mark.index('<table class="tzgg-diff"') :].split(">", 1)[0] + ">"
    for sql in (
        "select replace(tzgg_diff('a', 'b'), '<tr>', '<script>alert(3)</script><tr>') as diff",
        "select tzgg_diff('a', 'b') || '<img src=x onerror=alert(4)>' as diff",
        f"select '{mark}<script>alert(5)</script>' as diff",
        "select replace(tzgg_diff('a', 'b'), '<del>a</del>',"
        " (select body from versions limit 1)) as diff",  # archived text, unescaped
    ):
        page = _get(f"{server}?" + urllib.parse.urlencode({"sql": sql}))
        assert "<script>alert(" not in page and "<img src=x" not in page, sql
        assert "&lt;script&gt;alert(" in page or "&lt;img src=x" in page, sql  # shown as text


def test_a_busy_port_is_one_line_exit_1_and_nothing_is_left_in_tmp(server, tmp_path):
    port = urllib.parse.urlsplit(server).port  # the running server holds it
    db = tmp_path / "archive.db"
    Archive(db).close()
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    p = tzgg("serve", "--db", db, "--port", port, env={"TMPDIR": str(scratch)}, timeout=60)
    assert p.returncode == 1, p.stderr
    assert p.stderr.splitlines() == [
        f"tzgg: error: cannot serve on 127.0.0.1:{port}: Address already in use"
    ]
    assert list(scratch.iterdir()) == []  # no metadata folder left behind


def test_an_archive_whose_name_holds_hash_or_percent_is_the_one_served(tmp_path):
    """Issue 15 #13: Datasette opened `file:x#1.db?mode=ro` unescaped, i.e. the file `x`."""
    for name, n in (("x", 1), ("x#1%41.db", 2)):  # `x`: the file a cut path would open
        a = Archive(tmp_path / name)
        run = a.begin_run(SITE, [])
        a.ingest(_fetch(n, "2026-01-01T00:00:00Z", "征地范围见附图。"), run)
        a.finish_run(run)
        a.close()
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {"TMPDIR": str(scratch)}
    before = sorted(p.name for p in tmp_path.iterdir())
    with serving_ui(tmp_path / "x#1%41.db", name="x_1_41", env=env) as base:
        rows = json.load(urllib.request.urlopen(base + "/notices.json?_shape=array"))
        assert [r["url"] for r in rows] == [f"{BASE}/tzgg/t2.html"]
    assert list(scratch.iterdir()) == []  # the link to it is gone with the server
    made = {p.name for p in tmp_path.iterdir()} - set(before)
    assert made <= {"x#1%41.db-wal", "x#1%41.db-shm"}  # its own WAL files; none for `x`
