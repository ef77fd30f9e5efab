"""Attachments: downloaded into the archive by real crawls of the example district, their text
searched with their notice, a changed file an edit, a first download a baseline, and no file
(too large, broken, failing, hostile) able to fail its notice or the crawl."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import time
import zipfile

import pytest

from archive.storage.versioning import normalized, version_hash
from crawler.demo import DistrictSite, Response
from crawler.demo.documents import make_docx, make_pdf
from crawler.parse.files import text as attachment_text
from crawler.parse.files.kinds import download_ext, safe_attachment_name
from crawler.parse.files.text import extract_text
from tests.conftest import crawl, events, tzgg
from tests.limits import run_limited
from tests.test_store import SITE, fetch

SHA = "ab" * 32


# -- pure parts ---------------------------------------------------------------------------------


def test_safe_attachment_names_come_from_the_whitelist_only():
    url = "http://x.gov.cn/files/a.pdf"
    assert safe_attachment_name(SHA, url, "名单.pdf") == f"{SHA}.pdf"
    hostile = [
        "../../etc/passwd",
        "a/b\\c.exe",
        "名单\x00.sh",
        "x" * 5000 + ".pdf.exe",
        "..",
        "",
        None,
        "/abs/path/.bashrc",
    ]
    for name in hostile:
        got = safe_attachment_name(SHA, "http://x.gov.cn/download.jsp?id=1", name)
        assert got == f"{SHA}.bin", name
    # an extension is taken only when it is one of the list, wherever the name puts it
    assert safe_attachment_name(SHA, "http://x/dl?id=1", "a/b\\c.pdf") == f"{SHA}.pdf"
    assert safe_attachment_name(SHA, "http://x/dl?id=1", "../../x.DOCX") == f"{SHA}.docx"
    assert safe_attachment_name(SHA, "http://x/dl?id=1", "x.pdf\x00") == f"{SHA}.bin"
    assert safe_attachment_name(SHA, "http://x/../../etc/passwd", "../../etc/passwd") == (
        f"{SHA}.bin"
    )
    assert safe_attachment_name(SHA, "http://x/dl", None, "application/pdf; q=1") == f"{SHA}.pdf"
    assert safe_attachment_name(SHA, "http://x/dl", "", "text/html") == f"{SHA}.bin"
    for bad in ("../../etc/passwd", SHA.upper(), SHA[:-1], SHA + "/x"):
        with pytest.raises(ValueError):
            safe_attachment_name(bad, url, "a.pdf")


def test_which_attachments_are_downloaded():
    assert download_ext("http://x/files/P0202.PDF") == "pdf"
    assert download_ext("http://x/down.jsp?filename=%E5%90%8D.xlsx&id=3") == "xlsx"
    assert download_ext("http://x/down.jsp?id=3", "征地名单.docx") == "docx"
    assert download_ext("http://x/files/a.txt", "a.txt") is None
    assert download_ext("http://x/files/a.jpg", "图.png") is None
    assert download_ext("http://[bad", "x.rar") == "rar"


def test_pdf_and_docx_text_is_extracted():
    pdf = make_pdf(["关于征地补偿安置的公告", "被征地农户：王珺䶮 欧阳锋"], "第二页：黄药师")
    text, error = extract_text(pdf, "http://x/a.pdf", "application/pdf")
    assert error is None and "王珺䶮" in text and "黄药师" in text
    doc = make_docx(["补偿标准说明"], [["姓名", "面积"], ["洪七公", "2.5亩"]])
    text, error = extract_text(doc, "http://x/a.docx")
    assert error is None and "补偿标准说明" in text and "洪七公" in text
    # a DOCX served as .doc, as sites do, is read as what it is
    assert "洪七公" in extract_text(doc, "http://x/a.doc", "application/msword")[0]
    assert extract_text(b"\xd0\xcf\x11\xe0 old binary doc", "http://x/a.xls") == (None, None)


def test_broken_and_hostile_files_give_a_one_word_error(monkeypatch):
    pdf = make_pdf(["征地名单"])
    cases = [
        b"this is not a PDF at all",
        b"%PDF-1.7\n" + b"\x00\xff" * 5000,
        pdf[: len(pdf) // 2],  # truncated
        pdf.replace(b"/Pages", b"/Pagez"),
        b"PK\x03\x04 not really a zip",
        b"",
    ]
    for body in cases:
        text, error = extract_text(body, "http://x/a.pdf")
        assert text is None and error in ("invalid", "no_text"), (body[:20], error)
    # a DOCX whose parts unzip to more than the cap is not unzipped
    monkeypatch.setattr(attachment_text, "MAX_DOCUMENT_XML", 1000)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"<w:document/>" + b" " * 10_000)
    assert extract_text(buf.getvalue(), "http://x/a.docx") == (None, "too_large")


def test_text_is_always_storable(monkeypatch):
    monkeypatch.setattr(attachment_text, "_pdf", lambda body, out: out.append("名\ud800单\x00表"))
    assert extract_text(b"%PDF-1.7", "http://x/a.pdf") == ("名?单表", None)
    # a zip that is no DOCX is not read, whatever its extension claims
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/workbook.xml", b"<workbook/>")
    assert extract_text(buf.getvalue(), "http://x/a.doc") == (None, None)


def test_a_file_that_would_take_too_long_is_cut_off(monkeypatch):
    def forever(body, out):
        out.append("第一页")
        while True:
            try:  # a parser that swallows exceptions does not swallow the deadline
                time.sleep(0.01)
            except Exception:
                pass

    monkeypatch.setattr(attachment_text, "MAX_SECONDS", 0.2)
    monkeypatch.setattr(attachment_text, "_pdf", forever)
    # cut off at its deadline ("timeout"); how soon: benchmarks/bench_bounds.py
    assert extract_text(make_pdf(["x"]), "http://x/a.pdf") == ("第一页", "timeout")


# -- bombs: each extracted format's, and an archive-only type's, under hard limits ----------

_BOMBS_RUN = """
import json
from crawler.demo.documents import make_pdf
from crawler.textpool import TextPool
from tests.bombs import BOMBS, docx_ratio_bomb

