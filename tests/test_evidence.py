"""`tzgg evidence`: one notice's evidence bundle (a WACZ), built from real crawls of the example
district: exactly that notice's captures under each of its URLs and its attachment's, its
versions, events and diffs as `resource` records; checked with `wacz validate`, by re-hashing
the package's files, and replayed through pywb."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from crawler.demo import DistrictSite
from crawler.demo import serve as serve_site
from crawler.demo.documents import make_pdf
from tests.conftest import crawl, tzgg
from tests.test_export import BIN, _get, start_pywb, stored, warc_records


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """Three crawl rounds a second apart.  A is served at two URLs from the first (the same
    notice), links an attachment, is edited before the second round and moved (its old URL
    answers 301) before the third.  B, on the same site, has an attachment of its own; C is an
    article of two pages that links A's file too; D's first fetch fails (a 503)."""
    tmp = tmp_path_factory.mktemp("evidence")
    site = DistrictSite(style="trs", page_size=10)
    a = site.add(
        "关于征收集体土地的公告",
        "2021-09-01 09:00",
        body=["拟征收土地涉及农户如下。"],
        attachments=[("征地名单.pdf", "/files/zdmd.pdf")],
    )
    site.set_file("/files/zdmd.pdf", make_pdf(["被征地农户名单"]))
    b = site.add(
        "关于道路施工的通知",
        "2021-09-02 09:00",
        body=["施工期间请绕行。"],
        attachments=[("施工图.pdf", "/files/sgt.pdf")],
    )
    site.set_file("/files/sgt.pdf", make_pdf(["施工图"]))
    c = site.add(  # links A's file too
        "关于分页公告的通知",
        "2021-09-03 09:00",
        body=["第一页。"],
        parts=[["第二页。"]],
        attachments=[("征地名单.pdf", "/files/zdmd.pdf")],
    )
    d = site.add("关于暂停办理业务的通知", "2021-09-04 09:00", body=["暂停一天。"])
    site.set_state(d, "503")  # D's first fetch fails: the archive does not know it yet
    site.add_alias(a, "/xxgk/copy_of_a.html")
    db = tmp / "e.db"
    with serve_site(site, host="127.0.0.1", port=0) as srv:
        listing, first_url = site.listing_url(srv.base), srv.base + site.path(a)
        for change in (
            None,
            lambda: (
                site.edit(a, body=["拟征收土地涉及农户如下（更正）。"]),
                site.set_state(d, "ok"),
            ),
            lambda: site.move(a, "/xxgk/moved/t20210901_1.html"),
        ):
            if change:
                time.sleep(1.02 - time.time() % 1)  # replay tells captures apart to the second
                change()
            code, _, p = crawl(listing, db)
            assert code == 0, p.stderr
        urls = {k: srv.base + site.path(n) for k, n in dict(a=a, b=b, c=c, d=d).items()}
    ids = {k: show(db, u)["id"] for k, u in urls.items()}
    urls["a_old"] = first_url
    return {"db": db, "tmp": tmp, "url": urls, "id": ids, "listing": listing}


def show(db, key) -> dict:
    p = tzgg("show", key, "--db", db, "--json")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def evidence(archive, key, out, *extra):
    return tzgg("evidence", key, "--db", archive["db"], "--output", out, *extra)


@pytest.fixture(scope="module")
def bundle(archive):
    """A's bundle, asked for by the URL it moved to; its summary, records and files."""
    out = archive["tmp"] / "a.wacz"
    p = evidence(archive, archive["url"]["a"], out, "--json")
    assert p.returncode == 0, p.stderr
    return _opened(out, json.loads(p.stdout))


def _opened(out: Path, summary: dict) -> dict:
    zf = zipfile.ZipFile(out)
    warc = out.with_suffix(".warc.gz")
    warc.write_bytes(zf.read("archive/tzgg.warc.gz"))
    pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").splitlines()]
    return {"path": out, "summary": summary, "records": warc_records(warc), "pages": pages[1:]}


def _urls(db, nid) -> set[str]:
    """Every URL a notice's bundle may name: its own, its files', its pages' and redirects'."""
    conn = sqlite3.connect(db)
    urls = {r[0] for r in conn.execute("SELECT url FROM notice_urls WHERE notice_id=?", (nid,))}
    for atts, parts in conn.execute(
        "SELECT attachments, parts FROM versions WHERE notice_id = ?", (nid,)
    ):
        urls |= {a["url"] for a in json.loads(atts)} | {p[0] for p in json.loads(parts or "[]")}
    return urls


def _captures_of(db, url) -> int:
    return (
        sqlite3.connect(db)
        .execute("SELECT count(*) FROM captures WHERE url = ?", (url,))
        .fetchone()[0]
    )


