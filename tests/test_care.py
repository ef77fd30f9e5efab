"""`tzgg verify` re-hashes every stored byte; `tzgg backup` copies the archive consistently
while a crawl writes to it."""

from __future__ import annotations

import json
import random
import resource
import signal
import sqlite3
import zlib

import pytest

from crawler.demo import DistrictSite
from crawler.demo.scenario import build_demo_site
from tests.conftest import Gate, crawl, start_crawl, tzgg


def test_verify_finds_a_changed_byte_and_a_missing_body(tmp_path, serve):
    site = build_demo_site(style="trs")
    db = tmp_path / "a.db"
    assert crawl(site.listing_url(serve(site).base), db)[0] == 0
    p = tzgg("verify", "--db", db, "--json")
    report = json.loads(p.stdout)
    assert p.returncode == 0 and report["ok"] and report["bodies"] >= 10
    assert report["integrity"] == ["ok"] and report["bad"] == [] and report["missing"] == []

    conn = sqlite3.connect(db)
    sha, data = conn.execute("SELECT sha256, data FROM bodies LIMIT 1").fetchone()
    raw = bytearray(zlib.decompress(data))
    raw[len(raw) // 2] ^= 1  # one bit of one archived page
    conn.execute("UPDATE bodies SET data = ? WHERE sha256 = ?", (zlib.compress(bytes(raw)), sha))
    gone = conn.execute(
        "SELECT body_sha256 FROM captures WHERE body_stored = 1 AND body_sha256 != ? LIMIT 1",
        (sha,),
    ).fetchone()[0]
    conn.execute("DELETE FROM bodies WHERE sha256 = ?", (gone,))
    conn.commit()
    conn.close()
    p = tzgg("verify", "--db", db)
    assert p.returncode == 1
    assert f"bad body {sha}: its bytes hash to another sha256" in p.stdout
    assert f"missing body {gone}" in p.stdout
    p = tzgg("verify", "--db", tmp_path / "none.db")
    assert p.returncode == 1 and p.stderr.startswith("tzgg: error: no archive")


@pytest.mark.e2e
def test_backup_while_a_crawl_runs_is_whole_and_consistent(tmp_path, serve):
    site = DistrictSite(style="trs", page_size=20)
    site.generate(120)
    gate = Gate(site, after=30)  # 30 notice pages a backup: three at least, mid-crawl
    url, db = site.listing_url(serve(site).base), tmp_path / "a.db"
    proc = start_crawl(url, db, "-s", "DOWNLOAD_TIMEOUT=60")
    copies = []
    try:
        assert gate.held.wait(60), "the crawl never reached its 31st notice page"
        while proc.poll() is None and len(copies) < 4:
            out = tmp_path / f"copy{len(copies)}.db"
            p = tzgg("backup", out, "--db", db)
            assert p.returncode == 0, p.stderr
            copies.append(out)
            gate.allow(30)  # the crawl goes on (and writes) while the next copy is taken
    finally:
        gate.release()
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert copies, "the crawl ended before a backup could be taken"
    final = sqlite3.connect(db).execute("SELECT count(*) FROM notices").fetchone()[0]
    for copy in copies:
        c = sqlite3.connect(copy)
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # consistent: every version's notice is there, and no notice lacks its version
        assert c.execute(
            "SELECT count(*) FROM versions v LEFT JOIN notices n ON n.id = v.notice_id"
            " WHERE n.id IS NULL"
        ).fetchone() == (0,)
        assert c.execute(
            "SELECT count(*) FROM notices n LEFT JOIN versions v ON v.notice_id = n.id"
            " AND v.version = n.current_version WHERE v.notice_id IS NULL"
        ).fetchone() == (0,)
        assert c.execute("SELECT count(*) FROM notices").fetchone()[0] <= final
        assert tzgg("verify", "--db", copy).returncode == 0
    assert not list(tmp_path.glob("*.partial"))


def test_backup_refuses_to_overwrite(tmp_path, serve):
    site = build_demo_site(style="trs")
    db = tmp_path / "a.db"
    crawl(site.listing_url(serve(site).base), db)
    (tmp_path / "old.db").write_bytes(b"keep me")
    for target, word in (
        ("old.db", "exists"),
        ("a.db", "the archive itself"),
        ("no/b.db", "no folder"),
    ):
        p = tzgg("backup", tmp_path / target, "--db", db)
        assert p.returncode == 2 and word in p.stderr and "Traceback" not in p.stderr
    assert (tmp_path / "old.db").read_bytes() == b"keep me"
    assert tzgg("backup", tmp_path / "old.db", "--db", db, "--force").returncode == 0
    assert (
        sqlite3.connect(tmp_path / "old.db").execute("SELECT count(*) FROM notices").fetchone()[0]
    )


def test_a_page_over_the_size_bound_is_a_failed_fetch_never_an_edit(tmp_path, serve):
    from tests.conftest import events

    site = build_demo_site(style="trs")
    url, db = site.listing_url(serve(site).base), tmp_path / "a.db"
    assert crawl(url, db)[0] == 0
    mark = max(e["at"] for e in events(db))
    big = site.nids()[0]
    site.edit(big, body=["征收" * 3_000_000])  # an 18 MB page (DOWNLOAD_MAXSIZE is 10 MiB)
    code, [s], p = crawl(url, db)
    assert code == 0, p.stderr
    assert s["failures"] == {"too_large": 1}
    assert [e for e in events(db) if e["at"] > mark] == []
    # raised, it is archived as an edit like any other
    code, [s], _ = crawl(url, db, "-s", "DOWNLOAD_MAXSIZE=33554432")
    assert [e["kind"] for e in events(db) if e["at"] > mark] == ["edited"]


@pytest.mark.e2e
def test_readers_run_in_a_loop_during_a_crawl_without_one_error(tmp_path, serve):
    """changes, search, show and export read while a crawl writes (WAL): never an error,
    never a half-written notice."""
    from archive.export import export
    from archive.storage.db import connect
    from archive.storage.queries import changes, notice_history
    from archive.storage.search import search

    site = DistrictSite(style="trs", page_size=20)
    site.generate(150)
    url, db = site.listing_url(serve(site).base), tmp_path / "a.db"
    gate = Gate(site, after=20)  # a round of readers per 20 notice pages: 7 at least
    proc = start_crawl(url, db, "-s", "DOWNLOAD_TIMEOUT=60")
    rounds = 0
    try:
        # the first round once the site holds the crawl: the archive exists, with its schema
        # (its file appears a moment before the schema's transaction commits)
        while proc.poll() is None and not gate.held.wait(0.1):
            pass
        while proc.poll() is None:
            conn = connect(db, readonly=True)
            try:
                evs = changes(conn)
                for e in evs[-3:]:
                    h = notice_history(conn, e["notice_id"])
                    assert h["versions"] and h["events"]
                search(conn, "征收 OR 公告", limit=50)
                summary = export(
                    conn, "jsonl", tmp_path / f"e{rounds}.jsonl", at="9999-01-01T00:00:00Z"
                )
                assert summary["notices"] >= len(
                    {e["notice_id"] for e in evs if e["kind"] == "new"}
                )
            finally:
                conn.close()
            rounds += 1
            gate.allow(20)
    finally:
        gate.release()
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert rounds >= 3


def test_the_crawler_never_leaves_its_site_unless_the_registry_allows_a_host(tmp_path, serve):
    from crawler.demo.documents import make_pdf
    from tests.conftest import events

    class Site(DistrictSite):  # its column also links a notice on another host
        elsewhere = None

        def _render_trs_listing(self, k, count):
            page = super()._render_trs_listing(k, count)
            item = (
                f'<li><a href="{self.elsewhere}">关于外站转载的通知</a><span>2021-09-30</span></li>'
            )
            return page.replace('<ul class="list">', '<ul class="list">\n' + item, 1)

    site = Site(style="trs", page_size=20)
    ids = site.generate(8)
    other = DistrictSite(style="trs")
    away = other.add("关于外站转载的通知", published="2021-09-30 10:00", body=["外站正文。"])
    other.set_file("/files/plan.pdf", make_pdf(["征收范围图"]), "application/pdf")
    away_base = serve(other).base.replace("127.0.0.1", "localhost")  # another host name
    site.elsewhere = away_base + other.path(away)
    site.edit(ids[0], attachments=[("征收范围图.pdf", away_base + "/files/plan.pdf")])
    srv = serve(site)
    url, db = site.listing_url(srv.base), tmp_path / "a.db"
    code, [s], p = crawl(url, db)
    assert code == 0, p.stderr
    asked = other.requests.paths()
    assert asked == [], asked  # neither the notice nor the file on the other host
    urls = {e["url"] for e in events(db)}
    assert site.elsewhere not in urls and len(urls) == 8
    conn = sqlite3.connect(db)  # recorded all the same: the listing showed it
    assert conn.execute(
        "SELECT count(*) FROM listings WHERE canonical_url LIKE 'http://localhost:%'"
    ).fetchone() == (1,)
    # a host the registry names (its file server, say) is fetched from
    reg = tmp_path / "sites.toml"
    reg.write_text(f'[sites.d]\nlistings = ["{url}"]\nhosts = ["localhost"]\n', "utf-8")
    code, [s], p = crawl("d", db, "--registry", reg)
    assert code == 0, p.stderr
    assert "/files/plan.pdf" in other.requests.paths()


def test_every_command_uses_an_archive_path_with_hash_question_mark_and_percent(tmp_path, serve):
    """Issue 15 #13: `watch.db#1?…` was cut at `#` (a crawl made an empty `watch.db`, a reader
    read another archive, a backup wrote `bk`).  Every command family, on such names."""
    from archive.storage.db import sqlite_uri

    site = DistrictSite(style="trs", page_size=10)
    for i in range(1, 4):
        site.add(f"关于第{i}批征地的公告", f"2021-09-0{i} 09:00", body=["征地范围如下。"])
    url = site.listing_url(serve(site).base)
    db = tmp_path / "watch.db#1?mode=ro&x=%41 b"
    code, _, p = crawl(url, db)
    assert code == 0, p.stderr

    def count(path) -> int:
        conn = sqlite3.connect(sqlite_uri(path, "ro"), uri=True)
        return conn.execute("SELECT count(*) FROM notices").fetchone()[0]

    def run(*args) -> str:
        p = tzgg(*args, "--db", db, cwd=tmp_path)
        assert p.returncode == 0, (args, p.stderr)
        return p.stdout

    assert count(db) == 3
    assert len(run("search", "征地", "--json").splitlines()) == 3
    changes = [json.loads(line) for line in run("changes", "--json").splitlines()]
    assert len(changes) == 3
    assert json.loads(run("show", changes[0]["url"], "--json"))["url"] == changes[0]["url"]
    run("export", "--format", "jsonl", "-o", "out#1?%41.jsonl")
    assert len((tmp_path / "out#1?%41.jsonl").read_text(encoding="utf-8").splitlines()) == 3
    run("backup", "bk#1?%41.db")
    assert count(tmp_path / "bk#1?%41.db") == 3
    run("feed", "-o", "f#1?.xml")
    assert (tmp_path / "f#1?.xml").read_bytes().count(b"<entry>") == 3
    run("verify")
    made = {p.name for p in tmp_path.iterdir()}
    assert {n for n in made if not n.startswith(db.name)} == {
        "out#1?%41.jsonl",
        "bk#1?%41.db",
        "f#1?.xml",
    }


def _file_size_limit(limit: int):
    def apply():  # writes past it fail with EFBIG, as on a full disk (not a SIGXFSZ kill)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.mark.e2e  # RLIMIT_FSIZE on the backup's own process
def test_a_backup_onto_a_full_disk_leaves_nothing_behind(tmp_path):
    """Issue 15 #16: VACUUM INTO that runs out of room left `PATH.partial-journal`."""
    from tests.test_store import crawl as store
    from tests.test_store import fetch, notice

    rng = random.Random(15)
    text = "".join(chr(0x4E00 + i) for i in range(400))
    records = [
        fetch(n, notice=notice(n, body="".join(rng.choices(text, k=3000)))) for n in range(1, 121)
    ]
    db = tmp_path / "a.db"
    store(db, records)  # a few MB: past SQLite's page cache, so the copy has a journal
    out = tmp_path / "out"
    out.mkdir()
    p = tzgg("backup", out / "b.db", "--db", db, preexec_fn=_file_size_limit(200_000))
    assert p.returncode == 1 and "backup of" in p.stderr and "Traceback" not in p.stderr
    assert len(p.stderr.splitlines()) == 1, p.stderr
    assert list(out.iterdir()) == []
    # a `.partial` someone else left is not ours to remove, unless --force
    (out / "b.db.partial").write_bytes(b"keep me")
    p = tzgg("backup", out / "b.db", "--db", db)
    assert p.returncode == 2 and "b.db.partial exists" in p.stderr
    assert (out / "b.db.partial").read_bytes() == b"keep me"
    assert tzgg("backup", out / "b.db", "--db", db, "--force").returncode == 0
    assert sorted(x.name for x in out.iterdir()) == ["b.db"]