pool = TextPool(memory_mb=256, seconds=1)
files = {n: (build(), name, ctype) for n, (build, name, ctype) in BOMBS.items()}
files["docx_lying"] = (docx_ratio_bomb(lying=True), "lying.docx", None)
files["after"] = (make_pdf(["炸弹之后 赵敏"]), "after.pdf", "application/pdf")
out = {n: pool.submit(body, "http://x/" + name, ctype, name).result()
       for n, (body, name, ctype) in files.items()}
pool.close()
print(json.dumps(out))
"""


def test_every_bomb_costs_a_worker_its_limits_and_the_caller_nothing():
    """Run through the crawl's entry point (crawler.textpool) in a process of at most 600 MiB
    and 20 s of CPU, its worker at 256 MiB and 1 s a file: each bomb gives no text, or the
    text read before the limit, and a reason; a file after them is read as usual."""
    out = run_limited(_BOMBS_RUN, cpu_s=20, mem_mb=600, wall_s=60)
    got = {n: tuple(r) for n, r in json.loads(out).items()}
    cost = ("timeout", "too_costly", "too_large")
    assert got["docx_flat"][0] is None and got["docx_flat"][1] in ("no_text", "timeout")
    assert got["docx_ratio"] == (None, "too_large")
    assert got["docx_lying"][0] is None and got["docx_lying"][1] in ("too_large", "invalid")
    assert got["pdf_flate"][0] is None and got["pdf_flate"][1] in cost
    assert got["pdf_pages"][1] == "timeout"  # the pages read in time are kept
    assert got["pdf_nested"] in ((None, "invalid"), (None, "unreadable"))
    assert got["pdf_loop"] in ((None, "invalid"), (None, "unreadable"))
    assert got["zip"] == (None, None)  # archive-only: kept, never unzipped, no worker
    assert got["after"] == ("炸弹之后 赵敏", None)


_KILLED_RUN = """
import multiprocessing, os, signal, time
from crawler.demo.documents import make_pdf
from crawler.textpool import TextPool
from tests.bombs import pdf_pages_bomb

pool = TextPool(memory_mb=256, seconds=30)
future = pool.submit(pdf_pages_bomb(), "http://x/pages.pdf")
while not multiprocessing.active_children():
    time.sleep(0.05)