def test_the_bundle_holds_exactly_the_notices_captures(archive, bundle):
    db, nid = archive["db"], archive["id"]["a"]
    records, summary = bundle["records"], bundle["summary"]
    assert summary["notice"] == nid and summary["output"] == str(bundle["path"])
    h = show(db, nid)
    assert len(h["urls"]) == 3 and len(h["versions"]) == 2  # two URLs, then a third; an edit
    requests = {(r[1], r[2]) for r in records if r[0] == "request"}
    metadata = {r[1] for r in records if r[0] == "metadata"}
    conn = sqlite3.connect(db)
    # every capture of A under each of its URLs, and of its attachment (C links it too: a
    # crawl fetches it once, from whichever page comes first; its captures are A's by URL)
    [pdf] = h["versions"][-1]["attachments"]
    mine = conn.execute(
        "SELECT id, coalesce(final_url, url), at, kind, notice_id FROM captures"
        " WHERE notice_id = ? OR url = ? AND kind = 'attachment'",
        (nid, pdf["url"]),
    ).fetchall()
    assert {k for *_, k, _ in mine} == {"detail", "attachment"}
    for cid, uri, at, *_ in mine:
        assert (uri, at) in requests or f"urn:tzgg:capture:{cid}" in metadata, (cid, uri)
    # each was answered (200 or 304): a request record each, and nothing more
    assert len(requests) == len(mine) == summary["captures"] + summary["attachments"]
    targets = {r[1] for r in records if r[0] in ("response", "revisit")}
    assert set(h["urls"]) <= targets
    # the old URL's 301, then the page it led to
    hops = [r for r in records if r[0] == "response" and r[4].get_statuscode() == "301"]
    assert [r[1] for r in hops] == [archive["url"]["a_old"]]
    # the attachment's bytes, once; its later fetches (304s) refer to them
    files = [r for r in records if r[1] == pdf["url"] and r[0] in ("response", "revisit")]
    assert [r[0] for r in files] == ["response"] + ["revisit"] * (len(files) - 1)
    assert summary["attachments"] == len(files) == _captures_of(db, pdf["url"]) == 3
    assert hashlib.sha256(files[0][5]).hexdigest() == pdf["sha256"]
    # nothing of B (same site, its own attachment), of C's or D's pages, or of the listing
    assert targets | {r[1] for r in records if r[0] == "request"} <= _urls(db, nid) | {
        r[1] for r in hops
    }
    others = {archive["listing"]}.union(*(_urls(db, archive["id"][k]) for k in "bcd"))
    others -= {pdf["url"]}
    assert not others & {r[1] for r in records}
    theirs = conn.execute(  # (the shared file's captures are A's whichever page fetched it)
        "SELECT id FROM captures WHERE notice_id != ? AND NOT (kind = 'attachment' AND url = ?)",
        (nid, pdf["url"]),
    ).fetchall()
    assert not {f"urn:tzgg:capture:{cid}" for (cid,) in theirs} & metadata
    # pages: each version where it was captured, and every URL of the notice
    assert {p["url"] for p in bundle["pages"]} == set(h["urls"])
    assert [(p["url"], p["ts"]) for p in bundle["pages"][:2]] == [
        (v["url"], v["first_seen"]) for v in h["versions"]
    ]


def test_versions_events_and_diffs_are_resource_records(archive, bundle):
    nid = archive["id"]["a"]
    h = show(archive["db"], nid)
    resources = {r[1]: r for r in bundle["records"] if r[0] == "resource"}
    urn = f"urn:tzgg:notice:{nid}"
    want = [urn, f"{urn}:version:1", f"{urn}:version:2", f"{urn}:events", f"{urn}:diff:1-2"]
    assert list(resources) == want and bundle["summary"]["resources"] == 5
    assert all(r[2] == bundle["summary"]["as_of"] for r in resources.values())
    for v in h["versions"]:
        assert json.loads(resources[f"{urn}:version:{v['version']}"][5]) == v
    assert json.loads(resources[f"{urn}:events"][5]) == h["events"]
    assert [e["kind"] for e in h["events"]] == ["new", "edited", "moved"]  # (moved by a 301)
    assert json.loads(resources[urn][5])["urls"] == h["urls"]
    diff = resources[f"{urn}:diff:1-2"]
    assert diff[3].get_header("Content-Type") == "text/html; charset=utf-8"
    page = diff[5].decode()
    assert page.startswith("<!DOCTYPE html>") and "<ins>（更正）</ins>" in page
    assert "正文 · body" in page and "标题 · title" not in page  # changed fields only
    assert bundle["records"][-1][0] == "resource"  # after every capture


