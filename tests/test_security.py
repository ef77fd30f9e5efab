"""What an archive of hostile pages cannot do: run script in the web UI, or make an export
write outside its folder.

Sites are not trusted: a notice's title, body, 发布机构, attachment names and links are whatever
the site (or whoever broke into it) wrote.  A fixture district plants script, event-handler,
`javascript:` and breakout payloads in every one of them; it is crawled for real, served with
`tzgg serve`, and every page of the UI that shows the notice is parsed; then every export format
is written from an archive of files with hostile names and URLs."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import lxml.html
import pytest

from archive.storage.store import Archive
from crawler.demo import DistrictSite
from crawler.demo import serve as serve_site
from crawler.demo.documents import make_docx, make_pdf
from crawler.demo.pages import esc
from tests.conftest import REPO, crawl, serving_ui, tzgg

MARK = "pwned"  # every payload sets window.__pwned (or alerts it): no page may run one

TITLE = '关于征地补偿的公告<script>window.__pwned=1</script>"><img src=x onerror=window.__pwned=2>'
SOURCE = "区自然资源局<svg onload=window.__pwned=3>"
# raw markup inside the article container, as a compromised CMS would serve it
BODY_HTML = """<p>　　征地补偿方案如下。<img src=x onerror="window.__pwned=4"></p>
<p><svg onload="window.__pwned=5"><circle r="1"></circle></svg>补偿标准</p>
<script>window.__pwned=6</script>
<p><a href="javascript:window.__pwned=7">点此查看</a> <a href="&#106;avascript:window.__pwned=8">二</a>
<a href=" JaVaScRiPt:window.__pwned=9">三</a> <a href="java&#x09;script:window.__pwned=22">四</a></p>
<iframe srcdoc="&lt;script&gt;parent.__pwned=10&lt;/script&gt;"></iframe>
<p>公示期间</textarea></title></style><script>window.__pwned=11</script>有异议的</p>
<p style="background:url(javascript:window.__pwned=12)">请书面提出</p>
<form action="javascript:window.__pwned=13"><button formaction="javascript:window.__pwned=14">提交</button></form>
<object data="javascript:window.__pwned=15"></object><embed src="javascript:window.__pwned=16">
<math><mtext><a href="javascript:window.__pwned=17">m</a></mtext></math>
<p>　　文字里的标记：&lt;script&gt;window.__pwned=23&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;</p>
"""
# Stored only through the raw record: a crawled <base> would (as in a browser) resolve the
# page's relative attachment links to nowhere; a crawled page with this refresh is tested on
# its own (the last test).
META_REFRESH = (
    '<base href="javascript:window.__pwned=18//">'
    '<meta http-equiv="refresh" content="0;url=javascript:window.__pwned=19">'
)
EDITED_HTML = BODY_HTML.replace("征地补偿方案如下", "征地补偿方案（修订）如下").replace(
    "补偿标准", '补偿标准<img src=x onerror="window.__pwned=30">每亩48000元'
)
ATTACHMENTS = [
    ("<img src=x onerror=window.__pwned=20>补偿名单.pdf", "/files/evil.pdf"),
    ("征地范围图.pdf", "javascript:window.__pwned=21"),
]

URL_ATTRS = {"href", "src", "action", "formaction", "data", "poster", "background", "xlink:href"}
URL_ATTRS |= {"srcset", "cite", "longdesc", "usemap", "codebase", "dynsrc", "lowsrc", "ping"}
NEVER_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal"}


class _EvilSite(DistrictSite):
    """A district whose notices in `raw` serve their body as raw HTML (a hacked CMS)."""

    raw: dict[int, str]

    def _body_html(self, n):
        return self.raw.get(n.nid) or super()._body_html(n)


def _scheme(value: str) -> str:
    """What a browser reads as the URL's scheme: control characters and whitespace dropped."""
    return re.sub(r"[\x00-\x20\x7f]+", "", value).lower()