time.sleep(0.5)
[worker] = multiprocessing.active_children()
os.kill(worker.pid, signal.SIGKILL)  # as the kernel kills a worker past its limit
print(future.result())
print(pool.submit(make_pdf(["换了新的进程"]), "http://x/a.pdf").result())
pool.close()
"""


def test_a_worker_killed_by_its_limits_is_replaced():
    out = run_limited(_KILLED_RUN, cpu_s=10, mem_mb=600, wall_s=40)
    assert out.splitlines() == ["(None, 'too_costly')", "('换了新的进程', None)"]


_RECYCLED_RUN = """
import sys
from crawler.demo.documents import make_pdf
from crawler.textpool import TextPool

for recycle_mb in (1, 4096):
    pool = TextPool(recycle_mb=recycle_mb)
    pids = []
    for i in range(3):
        assert pool.submit(make_pdf([f"第{i}页"]), "http://x/a.pdf").result() == (f"第{i}页", None)
        pids.append(pool._pid)
    pool.close()
    print(sum(pid is None for pid in pids))  # let go after the file: the next starts anew
"""


def test_a_worker_is_replaced_when_its_memory_has_grown_not_after_a_count_of_files():
    """Every file past the threshold (1 MiB: any worker) gets a fresh worker; under it (4 GiB,
    capped at half the worker's limit, still above a worker's size) one worker reads them all."""
    out = run_limited(_RECYCLED_RUN, cpu_s=20, mem_mb=600, wall_s=60)
    assert out.split() == ["3", "0"]


def test_a_version_hash_without_file_hashes_is_unchanged():
    n = {"title": "t", "attachments": [{"name": " 名单.pdf", "url": "http://x/a.pdf"}]}
    before = version_hash(n)
    # as versions were hashed before downloads: so no archived hash needs recomputing
    assert normalized(n)["attachments"] == [["http://x/a.pdf", "名单.pdf"]]
    with_sha = {"title": "t", "attachments": [dict(n["attachments"][0], sha256=SHA, size=3)]}
    assert version_hash(with_sha) != before
    assert version_hash(with_sha | {"attachments": [dict(n["attachments"][0], size=3)]}) == before


# -- crawls -------------------------------------------------------------------------------------


def _site():
    site = DistrictSite(style="trs")
    nid = site.add(
        "关于征地补偿安置方案的公告",
        body=["各有关单位：", "现将征地补偿安置方案公告如下，详见附件。"],
        attachments=[("征地名单.pdf", "/files/zdmd.pdf"), ("补偿标准.docx", "/files/bcbz.docx")],
    )
    site.add("另一条通知", body=["只有一页，没有附件。"])
    site.set_file("/files/zdmd.pdf", make_pdf(["被征地农户名单", "欧阳锋 黄药师 洪七公"]))
    site.set_file(
        "/files/bcbz.docx", make_docx(["补偿标准"], [["地类", "标准"], ["水田", "5万元"]])
    )
    return site, nid


def _db(db):
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    return conn


def _attachments(db, url, version=None):
    h = json.loads(tzgg("show", url, "--db", db, "--json").stdout)
    return {a["name"]: a for a in h["versions"][(version or len(h["versions"])) - 1]["attachments"]}


def _search(db, *args):
    p = tzgg("search", *args, "--db", db, "--json")
    assert p.returncode == 0, p.stderr
    return [json.loads(line) for line in p.stdout.splitlines()]


def _check_index(db):
    conn = sqlite3.connect(db)
    n = conn.execute("SELECT count(*) FROM versions").fetchone()[0]
    assert conn.execute("SELECT count(*) FROM search_index_docsize").fetchone()[0] == n
    conn.execute("INSERT INTO search_index (search_index) VALUES ('integrity-check')")


def test_attachments_are_archived_searched_and_a_changed_file_is_an_edit(tmp_path, serve):
    site, nid = _site()
    srv = serve(site)
    url, db, page = site.listing_url(srv.base), tmp_path / "a.db", srv.base + site.path(nid)
    code, [s], p = crawl(url, db)
    assert code == 0 and s["counts"]["new"] == 2, p.stderr
    conn = _db(db)
    caps = conn.execute(
        "SELECT c.*, b.size FROM captures c LEFT JOIN bodies b ON b.sha256 = c.body_sha256"
        " WHERE c.kind = 'attachment' ORDER BY c.url"
    ).fetchall()
    assert [(c["url"].removeprefix(srv.base), c["outcome"]) for c in caps] == [
        ("/files/bcbz.docx", "attachment"),
        ("/files/zdmd.pdf", "attachment"),
    ]
    assert all(c["body_stored"] and c["size"] and c["notice_id"] for c in caps)
    atts = _attachments(db, page)
    assert {a["sha256"] for a in atts.values()} == {c["body_sha256"] for c in caps}
    assert atts["征地名单.pdf"]["size"] == len(site.handle("GET", "/files/zdmd.pdf").body)
    texts = dict(conn.execute("SELECT content_type, text FROM attachment_texts").fetchall())
    assert "黄药师" in texts["application/pdf"]
    assert (
        "水田" in texts["application/vnd.openxmlformats-officedocument.wordprocessingml.document"]
    )

    # a name only the PDF holds finds the notice, and the result says where
    [hit] = _search(db, "黄药师")
    assert hit["url"] == page and "黄药师" in hit["snippet"]
    assert hit["in_attachments"] == [{"name": "征地名单.pdf", "url": srv.base + "/files/zdmd.pdf"}]
    assert _search(db, "水田")[0]["in_attachments"][0]["name"] == "补偿标准.docx"
    assert _search(db, "详见附件")[0]["in_attachments"] == []
    line = tzgg("search", "黄药师", "--db", db).stdout
    assert "(in attachment 征地名单.pdf)" in line

    # a recrawl of unchanged files: conditional requests, 304s, nothing new
    site.rebuild()  # the page itself is fetched again (its validators change)
    before = len(site.requests)
    code, [s], p = crawl(url, db)
    assert code == 0 and s["counts"] == dict.fromkeys(s["counts"], 0), (s, p.stderr)
    files = [r for r in list(site.requests)[before:] if r[1].startswith("/files/")]
    assert sorted(r[2] for r in files) == [304, 304]
    assert conn.execute("SELECT count(*) FROM versions").fetchone()[0] == 2
    assert (
        conn.execute(
            "SELECT count(*) FROM captures WHERE outcome = 'attachment_not_modified'"
            " AND body_sha256 IS NOT NULL"
        ).fetchone()[0]
        == 2
    )

    # new bytes at the same URL: an edit of the notice, in `attachments`
    mark = max(e["at"] for e in events(db))
    site.set_file("/files/zdmd.pdf", make_pdf(["被征地农户名单（更正）", "欧阳锋 周伯通"]))
    site.rebuild()
    code, [s], p = crawl(url, db)
    assert code == 0 and s["counts"]["edited"] == 1, (s, p.stderr)
    [e] = [e for e in events(db) if e["at"] > mark]
    assert e["kind"] == "edited" and e["fields"] == ["attachments"]
    old, new = _attachments(db, page, 1), _attachments(db, page, 2)
    assert old["征地名单.pdf"]["sha256"] != new["征地名单.pdf"]["sha256"]
    assert old["补偿标准.docx"] == new["补偿标准.docx"]
    assert "征地名单.pdf" in tzgg("show", page, "--db", db).stdout
    assert _search(db, "黄药师") == []
    assert _search(db, "黄药师", "--in-history")[0]["matched_version"] == 1
    assert _search(db, "周伯通")[0]["in_attachments"][0]["name"] == "征地名单.pdf"

    # re-extraction keeps what the crawls learnt of the files: no change, no edit
    p = tzgg("reextract", "--db", db)
    assert p.returncode == 0 and "0 changed" in p.stdout, p.stdout + p.stderr
    assert _attachments(db, page, 2) == new and _attachments(db, page, 1) == old
    conn.execute("UPDATE versions SET extractor_version = '0'")  # as if from an older tzgg
    conn.commit()
    site.rebuild()
    code, [s], p = crawl(url, db)  # the crawl re-derives them first
    assert code == 0 and s["counts"] == dict.fromkeys(s["counts"], 0), (s, p.stderr)
    assert _attachments(db, page, 2) == new
    _check_index(db)


def test_an_archive_crawled_without_downloads_gets_its_files_as_a_baseline(tmp_path, serve):
    site, nid = _site()
    srv = serve(site)
    url, db, page = site.listing_url(srv.base), tmp_path / "a.db", srv.base + site.path(nid)
    code, [s], p = crawl(url, db, "-s", "TZGG_ATTACHMENTS=0")
    assert code == 0 and s["counts"]["new"] == 2, p.stderr
    assert not any(r[1].startswith("/files/") for r in site.requests)
    assert all("sha256" not in a for a in _attachments(db, page).values())
    assert _search(db, "黄药师") == []
    site.rebuild()
    code, [s], p = crawl(url, db)
    assert code == 0 and s["counts"] == dict.fromkeys(s["counts"], 0), (s, p.stderr)
    atts = _attachments(db, page)
    assert all(len(a["sha256"]) == 64 and a["size"] for a in atts.values())
    conn = _db(db)
    assert conn.execute("SELECT count(*) FROM versions").fetchone()[0] == 2
    assert [e["kind"] for e in events(db)] == ["new", "new"]
    assert _search(db, "黄药师")[0]["url"] == page  # the version was re-indexed in place
    # downloads off again: the versions keep their files' hashes, no edit
    site.rebuild()
    code, [s], p = crawl(url, db, "-s", "TZGG_ATTACHMENTS=0")
    assert code == 0 and s["counts"] == dict.fromkeys(s["counts"], 0), (s, p.stderr)
    assert _attachments(db, page) == atts
    _check_index(db)


def test_a_file_replaced_under_an_unchanged_page_is_an_edit(tmp_path, serve):
    """The page would answer 304 to a conditional request: it is asked for whole, and its
    files conditionally, so the new bytes are found."""
    site, nid = _site()
    srv = serve(site)
    url, db = site.listing_url(srv.base), tmp_path / "a.db"
    code, [s], p = crawl(url, db)
    assert code == 0 and s["counts"]["new"] == 2, p.stderr
    site.set_file("/files/zdmd.pdf", make_pdf(["被征地农户名单（更正）", "欧阳锋"]))
    before = len(site.requests)
    code, [s], p = crawl(url, db)
    assert code == 0 and s["counts"]["edited"] == 1, (s, p.stderr)
    [e] = [e for e in events(db) if e["kind"] == "edited"]
    assert e["fields"] == ["attachments"] and e["url"] == srv.base + site.path(nid)
    got = {(r[1], r[2]) for r in list(site.requests)[before:]}
    assert ("/files/bcbz.docx", 304) in got and ("/files/zdmd.pdf", 200) in got
    # the notice without files is still asked for conditionally
    assert (site.path(nid + 1), 304) in got


def test_a_file_url_is_never_read_from_the_crawling_machine(tmp_path, serve):
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(make_pdf(["the archivist's private file"]))
    site = DistrictSite(style="trs")
    site.add("关于征地的公告", body=["见附件。"], attachments=[("名单.pdf", f"file://{secret}")])
    srv = serve(site)
    db = tmp_path / "a.db"
    code, [s], p = crawl(site.listing_url(srv.base), db)
    assert code == 0 and s["counts"]["new"] == 1, p.stderr
    conn = _db(db)
    assert (
        conn.execute("SELECT count(*) FROM captures WHERE kind = 'attachment'").fetchone()[0] == 0
    )
    assert conn.execute("SELECT count(*) FROM attachment_texts").fetchone()[0] == 0


def _serving(handle, failing: dict):
    """site.handle, with the paths in `failing` answering their status."""

    def answer(method, target, *a, **k):
        status = failing.get(target)
        if status:
            return Response(status, [("Content-Type", "text/html")], b"<html>busy</html>")
        return handle(method, target, *a, **k)

    return answer


def test_failing_too_large_and_broken_files_never_fail_their_notice(tmp_path, serve):
    site = DistrictSite(style="trs")
    nid = site.add(
        "关于公布拆迁补偿名单的通知",
        body=["各有关单位：", "名单见附件。"],
        attachments=[
            ("大文件.pdf", "/files/big.pdf"),
            ("坏文件.pdf", "/files/junk.pdf"),
            ("时好时坏.pdf", "/files/flaky.pdf"),
            ("正常.pdf", "/files/good.pdf"),
            ("表格.xlsx", "/files/table.xlsx"),
            ("不存在.doc", "/files/gone.doc"),
        ],
    )
    site.set_file("/files/big.pdf", make_pdf(["大"]) + b"%" * 300_000)
    site.set_file("/files/junk.pdf", b"<<garbage, not a PDF>>" * 100, "application/pdf")
    site.set_file("/files/flaky.pdf", make_pdf(["时好时坏的名单 张无忌"]))
    site.set_file("/files/good.pdf", make_pdf(["正常的名单 赵敏"]))
    original = site.handle
    site.handle = _serving(original, {"/files/flaky.pdf": 503, "/files/gone.doc": 404})
    srv = serve(site)
    url, db, page = site.listing_url(srv.base), tmp_path / "a.db", srv.base + site.path(nid)
    limit = ("-s", "TZGG_ATTACHMENT_MAX_BYTES=100000")
    code, [s], p = crawl(url, db, *limit)
    assert code == 0 and s["counts"]["new"] == 1, (s, p.stderr)
    # the notice did not fail; its files did, and the summary says which
    files_failed = {"attachment_too_large": 1, "attachment_http_503": 1, "attachment_http_404": 1}
    assert s["failures"] == files_failed, s
    assert "Traceback" not in p.stderr
    conn = _db(db)
    outcomes = dict(
        (r["url"].removeprefix(srv.base), (r["outcome"], r["body_stored"]))
        for r in conn.execute("SELECT * FROM captures WHERE kind = 'attachment'")
    )
    assert outcomes == {
        "/files/big.pdf": ("attachment_failed:too_large", 0),
        "/files/junk.pdf": ("attachment", 1),
        "/files/flaky.pdf": ("attachment_failed:http_503", 0),
        "/files/good.pdf": ("attachment", 1),
        "/files/table.xlsx": ("attachment", 1),
        "/files/gone.doc": ("attachment_failed:http_404", 0),
    }
    errors = dict(
        conn.execute("SELECT text IS NULL, error FROM attachment_texts WHERE error IS NOT NULL")
    )
    assert errors == {1: "invalid"}  # the junk PDF; the xlsx is kept, its text not read
    atts = _attachments(db, page)
    known = {name for name, a in atts.items() if "sha256" in a}
    assert known == {"坏文件.pdf", "正常.pdf", "表格.xlsx"}
    assert _search(db, "赵敏")[0]["url"] == page

    # next crawl: the flaky file comes back (a first download: a baseline), the good one
    # answers a block page (it keeps the bytes it had): neither is an edit
    site.handle = _serving(original, {"/files/good.pdf": 200, "/files/gone.doc": 404})
    site.rebuild()
    code, [s], p = crawl(url, db, *limit)
    assert code == 0 and s["counts"] == dict.fromkeys(s["counts"], 0), (s, p.stderr)
    after = _attachments(db, page)
    assert after["正常.pdf"] == atts["正常.pdf"] and len(after["时好时坏.pdf"]["sha256"]) == 64
    assert conn.execute("SELECT count(*) FROM versions").fetchone()[0] == 1
    assert _search(db, "张无忌")[0]["url"] == page
    assert (
        conn.execute(
            "SELECT outcome FROM captures WHERE url LIKE '%/good.pdf' ORDER BY id DESC"
        ).fetchone()[0]
        == "attachment_failed:html_page"
    )

    # and once everything answers again, still nothing changed
    site.handle = _serving(original, {"/files/gone.doc": 404})
    site.rebuild()
    code, [s], p = crawl(url, db, *limit)
    assert code == 0 and s["counts"] == dict.fromkeys(s["counts"], 0), (s, p.stderr)
    assert _attachments(db, page) == after
    assert [e["kind"] for e in events(db)] == ["new"]
    _check_index(db)


def test_a_file_several_notices_list_is_fetched_once_and_indexed_with_each(tmp_path, serve):
    site = DistrictSite(style="trs")
    shared = ("征地名单.pdf", "/files/shared.pdf")
    ids = [
        site.add(f"第{i}批征地公告", body=[f"第{i}批。"], attachments=[shared]) for i in range(1, 5)
    ]
    site.set_file("/files/shared.pdf", make_pdf(["共同的名单 令狐冲"]))
    srv = serve(site)
    url, db = site.listing_url(srv.base), tmp_path / "a.db"
    code, [s], p = crawl(url, db)
    assert code == 0 and s["counts"]["new"] == 4, p.stderr
    assert [r[1] for r in site.requests].count("/files/shared.pdf") == 1
    shas = {_attachments(db, srv.base + site.path(i))["征地名单.pdf"]["sha256"] for i in ids}
    assert len(shas) == 1 and None not in shas
    got = _search(db, "令狐冲", "--limit", "10")
    assert len(got) == 4 and all(r["in_attachments"] for r in got)
    _check_index(db)


# -- the store, fed records directly --------------------------------------------------------

PDF_URL = f"http://{SITE}/files/a.pdf"


def _record(path: str, *, sha: bool, files=(), texts=(), at="2026-01-01T00:00:00.000Z"):
    entry = {"name": "名单.pdf", "url": PDF_URL}
    if sha:
        entry |= {"sha256": hashlib.sha256(b"%PDF-1 one").hexdigest(), "size": 10}
    url = f"http://{SITE}{path}"
    notice = {"url": url, "title": "关于征地的公告", "body": "各有关单位：见附件。"}
    return fetch(
        url,
        at=at,
        body=f"<html>{path}</html>".encode(),
        notice=notice | {"attachments": [entry]},
        files=list(files),
        texts=list(texts),
    )


def _file(body: bytes, status: int = 200) -> dict:
    return {
        "url": PDF_URL,
        "final_url": PDF_URL,
        "at": "2026-01-01T00:00:01.000Z",
        "status": status,
        "headers": [["Content-Type", "application/pdf"]],
        "request_headers": [],
        "body": body,
        "content_type": "application/pdf",
        "text": "名单 令狐冲",
        "text_error": None,
    }


def _ingest(db, *records):
    from archive.storage.store import Archive

    a = Archive(db)
    run = a.begin_run(SITE)
    out = [e for r in records for e in a.ingest(r, run)]
    a.finish_run(run)
    a.close()
    return out


def _versions(db):
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT notice_id, version, attachments FROM versions").fetchall()
    return [(n, v, json.loads(a)) for n, v, a in rows]


def test_a_file_hash_without_its_text_row_is_not_listed(tmp_path):
    # another notice's record, the one carrying the file, was not stored (yet): the version
    # must not list bytes its search document could not include
    db = tmp_path / "a.db"
    _ingest(db, _record("/t1.html", sha=True))
    [(_, _, [entry])] = _versions(db)
    assert "sha256" not in entry
    # with the text handed along (a file fetched for another notice in the same crawl)
    sha = hashlib.sha256(b"%PDF-1 one").hexdigest()
    text = {"sha256": sha, "content_type": "application/pdf", "text": "名单 令狐冲", "error": None}
    assert _ingest(db, _record("/t1.html", sha=True, texts=[text])) == []  # a baseline
    [(_, _, [entry])] = _versions(db)
    assert entry["sha256"] == sha
    from archive.storage.db import connect
    from archive.storage.search import search

    [hit] = search(connect(db), "令狐冲")
    assert hit["in_attachments"] == [{"name": "名单.pdf", "url": PDF_URL}]
    _check_index(db)


def test_the_same_notice_at_a_new_url_whether_or_not_its_files_are_known(tmp_path):
    db = tmp_path / "a.db"
    body = b"%PDF-1 one"
    evs = _ingest(db, _record("/t1.html", sha=True, files=[_file(body)]))
    assert [e["kind"] for e in evs] == ["new"]
    # a copy at a second URL, crawled with downloads off: the same notice
    assert _ingest(db, _record("/copy.html", sha=False)) == []
    # a notice first archived without its file, then seen at another URL with it
    db2 = tmp_path / "b.db"
    _ingest(db2, _record("/t1.html", sha=False))
    assert _ingest(db2, _record("/copy.html", sha=True, files=[_file(body)])) == []
    [(_, _, [entry])] = _versions(db2)
    assert entry["sha256"] == hashlib.sha256(body).hexdigest()  # filled in as a baseline
    conn = sqlite3.connect(db2)
    assert conn.execute("SELECT count(*) FROM notice_urls").fetchone()[0] == 2
    _check_index(db2)