def test_datapackage_lists_every_file_with_its_sha256(bundle):
    zf = zipfile.ZipFile(bundle["path"])
    package = json.loads(zf.read("datapackage.json"))
    listed = {r["path"]: r["hash"] for r in package["resources"]}
    unlisted = {"datapackage.json", "datapackage-digest.json"}
    assert set(listed) == set(zf.namelist()) - unlisted
    for name, digest in listed.items():
        assert digest == "sha256:" + hashlib.sha256(zf.read(name)).hexdigest(), name
    digest = json.loads(zf.read("datapackage-digest.json"))["hash"]
    assert digest == "sha256:" + hashlib.sha256(zf.read("datapackage.json")).hexdigest()
    assert package["description"].startswith("Unsigned")
    assert "signedData" not in zf.read("datapackage-digest.json").decode()


def test_a_multi_page_article_brings_its_continuation_page(archive, tmp_path):
    out = tmp_path / "c.wacz"
    p = evidence(archive, archive["id"]["c"], out, "--json")
    assert p.returncode == 0, p.stderr
    records = _opened(out, json.loads(p.stdout))["records"]
    h = show(archive["db"], archive["id"]["c"])
    [(part, sha)] = json.loads(
        sqlite3.connect(archive["db"])
        .execute("SELECT parts FROM versions WHERE notice_id = ?", (h["id"],))
        .fetchone()[0]
    )
    [first] = [r for r in records if r[0] == "response" and r[1] == part]
    assert hashlib.sha256(first[5]).hexdigest() == sha
    [pdf] = h["versions"][-1]["attachments"]
    assert {r[1] for r in records if r[0] in ("response", "revisit")} == {
        h["url"],
        part,
        pdf["url"],
    }
    files = [r for r in records if r[1] == pdf["url"] and r[0] in ("response", "revisit")]
    assert len(files) == _captures_of(archive["db"], pdf["url"])  # A's fetches of it too
    assert not [r for r in records if r[0] == "resource" and ":diff:" in r[1]]  # no edit


def test_a_capture_from_before_the_archive_knew_the_notice_is_in_its_bundle(archive, tmp_path):
    out = tmp_path / "d.wacz"
    p = evidence(archive, archive["url"]["d"], out, "--json")
    assert p.returncode == 0, p.stderr
    bundle = _opened(out, json.loads(p.stdout))
    conn = sqlite3.connect(archive["db"])
    rows = conn.execute(
        "SELECT id, notice_id, status FROM captures WHERE url = ? ORDER BY id",
        (archive["url"]["d"],),
    ).fetchall()
    assert [(n is None, s) for _, n, s in rows] == [(True, 503), (False, 200), (False, 304)]
    # the 503's bytes were not kept: the record of the visit, under the capture's urn
    urn = f"urn:tzgg:capture:{rows[0][0]}"
    [unkept] = [json.loads(r[5]) for r in bundle["records"] if r[1] == urn]
    assert unkept["status"] == 503 and unkept["url"] == archive["url"]["d"]
    assert bundle["summary"]["captures"] == 3