def assert_inert(page: str, where: str, *, shows: bool = True) -> None:
    """No markup from the archive is live on `page`: no script carrying a payload, no event
    handler, no script URL, no frame.  `shows`: the page shows a payload, as text."""
    doc = lxml.html.document_fromstring(page)
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue  # comments, processing instructions
        tag = el.tag.lower().rpartition("}")[2]
        assert tag not in NEVER_TAGS, f"{where}: a <{tag}> element: {lxml.html.tostring(el)[:300]}"
        if tag == "script":
            text = (el.text or "") + el.get("src", "")
            assert MARK not in text and "alert(" not in text, f"{where}: live script {text[:300]}"
        if tag == "meta" and (el.get("http-equiv") or "").lower() == "refresh":
            assert "javascript" not in _scheme(el.get("content", "")), f"{where}: meta refresh"
        for name, value in el.attrib.items():
            name = name.lower()
            assert not name.startswith("on"), f"{where}: <{tag} {name}={value[:200]!r}>"
            assert name != "srcdoc", f"{where}: <{tag} srcdoc>"
            if name in URL_ATTRS:
                scheme = _scheme(value)
                bad = ("javascript:", "vbscript:", "data:text/html", "data:image/svg")
                assert not scheme.startswith(bad), f"{where}: <{tag} {name}={value[:200]!r}>"
            if name == "style":
                assert MARK not in value and "javascript" not in _scheme(value), where
            if MARK in value:  # a payload may be in a link's query or a tooltip, as text
                assert name in ("href", "title", "value", "alt", "placeholder"), (
                    f"{where}: <{tag} {name}={value[:200]!r}>"
                )
    if shows:
        assert MARK in doc.text_content(), f"{where}: the page does not show the notice"


def _get(url: str) -> tuple[str, str]:
    """The page and its type, an error page (404, 400) too: what a visitor's link shows."""
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            return r.read().decode("utf-8"), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        assert e.code in (400, 404), (url, e.code)
        return e.read().decode("utf-8"), e.headers.get("Content-Type", "")


@pytest.fixture(scope="module")
def ui(tmp_path_factory):
    """A crawled archive holding the hostile notice (edited once) and a removed one, and a
    raw record with unsanitized HTML stored as is; `tzgg serve` over it."""
    tmp = tmp_path_factory.mktemp("ui")
    site = _EvilSite(style="trs", page_size=10)
    site.raw = {}
    site.generate(5, seed=3)
    evil = site.add(
        TITLE,
        "2021-09-24 16:12",
        body=["x"],
        source=SOURCE,
        doc_number="岳楼自然资发〔2021〕7号<script>window.__pwned=24</script>",
        index_number="430602/2021-00007\"><svg onload='window.__pwned=25'>",
        attachments=ATTACHMENTS,
    )
    site.raw[evil] = BODY_HTML
    site.set_file("/files/evil.pdf", make_pdf(["<script>window.__pwned=26</script>征地名单"]))
    gone = site.add(
        "关于临时占地的公告<img src=x onerror=window.__pwned=27>",
        "2021-09-20 10:00",
        body=["占地范围：<svg onload=window.__pwned=28>"],
    )
    srv = serve_site(site)
    db = tmp / "archive.db"
    url = site.listing_url(srv.base)
    try:
        code, _, p = crawl(url, db)
        assert code == 0, p.stderr
        site.raw[evil] = EDITED_HTML
        site.edit(evil, title=TITLE + "（更正）")
        site.set_state(gone, "404")
        code, [s], p = crawl(url, db)
        assert code == 0, p.stderr
        assert s["counts"].get("edited") == 1 and s["counts"].get("removed") == 1, s
    finally:
        srv.close()
    # a record as a broken extractor might hand over: body_html not sanitized at all
    a = Archive(db)
    run = a.begin_run("www.evil.example", [])
    raw_url = "http://www.evil.example/tzgg/t1.html"
    a.ingest(
        {
            "type": "fetch",
            "site": "www.evil.example",
            "kind": "detail",
            "url": raw_url,
            "final_url": raw_url,
            "at": "2026-01-01T00:00:00Z",
            "status": 200,
            "body": (BODY_HTML + META_REFRESH).encode(),
            "headers": [["Content-Type", "text/html<script>window.__pwned=29</script>"]],
            "page_class": "ok",
            "extractor_version": "2",
            "notice": {
                "url": raw_url,
                "title": TITLE,
                "published": "2021-09-24T16:12:00+08:00",
                "source": SOURCE,
                "doc_number": None,
                "index_number": None,
                "written": None,
                "body": "征地" + BODY_HTML,
                "body_html": BODY_HTML + META_REFRESH,
                "attachments": [{"name": n, "url": u} for n, u in ATTACHMENTS],
                "breadcrumb": ["首页<script>window.__pwned=31</script>", "通知公告"],
            },
        },
        run,
    )
    a.finish_run(run)
    a.close()

    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    notices = [dict(r) for r in conn.execute("SELECT * FROM notices")]
    events = [dict(r) for r in conn.execute("SELECT id, kind, notice_id FROM events")]
    evil = {
        r[0]
        for r in conn.execute(
            "SELECT notice_id FROM versions WHERE instr(title || source || body, ?)", (MARK,)
        )
    }
    conn.close()
    with serving_ui(db, "--allow-sql") as base:  # its ?sql= pages are checked too
        yield {"base": base, "db": db, "notices": notices, "events": events, "evil": evil}


