"""What `tzgg serve` serves: the tables notices, versions, events and runs and tzgg's pages;
no other table of the archive (webhook URLs carry their tokens) by any URL, with or without
--allow-sql.  One server per configuration, over one archive holding a webhook's secret."""

from __future__ import annotations

import json
import os
import sqlite3
import urllib.error
import urllib.parse
import urllib.request

import pytest
from datasette.utils import tilde_encode

from archive.notify.webhooks import Hook, register
from archive.storage.db import connect
from archive.storage.store import Archive
from tests.conftest import serving_ui
from tests.test_serve import SITE, _fetch

pytestmark = pytest.mark.e2e  # `tzgg serve`, a server of its own

SERVED = {"notices", "versions", "events", "runs"}
TOKEN = "tzggSECRETtoken0123456789"
# the schema, which Datasette reads for every page: it holds no data (it is in tzgg's source)
SCHEMA = {"sqlite_master", "sqlite_schema", "sqlite_temp_master"}
BIG = 100_000  # characters of each version of a hostile edit


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    db = tmp_path_factory.mktemp("allowlist") / "archive.db"
    a = Archive(db)
    run = a.begin_run(SITE, [])
    a.ingest(_fetch(1, "2026-01-01T00:00:00Z", "补偿标准为每亩52000元。"), run)
    # an edit no diff can compare finely in time: random hex, all of it changed
    a.ingest(_fetch(3, "2026-01-01T00:00:00Z", os.urandom(BIG // 2).hex(), "公告三"), run)
    a.finish_run(run)
    run = a.begin_run(SITE, [])
    a.ingest(_fetch(1, "2026-01-02T00:00:00Z", "补偿标准为每亩48000元。"), run)
    a.ingest(_fetch(3, "2026-01-02T00:00:00Z", os.urandom(BIG // 2).hex(), "公告三"), run)
    a.finish_run(run)
    a.close()
    conn = connect(db)
    register(conn, [Hook.from_dict({"url": f"https://chat.example/hook?token={TOKEN}"})])
    conn.close()
    return db


@pytest.fixture(scope="module", params=["default", "--allow-sql"])
def ui(archive, request):
    extra = () if request.param == "default" else (request.param,)
    with serving_ui(archive, *extra) as base:
        yield base, request.param


def _status(url: str, method: str = "GET") -> tuple[int, str]:
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def _unserved(db) -> dict[str, str]:
    """Every table of the archive outside the allow-list (shadow tables and sqlite_sequence
    included), with the row-URL key of its first row."""
    conn = sqlite3.connect(db)
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    out = {}
    for name in set(names) - SERVED:
        info = sorted((r[5], r[1]) for r in conn.execute(f"PRAGMA table_info([{name}])") if r[5])
        cols = ", ".join(f"[{c}]" for _, c in info) or "rowid"
        row = conn.execute(f"SELECT {cols} FROM [{name}] LIMIT 1").fetchone()
        out[name] = ",".join(tilde_encode(str(v)) for v in row or [1] * max(len(info), 1))
    conn.close()
    return out


def test_no_url_reads_a_table_outside_the_allow_list(ui, archive):
    base, config = ui
    unserved = _unserved(archive)
    assert {"webhooks", "deliveries", "captures", "bodies", "search_index_data"} <= set(unserved)
    q = urllib.parse.quote
    for table, key in sorted(unserved.items()):
        t = tilde_encode(table)
        urls = [f"{base}/{t}{ext}" for ext in ("", ".json", ".csv")]
        urls += [f"{base}/{t}/{key}{ext}" for ext in ("", ".json")]
        sql = q(f"select * from [{table}]")
        urls += [f"{base}{ext}?sql={sql}" for ext in ("", ".json", ".csv")]
        urls.append(f"{base}?sql=" + q(f"select count(*) from [{table}]"))
        urls.append(f"{base}/notices?_where=" + q(f"id in (select 1 from [{table}])"))
        for url in urls:
            status, body = _status(url)
            assert status in (403, 404), (config, url, status, body[:300])
            assert TOKEN not in body, url
    # nor through a subquery, a join or a view of SQL's own
    for sql in (
        "select * from notices where site in (select url from webhooks)",
        "select n.id, w.url from notices n join webhooks w",
        "with w as (select * from webhooks) select * from w",
        "select * from main.webhooks",
        "select url from WEBHOOKS",
    ):
        status, body = _status(f"{base}.json?sql=" + q(sql))
        assert status in (403, 404) and TOKEN not in body, (config, sql, status)
    status, body = _status(f"{base[: base.rindex('/')]}/archive.db")  # the file itself
    assert status in (403, 404) and TOKEN not in body


def test_the_served_tables_and_tzgg_pages_still_answer(ui, archive):
    base, config = ui
    [nid] = sqlite3.connect(archive).execute("SELECT id FROM notices WHERE url LIKE '%t1.html'")
    for path in (
        "",
        ".json",
        *(f"/{t}{ext}" for t in sorted(SERVED) for ext in ("", ".json", ".csv")),
        f"/notices/{nid[0]}",
        f"/versions/{nid[0]},2.json",
        "/search?q=" + urllib.parse.quote("征地"),
        "/recent_removals",
        "/recent_edits",
        f"/notice_history?id={nid[0]}",
        f"/version_diff?id={nid[0]}&a=1&b=2",
    ):
        status, body = _status(base + path)
        assert status == 200, (config, path, status, body[:300])
        assert TOKEN not in body
    status, body = _status(f"{base}/search.json?_shape=array&q=" + urllib.parse.quote("征地"))
    assert status == 200 and [r["id"] for r in json.loads(body)] == [nid[0]]  # via tzgg_search
    status, _ = _status(f"{base}.json?sql=" + urllib.parse.quote("select count(*) from notices"))
    assert status == (200 if config == "--allow-sql" else 403)


def test_a_post_is_405_not_a_server_error(ui):
    base, _ = ui
    for url in (f"{base}/notices", f"{base}/search", base):
        assert _status(url, "POST")[0] == 405, url


def test_the_diff_of_two_100_kb_hostile_bodies_renders_at_once(ui, archive):
    """Expected well under 1 s; before the bounded diff, minutes.  The timeout is ten times
    the expected time."""
    base, _ = ui
    [nid] = sqlite3.connect(archive).execute("SELECT id FROM notices WHERE url LIKE '%t3.html'")
    with urllib.request.urlopen(f"{base}/version_diff?id={nid[0]}&a=1&b=2", timeout=10) as r:
        page = r.read().decode()
    assert "too large to compare finely" in page or "too long to compare" in page