@pytest.mark.e2e  # `wacz validate`
def test_the_bundle_passes_wacz_validate(bundle):
    check = subprocess.run(
        [BIN / "wacz", "validate", "-f", bundle["path"]], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.e2e  # pywb's `wayback`, in a venv of its own
def test_pywb_replays_the_notice_from_the_bundle(archive, bundle, tmp_path):
    server, port = start_pywb(tmp_path, {"ev": ["--unpack-wacz", bundle["path"]]})
    db, h = archive["db"], show(archive["db"], archive["id"]["a"])
    conn = sqlite3.connect(db)

    def replay(url, at):
        ts = at[:19].replace("-", "").replace(":", "").replace("T", "")
        return _get(f"http://127.0.0.1:{port}/ev/{ts}id_/{url}", server)

    try:
        # each version, byte for byte, where it was captured
        for version, url, first_seen, sha in conn.execute(
            "SELECT version, url, first_seen, body_sha256 FROM versions WHERE notice_id = ?"
            " ORDER BY version",
            (h["id"],),
        ):
            assert replay(url, first_seen) == (200, stored(db, sha)), f"version {version}"
        # its other URLs (revisits of the same bytes) when first seen there
        for page in bundle["pages"][2:]:
            status, body = replay(page["url"], page["ts"])
            assert status == 200 and "拟征收土地涉及农户如下".encode() in body, page["url"]
        [pdf] = h["versions"][-1]["attachments"]
        status, body = replay(pdf["url"], h["last_seen"])
        assert status == 200 and hashlib.sha256(body).hexdigest() == pdf["sha256"]
        # another notice of the same site is not in it
        assert replay(archive["url"]["b"], h["last_seen"])[0] == 404
    finally:
        server.terminate()
        server.wait(10)


def test_bad_evidence_requests_get_a_one_line_error(archive, tmp_path):
    out = tmp_path / "x.wacz"
    for key in ("0000000000000000", "http://127.0.0.1:1/no/such/page.html"):
        p = evidence(archive, key, out)
        assert p.returncode == 2 and p.stderr.startswith(f"tzgg: error: no notice {key!r}")
        assert len(p.stderr.splitlines()) == 1 and "Traceback" not in p.stderr
    assert list(tmp_path.iterdir()) == []
    # an existing file is kept unless --force
    out.write_text("keep me")
    p = evidence(archive, archive["id"]["b"], out)
    assert p.returncode == 2 and "--force" in p.stderr and len(p.stderr.splitlines()) == 1
    assert out.read_text() == "keep me"
    p = evidence(archive, archive["id"]["b"], out, "--force")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(f"tzgg: wrote the evidence of notice {archive['id']['b']} to ")
    assert zipfile.ZipFile(out).namelist() and not list(tmp_path.glob("*.partial"))
    # never over an SQLite file, not even with --force: the archive, its -wal, or another one
    copy = tmp_path / "copy.db"
    copy.write_bytes(Path(archive["db"]).read_bytes())
    for target in (archive["db"], f"{archive['db']}-wal", copy):
        p = tzgg("evidence", archive["id"]["b"], "--db", archive["db"], "-o", target, "--force")
        assert p.returncode == 2 and len(p.stderr.splitlines()) == 1, p.stderr
        assert "would overwrite the archive" in p.stderr or "SQLite database" in p.stderr
    assert copy.read_bytes()[:15] == b"SQLite format 3"
    assert Path(archive["db"]).read_bytes()[:15] == b"SQLite format 3"


def test_the_library_call_the_web_ui_makes(archive, tmp_path):
    """write_evidence on a plain connection (rows as tuples): an unknown id is an ExportError,
    and the connection is left as it was."""
    from archive.export import ExportError
    from archive.export.evidence import resolve_notice, write_evidence

    conn = sqlite3.connect(f"file:{archive['db']}?mode=ro", uri=True)
    with pytest.raises(ExportError, match="no notice"):
        write_evidence(conn, "0000000000000000", tmp_path / "x.wacz")
    with pytest.raises(ExportError, match="no notice"):
        resolve_notice(conn, "nothing")
    nid = resolve_notice(conn, archive["url"]["b"])
    summary = write_evidence(conn, nid, tmp_path / "b.wacz")
    assert summary["notice"] == nid == archive["id"]["b"]
    assert (summary["captures"], summary["attachments"], summary["resources"]) == (3, 3, 3)
    assert conn.row_factory is None and not conn.in_transaction
    assert conn.execute("SELECT name FROM temp.sqlite_master").fetchall() == []


def test_a_rendered_diff_escapes_the_archived_text():
    from archive.storage.diff import render_diff_html

    old = {"version": 1, "title": "<b>公告</b>", "body": "第一段。\n<script>x()</script>"}
    new = old | {"version": 2, "body": "第一段。\n第二段 & 第三段"}
    new["attachments"] = [{"name": "<img src=x>.pdf", "url": "http://x.invalid/a.pdf"}]
    page = render_diff_html(old, new)
    assert "<script>" not in page and "<img" not in page and "<b>" not in page
    assert (
        "第一段。\n<del>&lt;script&gt;x()&lt;/script&gt;</del><ins>第二段 &amp; 第三段</ins>"
        in page
    )
    assert "<ins>&lt;img src=x&gt;.pdf &lt;http://x.invalid/a.pdf&gt;</ins>" in page
    assert "标题 · title" not in page  # unchanged
    assert "No version field changed" in render_diff_html(old, old | {"version": 2})


def test_bundles_made_at_once_on_several_threads_leave_stdout_as_it_was(archive, tmp_path):
    """The web UI makes bundles on its executor's threads; the wacz packager prints to the
    process's stdout, which each packaging borrows."""
    import sys
    import threading

    from archive.export.evidence import write_evidence

    before = sys.stdout
    errors = []

    def make(i: int) -> None:
        conn = sqlite3.connect(f"file:{archive['db']}?mode=ro", uri=True)
        try:
            write_evidence(conn, archive["id"]["a"], tmp_path / f"{i}.wacz")
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=make, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sys.stdout is before
    assert all(zipfile.is_zipfile(tmp_path / f"{i}.wacz") for i in range(4))