@pytest.mark.e2e
def test_the_archive_holds_the_payloads_as_they_were_served(ui):
    """Not vacuous: the hostile text reached the archive (escaped text stays text)."""
    conn = sqlite3.connect(ui["db"])
    rows = conn.execute(
        "SELECT title, source, body, body_html, attachments FROM versions"
        " WHERE title LIKE '关于征地补偿的公告%'"
    ).fetchall()
    conn.close()
    assert len(rows) == 3  # two crawled versions and the raw record
    text = json.dumps(rows, ensure_ascii=False)
    for needle in ("<script>window.__pwned=1</script>", "onerror=window.__pwned=2", "onload"):
        assert needle in text, needle
    assert any("<img src=x onerror" in (r[4] or "") for r in rows)  # an attachment's name
    assert any("onerror" in (r[3] or "") for r in rows)  # unsanitized body_html, stored as is


def _pages(ui) -> list[tuple[str, bool]]:
    """Every UI page that shows a hostile notice (url, whether a payload shows as text)."""
    base, q = ui["base"], urllib.parse.quote
    evil = ui["evil"]
    assert len(evil) == 3, evil  # the crawled hostile notice, the removed one, the raw one
    ids = [n["id"] for n in ui["notices"]]
    pages = [(base, False)]
    for table in ("notices", "versions", "events", "runs"):  # the tables the UI serves
        pages.append((f"{base}/{table}", table in ("versions", "events")))
    pages += [
        (f"{base}/versions?_facet=source&_facet=title", True),
        (f"{base}/versions?_sort=title&title__contains=" + q("<script>"), True),
        (f"{base}/events?_facet=kind&_facet=title", True),
        (f"{base}/search?" + urllib.parse.urlencode({"q": "征地补偿"}), True),
        (f"{base}/search?" + urllib.parse.urlencode({"q": "<script>"}), False),
        (f"{base}/recent_removals", True),
        (f"{base}/recent_edits", True),
        (
            f"{base}?sql=" + q("select title, source, body, body_html, attachments from versions"),
            True,
        ),
    ]
    # a link a visitor may be sent: SQL that splices archived markup into a diff
    for column in ("body_html", "title", "source", "attachments"):
        sql = (
            f"select replace(tzgg_diff('a', 'b'), '<tr>', (select {column} from versions"
            f" where instr({column}, '{MARK}') limit 1)) as diff, {column} from versions"
        )
        pages.append((f"{base}?sql=" + q(sql), True))
    for nid in ids:
        pages.append((f"{base}/notices/{nid}", False))
        pages.append((f"{base}/notice_history?id={nid}", nid in evil))
        pages.append((f"{base}/versions/{nid},1", nid in evil))
        pages.append((f"{base}/versions?notice_id={nid}", nid in evil))
    for e in ui["events"]:
        pages.append((f"{base}/events/{e['id']}", False))
        if e["kind"] == "edited":
            pages.append((f"{base}/version_diff?id={e['notice_id']}&a=1&b=2", True))
            pages.append((f"{base}/versions/{e['notice_id']},2", True))
    return pages + _newsroom_pages(ui)


