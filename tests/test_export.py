"""`tzgg export`: the archive as it stood at two moments between real crawls of the example
district, checked with the tools archives use (warcio check, bagit validation, wacz validate)
and replayed through pywb."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
import zlib
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.export import redact, redact_text
from crawler.demo import DistrictSite
from crawler.demo import serve as serve_site
from crawler.demo.documents import make_pdf
from crawler.schema.times import utcnow
from tests.conftest import crawl, tzgg

BIN = Path(sys.executable).parent


def _wayback() -> Path:
    """pywb's `wayback`: pywb pins redis-py 2.10 and scrapy-redis needs 4.2+, so pywb lives in
    its own venv, `.venv/pywb` (the README's test command makes it), or $TZGG_WAYBACK."""
    for path in (os.environ.get("TZGG_WAYBACK"), Path(sys.prefix) / "pywb" / "bin" / "wayback"):
        if path and Path(path).is_file():
            return Path(path)
    pytest.fail(
        "pywb's wayback not found: python3 -m venv .venv/pywb && .venv/pywb/bin/pip install pywb"
    )


def start_pywb(root: Path, collections: dict[str, list]) -> tuple[subprocess.Popen, int]:
    """pywb serving from `root`: each collection made with `wb-manager init` and filled with
    `wb-manager add` (its arguments); (the server, its port)."""
    manager = _wayback().with_name("wb-manager")
    for coll, files in collections.items():
        for args in (["init", coll], ["add", coll, *files]):
            done = subprocess.run([manager, *args], cwd=root, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
    port = _free_port()
    server = subprocess.Popen(
        [_wayback(), "-p", str(port), "-b", "127.0.0.1", "-d", root],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return server, port


ID_NUMBER = "43060219800101123X"
MOBILE = "13812345678"


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """Two crawl rounds: between them notice A is edited, B removed (404), C published;
    D never changes (its recrawl is a 304)."""
    tmp = tmp_path_factory.mktemp("export")
    site = DistrictSite(style="trs", page_size=10)
    a = site.add(
        "关于征收集体土地的公告",
        "2021-09-01 09:00",
        body=["拟征收土地涉及农户如下。", f"户主张三，身份证号{ID_NUMBER}，联系电话{MOBILE}。"],
        attachments=[("征地名单.pdf", "/files/zdmd.pdf")],
    )
    site.set_file("/files/zdmd.pdf", make_pdf(["被征地农户名单", "欧阳锋 黄药师"]))
    b = site.add("关于道路施工的通知", "2021-09-02 09:00", body=["施工期间请绕行。"])
    d = site.add("关于开展安全检查的通知", "2021-09-03 09:00", body=["请各单位做好准备。"])
    e = site.add("关于征求意见的公告", "2021-09-05 09:00", body=["征求意见稿如下。"])
    srv = serve_site(site, host="127.0.0.1", port=0)
    db = tmp / "a.db"
    try:
        url = site.listing_url(srv.base)
        code, _, p = crawl(url, db)
        assert code == 0, p.stderr
        t1 = utcnow()
        # replay (pywb) tells captures apart to the second: the next round is in a later one
        time.sleep(1.05 - time.time() % 1)
        site.edit(a, body=["拟征收土地涉及农户如下（更正）。", "户主张三。"])
        site.set_state(b, "404")
        site.set_state(e, "redirect_home")
        c = site.add("关于征地补偿的公示", "2021-09-04 09:00", body=["补偿标准如下。"])
        code, _, p = crawl(url, db)
        assert code == 0, p.stderr
        t2 = utcnow()
        paths = {k: srv.base + site.path(n) for k, n in dict(a=a, b=b, c=c, d=d, e=e).items()}
        paths["pdf"] = srv.base + "/files/zdmd.pdf"
    finally:
        srv.close()
    return {"db": db, "t1": t1, "t2": t2, "url": paths, "tmp": tmp}


def export(archive, *args):
    return tzgg("export", "--db", archive["db"], *args)


def jsonl(archive, at, *extra, name="out.jsonl"):
    out = archive["tmp"] / f"{at}-{name}".replace(":", "")
    p = export(archive, "--as-of", at, "--format", "jsonl", "-o", out, "--force", *extra)
    assert p.returncode == 0, p.stderr
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def by_url(records):
    return {r["url"]: r for r in records}


def test_jsonl_holds_each_notice_as_it_stood_then(archive):
    url = archive["url"]
    before = by_url(jsonl(archive, archive["t1"]))
    after = by_url(jsonl(archive, archive["t2"]))
    # First seen later: absent before.  Removed later: present, and active, before.
    assert url["c"] not in before and url["c"] in after
    assert before[url["b"]]["status"] == "active"
    assert after[url["b"]]["status"] == "removed"
    assert after[url["b"]]["removed_reason"] == "http_404"
    # The version current then, by capture time.
    assert before[url["a"]]["version"] == 1 and ID_NUMBER in before[url["a"]]["body"]
    assert after[url["a"]]["version"] == 2 and "更正" in after[url["a"]]["body"]
    assert after[url["a"]]["valid_from"] > archive["t1"]
    assert after[url["a"]]["urls"] == [url["a"]]
    assert all(r["last_seen"] <= archive["t1"] for r in before.values())
    assert after[url["d"]]["last_seen"] > archive["t1"]  # its 304 in the second crawl
    # show --json's field names
    shown = json.loads(tzgg("show", url["a"], "--db", archive["db"], "--json").stdout)
    for name in shown["versions"][-1]:
        assert name in after[url["a"]], name


def test_history_gives_every_version_with_its_validity(archive):
    url = archive["url"]
    rows = [r for r in jsonl(archive, archive["t2"], "--history") if r["url"] == url["a"]]
    assert [r["version"] for r in rows] == [1, 2]
    assert rows[0]["valid_to"] == rows[1]["valid_from"]
    assert rows[1]["valid_to"] is None
    # As of the first moment, the later version does not exist yet.
    rows = [r for r in jsonl(archive, archive["t1"], "--history") if r["url"] == url["a"]]
    assert [(r["version"], r["valid_to"]) for r in rows] == [(1, None)]


def test_csv_opens_in_excel_with_chinese_intact(archive):
    out = archive["tmp"] / "out.csv"
    p = export(archive, "--as-of", archive["t2"], "--format", "csv", "-o", out, "--force")
    assert p.returncode == 0, p.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines(keepends=True)))
    assert {r["title"] for r in rows} >= {"关于征收集体土地的公告", "关于征地补偿的公示"}
    assert len(rows) == 5
    row = next(r for r in rows if r["url"] == archive["url"]["b"])
    assert row["status"] == "removed" and row["urls"] == archive["url"]["b"]


def test_redact_masks_id_and_mobile_numbers(archive):
    rows = by_url(jsonl(archive, archive["t1"], "--redact", name="redacted.jsonl"))
    body = rows[archive["url"]["a"]]["body"]
    assert ID_NUMBER not in body and MOBILE not in body
    assert "*" * 18 in body and "*" * 11 in body
    assert redact_text("文号 20210901123456789012 账号") == "文号 20210901123456789012 账号"
    assert (
        redact_text("电话 138-1234-5678，座机 0730-8888888")
        == "电话 *************，座机 0730-8888888"
    )
    # full-width digits, +86, and identifiers left alone
    assert redact_text("手机１３９１２３４５６７８") == "手机" + "*" * 11
    assert redact_text("４３０６０２１９８００１０１１２３Ｘ") == "*" * 18
    assert redact_text("+8613712345678") == "+86" + "*" * 11
    sha = "9ae2bdd7beedc2e766c6b76585530e16925115707dc7a06ab5ee4aa2776b2c7b"
    rec = {"id": "3f8a13912345678c", "attachments": [{"name": "a.pdf", "url": "u", "sha256": sha}]}
    assert redact(rec) == rec


def warc_records(path):
    with open(path, "rb") as fh:
        return [
            (
                r.rec_type,
                r.rec_headers.get_header("WARC-Target-URI"),
                r.rec_headers.get_header("WARC-Date"),
                r.rec_headers,
                r.http_headers,
                r.content_stream().read(),
            )
            for r in ArchiveIterator(fh)
        ]


def stored(db, sha):
    conn = sqlite3.connect(db)
    return zlib.decompress(
        conn.execute("SELECT data FROM bodies WHERE sha256=?", (sha,)).fetchone()[0]
    )


@pytest.mark.e2e  # `warcio check`
def test_warc_holds_the_captures_up_to_then_and_passes_warcio_check(archive):
    url, tmp = archive["url"], archive["tmp"]
    early, late = tmp / "early.warc.gz", tmp / "late.warc.gz"
    for at, out in ((archive["t1"], early), (archive["t2"], late)):
        p = export(archive, "--as-of", at, "--format", "warc", "-o", out, "--force")
        assert p.returncode == 0, p.stderr
        check = subprocess.run([BIN / "warcio", "check", "-v", out], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "digest pass" in check.stdout
        assert Path(f"{out}.cdxj").is_file()
    first, second = warc_records(early), warc_records(late)
    assert first[0][0] == second[0][0] == "warcinfo"
    assert all(date <= archive["t1"] for _, _, date, *_ in first[1:])
    assert any(date > archive["t1"] for _, _, date, *_ in second)
    responses = [r for r in second if r[0] == "response" and r[1] == url["a"]]
    assert len(responses) == 2  # both versions of A, with their capture times
    conn = sqlite3.connect(archive["db"])
    times = [r[0] for r in conn.execute("SELECT first_seen FROM versions ORDER BY rowid")]
    assert {r[2] for r in responses} <= set(times)
    for _, _, _, warc_h, http, payload in responses:
        # the stored (decompressed) bytes, and headers that say so truthfully
        assert hashlib.sha256(payload).hexdigest() == stored_sha(conn, warc_h)
        assert http.get_header("Content-Encoding") is None
        assert http.get_header("X-Tzgg-Orig-Content-Encoding") == "gzip"
        assert http.get_header("Content-Length") == str(len(payload))
        assert http.get_statuscode() == "200"
    # D, unchanged, answered 304 the second time: a server-not-modified revisit
    revisits = [r for r in second if r[0] == "revisit"]
    assert any(r[3].get_header("WARC-Profile").endswith("server-not-modified") for r in revisits)
    # the 404 that removed B, with its status line
    gone = [r for r in second if r[0] == "response" and r[1] == url["b"]]
    assert [r[4].get_statuscode() for r in gone] == ["200", "404"]
    # the attached PDF: its bytes once, then its 304 as a revisit referring to them
    pdf = [r for r in second if r[1] == url["pdf"] and r[0] in ("response", "revisit")]
    assert [r[0] for r in pdf] == ["response", "revisit"]
    assert (
        pdf[0][5].startswith(b"%PDF") and pdf[0][4].get_header("Content-Type") == "application/pdf"
    )
    assert pdf[1][3].get_header("WARC-Refers-To") == pdf[0][3].get_header("WARC-Record-ID")
    requests = [r for r in second if r[0] == "request"]
    assert requests and requests[0][4].protocol == "GET"
    assert requests[0][4].statusline.endswith(" HTTP/1.1")


def stored_sha(conn, warc_headers):
    import base64

    digest = warc_headers.get_header("WARC-Payload-Digest")
    assert digest.startswith("sha256:")
    return base64.b32decode(digest.removeprefix("sha256:")).hex()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.e2e  # pywb's `wayback`, in a venv of its own
def test_pywb_replays_a_notice_from_the_export_and_its_cdxj(archive, tmp_path):
    out = tmp_path / "replay.warc.gz"
    p = export(archive, "--as-of", archive["t2"], "--format", "warc", "-o", out)
    assert p.returncode == 0, p.stderr
    coll = tmp_path / "collections" / "tzgg"
    (coll / "archive").mkdir(parents=True)
    (coll / "indexes").mkdir()
    out.rename(coll / "archive" / out.name)
    Path(f"{out}.cdxj").rename(coll / "indexes" / "index.cdxj")
    port = _free_port()
    server = subprocess.Popen(
        [_wayback(), "-p", str(port), "-b", "127.0.0.1", "-d", tmp_path],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    conn = sqlite3.connect(archive["db"])

    def replay(url, at):
        ts = at[:19].replace("-", "").replace(":", "").replace("T", "")
        return _get(f"http://127.0.0.1:{port}/tzgg/{ts}id_/{url}", server)

    try:
        # both versions of the edited notice, byte for byte
        for version, first_seen, sha in conn.execute(
            "SELECT version, first_seen, body_sha256 FROM versions WHERE url = ? ORDER BY version",
            (archive["url"]["a"],),
        ):
            status, body = replay(archive["url"]["a"], first_seen)
            assert (status, body) == (200, stored(archive["db"], sha)), f"version {version}"
        # the unchanged notice at its 304: the page it still was
        (at,) = conn.execute(
            "SELECT at FROM captures WHERE url = ? AND status = 304", (archive["url"]["d"],)
        ).fetchone()
        status, body = replay(archive["url"]["d"], at)
        assert status == 200 and "请各单位做好准备".encode() in body
        # the notice redirected away, at its removal: the redirect, not the old page
        (at,) = conn.execute(
            "SELECT at FROM captures WHERE url = ? AND outcome = 'removed:redirected_away'",
            (archive["url"]["e"],),
        ).fetchone()
        status, body = replay(archive["url"]["e"], at)
        assert status == 302 and "征求意见稿".encode() not in body
    finally:
        server.terminate()
        server.wait(10)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kw):
        return None


def _get(url: str, server, wait: float = 30) -> tuple[int, bytes]:
    deadline = time.monotonic() + wait
    opener = urllib.request.build_opener(_NoRedirect)
    while True:
        try:
            with opener.open(url, timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    f"pywb: no answer at {url}: {server.stderr.read()[-2000:]}"
                ) from None
            time.sleep(0.3)


@pytest.fixture(scope="module")
def noise_archive(tmp_path_factory):
    """Three crawls a second apart: X edited before the second, every page rebuilt (noise only)
    before the third.  Listing pages and the third visit's notice pages (and Y's 304 between)
    are captures whose bytes were not kept."""
    tmp = tmp_path_factory.mktemp("noise")
    site = DistrictSite(style="trs", page_size=10)
    x = site.add("关于道路施工的通知", "2021-09-02 09:00", body=["施工期间请绕行。"])
    y = site.add("关于开展安全检查的通知", "2021-09-03 09:00", body=["请各单位做好准备。"])
    db = tmp / "n.db"
    with serve_site(site, host="127.0.0.1", port=0) as srv:
        listing = site.listing_url(srv.base)
        for change in (None, lambda: site.edit(x, body=["施工期间请绕行（更正）。"]), site.rebuild):
            if change:
                time.sleep(1.02 - time.time() % 1)  # CDXJ keys have whole seconds
                change()
            code, _, p = crawl(listing, db)
            assert code == 0, p.stderr
        urls = [listing, srv.base + site.path(x), srv.base + site.path(y)]
    return {"db": db, "tmp": tmp, "urls": urls}


@pytest.mark.e2e  # pywb's `wayback`
def test_every_replay_route_shows_the_newest_kept_bytes(noise_archive, tmp_path):
    """The README's route (tzgg's CDXJ), and pywb indexing the WARC and the WACZ itself: a
    capture whose bytes were not kept is never replayed as the page (its `metadata` record
    targets a urn:), so each visit replays the newest bytes kept by then."""
    db = noise_archive["db"]
    warc, wacz = tmp_path / "n.warc.gz", tmp_path / "n.wacz"
    for fmt, out in (("warc", warc), ("wacz", wacz)):
        p = tzgg("export", "--db", db, "--format", fmt, "-o", out)
        assert p.returncode == 0, p.stderr
    metadata = [r[1] for r in warc_records(warc) if r[0] == "metadata"]
    # three listings, two noise-only pages and one 304's answer
    assert len(metadata) == 6 and all(u.startswith("urn:tzgg:capture:") for u in metadata)
    root = tmp_path / "pywb"
    readme = root / "collections" / "readme"
    (readme / "archive").mkdir(parents=True)
    (readme / "indexes").mkdir()
    shutil.copy(warc, readme / "archive" / warc.name)
    shutil.copy(f"{warc}.cdxj", readme / "indexes" / "index.cdxj")
    server, port = start_pywb(root, {"warc": [warc], "wacz": ["--unpack-wacz", wacz]})
    conn = sqlite3.connect(db)
    visits = conn.execute(
        "SELECT c.url, c.at, (SELECT k.body_sha256 FROM captures k JOIN bodies b"
        " ON b.sha256 = k.body_sha256 WHERE k.url = c.url AND k.at <= c.at AND k.status = 200"
        " ORDER BY k.at DESC LIMIT 1) FROM captures c ORDER BY c.id"
    ).fetchall()
    assert {u for u, *_ in visits} == set(noise_archive["urls"]) and len(visits) == 9
    try:
        for coll in ("readme", "warc", "wacz"):
            for url, at, sha in visits:
                ts = at[:19].replace("-", "").replace(":", "").replace("T", "")
                got = _get(f"http://127.0.0.1:{port}/{coll}/{ts}id_/{url}", server)
                want = (200, stored(db, sha)) if sha else 404
                assert (got if sha else got[0]) == want, f"{coll}: {url} at {at}"
            host = url.split("/")[2]
            _, cdx = _get(f"http://127.0.0.1:{port}/{coll}/cdx?url={host}/*&output=json", server)
            mimes = {json.loads(line)["mime"] for line in cdx.splitlines()}
            assert mimes <= {"text/html", "warc/revisit"}, coll  # never the JSON
    finally:
        server.terminate()
        server.wait(10)


@pytest.mark.e2e  # bagit.py --validate
def test_bagit_bag_validates_and_names_what_it_holds(archive, tmp_path):
    bag = tmp_path / "bag"
    p = export(archive, "--as-of", archive["t2"], "--format", "bagit", "-o", bag)
    assert p.returncode == 0, p.stderr
    check = subprocess.run(
        [sys.executable, BIN / "bagit.py", "--validate", bag], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    info = (bag / "bag-info.txt").read_text(encoding="utf-8")
    assert f"Tzgg-As-Of: {archive['t2']}" in info and "Tzgg-Version: " in info
    assert "Tzgg-Sites: 127.0.0.1:" in info
    assert "Source-Organization" not in info  # no keeper given: not the sites, not made up
    assert (bag / "manifest-sha256.txt").is_file()
    data = bag / "data"
    assert (data / "tzgg.warc.gz").is_file() and (data / "tzgg.warc.gz.cdxj").is_file()
    assert len((data / "notices.jsonl").read_text(encoding="utf-8").splitlines()) == 5
    # the attachment, named by its digest, listed with where it came from
    [entry] = [json.loads(line) for line in (data / "attachments.jsonl").read_text().splitlines()]
    assert entry["url"] == archive["url"]["pdf"]
    assert entry["path"] == f"attachments/{entry['sha256']}.pdf"
    assert hashlib.sha256((data / entry["path"]).read_bytes()).hexdigest() == entry["sha256"]
    # a changed byte is caught
    with open(data / "notices.jsonl", "a", encoding="utf-8") as fh:
        fh.write("\n")
    check = subprocess.run(
        [sys.executable, BIN / "bagit.py", "--validate", bag], capture_output=True, text=True
    )
    assert check.returncode != 0


def test_redacted_bag_says_so_and_leaves_the_original_bytes_out(archive, tmp_path):
    bag = tmp_path / "bag"
    contact = ("-s", "TZGG_CONTACT=watch@example.org")  # the keeper, without TZGG_OWNER
    at = archive["t1"]
    p = export(archive, "--as-of", at, "--format", "bagit", "-o", bag, "--redact", *contact)
    assert p.returncode == 0, p.stderr
    info = (bag / "bag-info.txt").read_text(encoding="utf-8")
    assert "Tzgg-Redacted: " in info and "Source-Organization: watch@example.org\n" in info
    text = (bag / "data" / "notices.jsonl").read_text(encoding="utf-8")
    assert ID_NUMBER not in text and MOBILE not in text
    assert not (bag / "data" / "tzgg.warc.gz").exists()
    assert not (bag / "data" / "attachments").exists()


@pytest.mark.e2e  # `wacz validate`
def test_wacz_opens_with_pages_index_and_warc(archive, tmp_path):
    out = tmp_path / "a.wacz"
    p = export(archive, "--as-of", archive["t2"], "--format", "wacz", "-o", out)
    assert p.returncode == 0, p.stderr
    names = zipfile.ZipFile(out).namelist()
    assert "pages/pages.jsonl" in names and "datapackage.json" in names
    assert any(n.startswith("archive/") and n.endswith(".warc.gz") for n in names)
    assert any(n.startswith("indexes/") for n in names)
    pages = zipfile.ZipFile(out).read("pages/pages.jsonl").decode().splitlines()
    assert len(pages) == 1 + 5
    check = subprocess.run([BIN / "wacz", "validate", "-f", out], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--as-of", "yesterday", "--format", "jsonl", "-o", "x.jsonl"], "not a date"),
        (["--format", "warc", "-o", "x.warc.gz", "--redact"], "--redact applies"),
        (["--format", "jsonl", "-o", "x.jsonl", "--site", "nowhere"], "no site 'nowhere'"),
        (["--format", "tar", "-o", "x"], "Invalid value"),
        (["--format", "jsonl", "-o", "missing/x.jsonl"], "does not exist"),
        (["--format", "jsonl", "-o", "x.jsonl", "--raw-csv"], "--raw-csv applies"),
        (["--format", "jsonl", "-o", "x.jsonl", "-s", "TZGG_0WNER=me"], "reads only TZGG_OWNER"),
    ],
)
def test_bad_export_input_gets_a_one_line_error(archive, tmp_path, args, message):
    p = tzgg("export", "--db", archive["db"], *args, cwd=tmp_path)
    assert p.returncode == 2, p.stderr
    assert message in p.stderr and "Traceback" not in p.stderr
    assert not list(tmp_path.glob("x*"))


def test_an_existing_output_is_kept_unless_forced(archive, tmp_path):
    out = tmp_path / "a.jsonl"
    out.write_text("keep me")
    p = export(archive, "--format", "jsonl", "-o", out)
    assert p.returncode == 2 and "--force" in p.stderr
    assert out.read_text() == "keep me"
    p = export(archive, "--format", "jsonl", "-o", out, "--force")
    assert p.returncode == 0 and len(out.read_text(encoding="utf-8").splitlines()) == 5
    assert not list(tmp_path.glob("*.partial"))
    # never over an archive, not even with --force
    db = tmp_path / "copy.db"
    db.write_bytes(Path(archive["db"]).read_bytes())
    other = tmp_path / "other.db"
    other.write_bytes(db.read_bytes())
    for target in (db, other):
        p = tzgg("export", "--db", db, "--format", "csv", "-o", target, "--force")
        assert p.returncode == 2 and ("archive" in p.stderr or "SQLite" in p.stderr), p.stderr
        assert target.read_bytes()[:15] == b"SQLite format 3"


def test_a_year_or_month_as_of_means_its_end():
    from crawler.schema.times import parse_user_time

    assert parse_user_time("2021", end_of_day=True) == "2021-12-31T15:59:59.999Z"
    assert parse_user_time("2021-09", end_of_day=True) == "2021-09-30T15:59:59.999Z"
    assert parse_user_time("2021-09") == "2021-08-31T16:00:00.000Z"
    # +08:00 for every date: not 1900's local mean time (+08:05:43), nor 1988's summer time
    assert parse_user_time("1900-01-01") == "1899-12-31T16:00:00.000Z"
    assert parse_user_time("1988-07-01T12:00") == "1988-07-01T04:00:00.000Z"
    for bad in ("2021-W39", "20210930", "2021-02-30", "2021-13"):
        with pytest.raises(ValueError):
            parse_user_time(bad)


def test_warc_headers_are_the_bytes_received():
    from archive.export.warc import response_headers
    from archive.storage.headers import pack

    gbk = 'attachment; filename="征地名单.pdf"'.encode("gbk")
    row = {
        "headers": pack([["Content-Disposition", gbk.decode("latin-1")], ["Content-Length", "9"]]),
        "decoded_from": "gzip",
        "status": 200,
        "reason": "OK",
        "http_version": "HTTP/1.1",
    }
    h = response_headers(row, 20)
    h.compute_headers_buffer()
    assert gbk in h.headers_buff
    assert b"X-Tzgg-Orig-Content-Length: 9\r\n" in h.headers_buff
    assert b"Content-Length: 20\r\n" in h.headers_buff
    assert b"X-Tzgg-Orig-Content-Encoding: gzip\r\n" in h.headers_buff


def _cdxj_export(archive, out, monkeypatch, spill):
    from archive.export import cdxj
    from archive.export import export as write_export
    from archive.storage.db import connect

    monkeypatch.setattr(cdxj, "SPILL_CHARS", spill)
    conn = connect(archive["db"], readonly=True)
    try:
        return write_export(conn, "warc", out, at=archive["t2"])
    finally:
        conn.close()


def test_each_record_is_a_gzip_member_and_each_cdxj_line_points_at_its_own(
    archive, tmp_path, monkeypatch
):
    """pywb reads a record by the CDXJ line's offset and length alone: there, one whole gzip
    member holds that record.  Lines are sorted by their bytes (pywb's binary search), and an
    index spilled to disk in sorted runs comes out the same as one sorted in memory."""
    import surt

    from archive.export import cdxj

    out, spilled = tmp_path / "a.warc.gz", tmp_path / "b.warc.gz"
    summary = _cdxj_export(archive, out, monkeypatch, cdxj.SPILL_CHARS)
    _cdxj_export(archive, spilled, monkeypatch, 300)  # a run every line or two
    data = out.read_bytes()
    members = []  # every record's (offset, length), as warcio finds them
    with open(out, "rb") as fh:
        records = ArchiveIterator(fh)
        for r in records:
            r.content_stream().read()
            members.append((records.get_record_offset(), records.get_record_length()))
    assert len(members) == sum(summary["records"].values())
    for offset, length in members:
        d = zlib.decompressobj(31)
        d.decompress(data[offset : offset + length])
        assert d.eof and not d.unused_data  # exactly one gzip member, whole
    lines = Path(f"{out}.cdxj").read_bytes().splitlines()
    assert lines == sorted(lines)
    indexed = 0
    for line in lines:
        key, ts, fields = line.decode().split(" ", 2)
        fields = json.loads(fields)
        offset, length = int(fields["offset"]), int(fields["length"])
        assert (offset, length) in members and fields["filename"] == out.name
        (rec,) = list(ArchiveIterator(io.BytesIO(data[offset : offset + length])))
        assert rec.rec_headers.get_header("WARC-Target-URI") == fields["url"]
        assert rec.rec_headers.get_header("WARC-Payload-Digest") == fields["digest"]
        assert cdxj.warc_timestamp(rec.rec_headers.get_header("WARC-Date")) == ts
        assert key == surt.surt(fields["url"])
        assert rec.http_headers.get_statuscode() == fields["status"]
        indexed += rec.rec_type == "response" or rec.rec_type == "revisit"
    assert indexed == len(lines) > 5

    def without_place(path):
        return sorted(line.rsplit(', "length"', 1)[0] for line in path.read_text().splitlines())

    assert without_place(Path(f"{spilled}.cdxj")) == without_place(Path(f"{out}.cdxj"))


def test_cdxj_keys_are_surts_and_digests_base32():
    """The index's own SURT for plain URLs, and the digests' base32, are the libraries'."""
    import base64
    import random

    import surt

    from archive.export.cdxj import surt_key
    from archive.export.warc import b32

    rng = random.Random(7)
    bits = ["a", "B", "9", ".", "..", "/", "//", "-", "_", "~", "%41", "?q=1", "#f", ";s", ":80"]
    hosts = ["x.gov.cn", "www.x.gov.cn", "WWW3.X.CN", "a..b.cn", "x.cn.", "127.0.0.1", "x-y.cn"]
    for _ in range(3000):
        tail = "".join(rng.choice(bits) for _ in range(rng.randint(0, 7)))
        url = rng.choice(["http://", "https://"]) + rng.choice(hosts) + tail
        try:
            want = surt.surt(url)
        except ValueError:  # not a URL surt can read
            continue
        assert surt_key(url) == want, url
    for n in (0, 1, 4, 5, 20, 32, 33):
        raw = bytes(rng.getrandbits(8) for _ in range(n))
        assert b32(raw) == base64.b32encode(raw).decode()


# -- issue 15: formulas in CSV, counts, the bag's owner, the future, what an export replaces ---


def test_csv_cells_that_look_like_formulas_are_neutralised(tmp_path):
    """A text cell starting with = + - @ tab or CR gets a leading ' (OWASP), so a spreadsheet
    shows it instead of running it; numbers are values, left alone; --raw-csv and JSONL keep
    the text as archived."""
    from archive.export import write_csv
    from tests.test_store import crawl as store
    from tests.test_store import fetch, notice

    titles = ['=HYPERLINK("http://x.invalid/?"&A1,"点击")', "+86 公告", "-1 公告", "@SUM(A1)"]
    titles += ["\t=1+1 公告", "\r=1+1 公告", "'引号开头的公告", "关于 =1+1 的公告"]
    db = tmp_path / "a.db"
    store(db, [fetch(n, notice=notice(n, title=t)) for n, t in enumerate(titles, 1)])

    def exported(*extra) -> list[str]:
        out = tmp_path / "out.csv"
        p = tzgg("export", "--db", db, "--format", "csv", "-o", out, "--force", *extra)
        assert p.returncode == 0, p.stderr
        with open(out, encoding="utf-8-sig", newline="") as fh:
            rows = sorted(csv.DictReader(fh), key=lambda r: r["url"])
        return [r["title"] for r in rows]

    assert exported() == ["'" + t for t in titles[:6]] + titles[6:]
    assert exported("--raw-csv") == titles
    p = tzgg("export", "--db", db, "--format", "jsonl", "-o", tmp_path / "o.jsonl")
    assert p.returncode == 0, p.stderr
    lines = (tmp_path / "o.jsonl").read_text(encoding="utf-8").splitlines()
    assert {json.loads(line)["title"] for line in lines} == set(titles)
    # every text column, lists and objects too; a number (an int) is a value, never a formula
    rec = {"version": -3, "doc_number": "-3", "breadcrumb": ["=x", "y"], "contact": {"a": 1}}
    rec["attachments"] = [{"name": "@a.pdf", "url": "http://x/a.pdf"}]
    with open(tmp_path / "one.csv", "w", newline="") as fh:
        write_csv([rec], fh)
    [row] = csv.DictReader((tmp_path / "one.csv").read_text().splitlines(keepends=True))
    assert row["version"] == "-3" and row["doc_number"] == "'-3"
    assert row["breadcrumb"] == "'=x | y" and row["contact"] == '{"a": 1}'
    assert row["attachments"] == "'@a.pdf <http://x/a.pdf>"


def test_history_counts_versions_and_notices_and_the_bag_names_its_owner(archive, tmp_path):
    at = archive["t2"]
    p = export(archive, "--as-of", at, "--format", "jsonl", "--history", "-o", tmp_path / "h")
    assert p.returncode == 0, p.stderr
    assert "(5 notices, 6 versions)" in p.stdout
    bag = tmp_path / "bag"
    owner = ("-s", "TZGG_OWNER=岳阳市政务公开观察组", "-s", "TZGG_CONTACT=w@example.org")
    p = export(archive, "--as-of", at, "--format", "bagit", "-o", bag, "--history", *owner)
    assert p.returncode == 0, p.stderr
    assert "(5 notices, 6 versions" in p.stdout
    info = (bag / "bag-info.txt").read_text(encoding="utf-8")
    assert "Source-Organization: 岳阳市政务公开观察组\n" in info
    assert "Tzgg-Notices: 5\n" in info and "Tzgg-Versions: 6\n" in info
    assert "Tzgg-Sites: 127.0.0.1:" in info


def test_a_future_as_of_means_now_with_a_warning(archive, tmp_path):
    from datetime import datetime

    from crawler.schema.times import SHANGHAI

    for as_of, warned in (("2999-01-01", True), (str(datetime.now(SHANGHAI).date()), False)):
        out = tmp_path / "x.jsonl"
        p = export(archive, "--as-of", as_of, "--format", "jsonl", "-o", out, "--force", "--json")
        assert p.returncode == 0, p.stderr
        assert json.loads(p.stdout)["as_of"] <= utcnow()
        assert len(out.read_text(encoding="utf-8").splitlines()) == 5
        if warned:
            assert p.stderr.startswith("tzgg: warning: --as-of 2999-01-01 is in the future")
            assert len(p.stderr.splitlines()) == 1
        else:
            assert p.stderr == ""


def test_an_export_refuses_before_any_work_what_it_would_destroy(archive, tmp_path):
    # an OUTPUT.partial it did not make (an interrupted export's, or someone's): --force only
    for fmt, name in (("jsonl", "x.jsonl"), ("bagit", "bag")):
        partial = tmp_path / f"{name}.partial"
        partial.mkdir()
        (partial / "notes.txt").write_text("keep me")
        p = export(archive, "--format", fmt, "-o", tmp_path / name, "--redact")
        assert p.returncode == 2 and f"{name}.partial exists" in p.stderr, p.stderr
        assert (partial / "notes.txt").read_text() == "keep me"
        p = export(archive, "--format", fmt, "-o", tmp_path / name, "--redact", "--force")
        assert p.returncode == 0, p.stderr
        assert not partial.exists()
    # a bag onto a symbolic link to a folder: refused at once, the folder untouched
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    p = export(archive, "--format", "bagit", "-o", tmp_path / "link")
    assert p.returncode == 2 and "symbolic link" in p.stderr and "Traceback" not in p.stderr
    assert list((tmp_path / "real").iterdir()) == [] and not (tmp_path / "link.partial").exists()


_STALLED_WACZ = """
import sys, time, wacz.main
from pathlib import Path
from crawler.cli import main

def stall(args):  # the packaging step, held: the staging folder is full by now
    Path(sys.argv[3]).write_text("staged")
    time.sleep(120)

wacz.main.main = stall
main(["export", "--db", sys.argv[1], "--format", "wacz", "-o", sys.argv[2]])
"""


@pytest.mark.e2e  # an export killed mid-way
def test_an_interrupted_wacz_export_leaves_no_staging_folder(archive, tmp_path):
    """SIGINT and SIGTERM unwind the export (its staging folder and .partial go); what a
    SIGKILL leaves, the next export sweeps, sparing the folder of an export still at work."""
    import fcntl
    import signal

    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    out, marker = tmp_path / "a.wacz", tmp_path / "marker"
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        marker.unlink(missing_ok=True)
        cmd = [sys.executable, "-c", _STALLED_WACZ, archive["db"], out, marker]
        proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.02)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode != 0 and "Traceback" not in err, err
        staged = list(tmp_path.glob(".tzgg-wacz-*"))
        if sig != signal.SIGKILL:
            assert len([line for line in err.splitlines() if line]) == 1, err
            assert staged == [] and not out.exists() and not Path(f"{out}.partial").exists()
    assert len(staged) == 1  # killed: nothing could remove it
    busy = tmp_path / ".tzgg-wacz-busy"
    busy.mkdir()
    fd = os.open(busy / "lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another export, at work
    try:
        p = export(archive, "--format", "wacz", "-o", out)
        assert p.returncode == 0, p.stderr
        assert list(tmp_path.glob(".tzgg-wacz-*")) == [busy]
    finally:
        os.close(fd)