def _newsroom_pages(ui) -> list[tuple[str, bool]]:
    """The newsroom pages (crawler/webui/routes.py) that show a hostile notice."""
    root = ui["base"].rsplit("/", 1)[0]
    evil = ui["evil"]
    pages = [(root + "/", True)]  # its removals and edits name hostile titles
    for q, shows in (("征地补偿", True), ("<script>", False), ("征", True), ("占地", True)):
        for extra in ({}, {"history": "1"}, {"sort": "newest"}):
            pages.append((f"{root}/search?" + urllib.parse.urlencode({"q": q, **extra}), shows))
    for n in ui["notices"]:
        pages.append((f"{root}/notice/{n['id']}", n["id"] in evil))
        pages.append((f"{root}/site/{urllib.parse.quote(n['site'])}", False))
    # what a visitor's link may carry: markup in the path and in every parameter echoed
    hostile = '<script>window.__pwned=40</script>"><img src=x onerror=window.__pwned=41>'
    pages.append((f"{root}/notice/{urllib.parse.quote(hostile, safe='')}", True))
    pages.append((f"{root}/site/{urllib.parse.quote(hostile, safe='')}", True))
    for name in ("q", "site", "region", "from", "to", "source", "sort", "page", "status"):
        params = {"q": "征地", name: hostile}  # shown, or refused in a line of its own
        pages.append((f"{root}/search?" + urllib.parse.urlencode(params), False))
    for e in ui["events"]:
        if e["kind"] == "edited":
            for view in ("inline", "side"):
                pages.append((f"{root}/notice/{e['notice_id']}/diff?a=1&b=2&view={view}", True))
    return pages


@pytest.mark.e2e
def test_no_page_of_the_ui_runs_archived_markup(ui):
    pages = _pages(ui)
    shown = 0
    for url, shows in pages:
        page, ctype = _get(url)
        assert ctype.startswith("text/html"), (url, ctype)
        assert_inert(page, url, shows=False)
        shown += MARK in lxml.html.document_fromstring(page).text_content()
        if shows:
            assert MARK in page, f"{url}: the page does not show the notice"
    assert shown >= sum(shows for _, shows in pages) >= 20, shown
    # JSON is served as JSON: a browser opening it renders no markup
    for url in (f"{ui['base']}/versions.json", f"{ui['base']}/recent_edits.json"):
        body, ctype = _get(url)
        assert ctype.startswith("application/json") and MARK in body, (url, ctype)


def test_the_check_itself_catches_live_markup():
    """assert_inert fails on each kind of payload it looks for, served live."""
    for live in (
        "<script>window.__pwned=1</script>",
        "<img src=x onerror=window.__pwned=2>",
        "<svg onload=window.__pwned=3>",
        '<a href=" java&#x09;script:window.__pwned=4">x</a>',
        '<iframe srcdoc="&lt;script&gt;parent.__pwned=5&lt;/script&gt;"></iframe>',
        '<p style="background:url(javascript:window.__pwned=6)">x</p>',
        '<form><button formaction="javascript:window.__pwned=7">x</button></form>',
    ):
        with pytest.raises(AssertionError):
            assert_inert(f"<html><body><p>{esc(MARK)}</p>{live}</body></html>", live)
    assert_inert(f"<html><body><p>{esc(BODY_HTML)}</p></body></html>", "escaped")


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium here (.ci/run installs it)")
@pytest.mark.browser
@pytest.mark.e2e
def test_in_chromium_no_payload_fires(ui):
    sync_api = pytest.importorskip("playwright.sync_api")
    evil = ui["evil"]
    edited = [e["notice_id"] for e in ui["events"] if e["kind"] == "edited"]
    base = ui["base"]
    urls = [f"{base}/version_diff?id={edited[0]}&a=1&b=2", f"{base}/versions"]
    urls += [f"{base}/search?q=%E5%BE%81%E5%9C%B0", f"{base}/recent_removals"]
    urls += [f"{base}/notice_history?id={nid}" for nid in sorted(evil)]
    urls += [f"{base}/versions/{edited[0]},2"]
    splice = (
        "select replace(tzgg_diff('a', 'b'), '<tr>', (select body_html from versions"
        " where instr(body_html, 'onerror') limit 1)) as diff"
    )
    urls += [f"{base}?sql=" + urllib.parse.quote(splice)]
    urls += [url for url, _shows in _newsroom_pages(ui)]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            dialogs = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            for url in urls:
                page.goto(url, wait_until="load")
                page.wait_for_timeout(100)  # an onerror of a broken image fires by now
                assert page.evaluate("typeof window.__pwned") == "undefined", url
                assert page.evaluate("document.querySelectorAll('iframe').length") == 0, url
                assert page.url == url, (url, page.url)  # no refresh elsewhere
            assert dialogs == []
        finally:
            browser.close()


# -- exports ----------------------------------------------------------------------------------

HOSTILE_NAMES = [
    "../../evil.pdf",
    "/etc/passwd",
    "..\\..\\x.pdf",
    "C:\\x.pdf",
    "a\x00b.pdf",
    "line\nbreak.pdf",
    "%2e%2e%2fescape.pdf",
    "长" * 300 + ".pdf",
    "同名.pdf",
    "同名.pdf",
    ".",
    "..",
    "",
    "征地名单（第一批）🙂.docx",
    "~/.bashrc.pdf",
    "|sh -c id;.pdf",
]
HOSTILE_URLS = [
    "/files/../../x.pdf",
    "/files/%2e%2e/%2e%2e/y.pdf",
    "/files/..%2f..%2fz.pdf",
    "/files/%2e%2e%5c%2e%2e%5cw.pdf",
    "/files/%00nul.pdf",
    "/files/%E5%BE%81%E5%9C%B0.pdf",
]


ROOT_PROBES = ["/evil.pdf", "/x.pdf", "/etc/passwd", "/work/evil.pdf", "/tmp/evil.pdf"]
ROOT_PROBES += [str(REPO / "evil.pdf"), str(REPO.parent / "evil.pdf")]


def _tree(root: Path) -> dict[str, tuple]:
    """Every path under root with its mode, size and mtime (the `ui` fixture's served
    archive left out: its readers touch its -shm)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not re.fullmatch(r"ui\d*", d)]
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            st = p.lstat()
            out[str(p.relative_to(root))] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return out


@pytest.mark.e2e  # bagit.py validates the bags, as their reader would
def test_exports_never_write_outside_their_folder_whatever_the_attachment_names(tmp_path, serve):
    site = DistrictSite(style="trs", page_size=10)
    atts = []
    for k, name in enumerate(HOSTILE_NAMES):
        path = f"/files/n{k}.pdf" if not name.endswith(".docx") else f"/files/n{k}.docx"
        body = make_docx([f"附件{k}"]) if path.endswith(".docx") else make_pdf([f"附件{k}"])
        site.set_file(path, body)
        atts.append((name, path))
    for k, url in enumerate(HOSTILE_URLS):  # any path under /files/ serves a distinct PDF
        atts.append((f"../../u{k}.pdf", url))
    half = len(atts) // 2
    site.add(
        "关于征地补偿名单的公告", "2021-09-24 16:12", body=["名单见附件。"], attachments=atts[:half]
    )
    site.add(
        "关于征地范围的公告", "2021-09-25 16:12", body=["范围见附件。"], attachments=atts[half:]
    )
    site.generate(3, seed=5)
    url = site.listing_url(serve(site).base)
    work = tmp_path / "work"
    work.mkdir()
    db = tmp_path / "archive.db"
    code, [s], p = crawl(url, db)
    assert code == 0, p.stderr
    conn = sqlite3.connect(db)
    kept = conn.execute(
        "SELECT count(DISTINCT body_sha256) FROM captures WHERE kind = 'attachment'"
        " AND body_stored = 1"
    ).fetchone()[0]
    stored_names = {
        a["name"]
        for (row,) in conn.execute("SELECT attachments FROM versions")
        for a in json.loads(row)
    }
    conn.close()
    assert kept >= 15, kept  # the hostile files were archived
    asked = [r.path for r in site.requests.snapshot() if r.path.startswith("/files/")]
    assert len(asked) >= 18 and any("%2e%2e" in a.lower() for a in asked), asked
    assert "../../evil.pdf" in stored_names and "/etc/passwd" in stored_names, stored_names

    cwd = tmp_path / "cwd" / "a" / "b"  # a relative escape would land in tmp_path/cwd
    cwd.mkdir(parents=True)
    outside = tmp_path.parent  # pytest's base folder: every other test's files
    mine = tmp_path.name + os.sep  # (its contents are compared below, less the archive's)
    before = {k: v for k, v in _tree(outside).items() if not k.startswith(mine)}
    before.pop(tmp_path.name)  # its mtime moves as SQLite makes and drops archive.db-wal
    exports = {
        "jsonl": work / "out.jsonl",
        "csv": work / "out.csv",
        "warc": work / "out.warc.gz",
        "wacz": work / "out.wacz",
        "bagit": work / "bag",
    }
    before_tmp = _tree(tmp_path)
    roots = {p: p.exists() and p.stat().st_mtime_ns for p in map(Path, ROOT_PROBES)}
    for fmt, out in [*exports.items(), ("bagit", work / "redacted")]:
        extra = ["--history"] if fmt == "bagit" else []
        extra += ["--redact"] if out.name == "redacted" else []
        p = tzgg("export", "--db", db, "--format", fmt, "-o", out, *extra, cwd=cwd)
        assert p.returncode == 0, (fmt, p.stderr)
    assert roots == {p: p.exists() and p.stat().st_mtime_ns for p in map(Path, ROOT_PROBES)}

    # nothing outside the work folder changed: not beside it, not above it
    after = {k: v for k, v in _tree(outside).items() if not k.startswith(mine)}
    after.pop(tmp_path.name)
    assert after == before
    changed = {
        k
        for k, v in _tree(tmp_path).items()
        if before_tmp.get(k) != v and not k.startswith("archive.db")
    }
    assert changed and all(k.startswith("work" + os.sep) or k == "work" for k in changed), changed
    written = [Path(dirpath, n) for dirpath, _, names in os.walk(work) for n in names]
    for f in written:
        assert f.resolve().is_relative_to(work.resolve()) and not f.is_symlink(), f
    names = {str(f.relative_to(work)) for f in written}
    files = {"out.jsonl", "out.csv", "out.warc.gz", "out.warc.gz.cdxj", "out.wacz"}
    assert files <= names
    # and each export only in its own output: no file beside them, none named by the site
    assert {n.split(os.sep)[0] for n in names} == files | {"bag", "redacted"}, names
    atts_written = sorted(f.name for f in (work / "bag" / "data" / "attachments").iterdir())
    assert len(atts_written) == kept, atts_written
    assert all(re.fullmatch(r"[0-9a-f]{64}\.(pdf|docx)", n) for n in atts_written), atts_written
    assert not list(work.glob("**/*.partial")) and not list(work.glob(".tzgg-*"))

    # each package is whole: the bag validates, the WACZ's members stay in the zip's root
    bin_dir = Path(sys.executable).parent
    for bag in ("bag", "redacted"):
        v = subprocess.run(
            [sys.executable, bin_dir / "bagit.py", "--validate", work / bag],
            capture_output=True,
            text=True,
        )
        assert v.returncode == 0, v.stderr
    with zipfile.ZipFile(work / "out.wacz") as z:
        for member in z.namelist():
            assert not member.startswith(("/", "\\")) and ".." not in member.split("/"), member
    from warcio.archiveiterator import ArchiveIterator

    uris = []
    with open(work / "out.warc.gz", "rb") as fh:
        for rec in ArchiveIterator(fh):
            uri = rec.rec_headers.get_header("WARC-Target-URI") or ""
            assert not re.search(r"[\x00-\x20]", uri), uri
            uris.append(uri)
    assert any("%E5%BE%81%E5%9C%B0.pdf" in u for u in uris), uris
    # the names from the site survive as data (JSON strings), never as paths
    lines = (work / "bag" / "data" / "notices.jsonl").read_text("utf-8").splitlines()
    listed = {a["name"] for line in lines for a in json.loads(line)["attachments"]}
    assert "../../evil.pdf" in listed and "/etc/passwd" in listed


def test_a_meta_refresh_to_a_script_url_does_not_keep_a_notice_out(tmp_path, serve):
    site = _EvilSite(style="trs")
    nid = site.add("关于征地的公告", "2021-09-24 16:12", body=["x"])
    site.raw = {nid: "<p>　　征地补偿方案如下。</p>" + META_REFRESH}
    code, [s], p = crawl(site.listing_url(serve(site).base), tmp_path / "a.db")
    assert code == 0, p.stderr
    assert s["failures"] == {} and s["counts"]["new"] == 1, s
