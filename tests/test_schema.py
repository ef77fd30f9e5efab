"""One schema: every layer covers every field of `Notice`, as its metadata says.

The notice below is made from the metadata (a value of each field's kind), so a field added
to `Notice` is stored, compared, searched, exported, shown and evaluated here without an edit
of this file, and a layer that misses it fails here."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import pytest

from archive.export import csv_columns, export, redact
from archive.storage import health, outcome
from archive.storage.db import connect, missing_columns
from archive.storage.diff import field_diff
from archive.storage.queries import notice_history, version_dict
from archive.storage.reextract import reextract_all
from archive.storage.search import search
from archive.storage.store import Archive, notice_id
from archive.storage.versioning import changed_fields, column_values, read_column, version_hash
from crawler import webui
from crawler.schema import fields as F
from crawler.schema.records import (
    NOTICE_FIELDS,
    VERSION_FIELDS,
    Attachment,
    Fetch,
    FileFetch,
    FileText,
    Listed,
    ListingEntry,
    Notice,
    WalkEnd,
    from_record,
    to_record,
)

ROOT = Path(__file__).resolve().parents[1]
SITE = "www.example.gov.cn"
URL = f"http://{SITE}/tzgg/t1.html"
AT = "2026-01-01T00:00:00.000Z"
LATER = "2100-01-01T00:00:00Z"


def word(spec, tag: int) -> str:
    """A word only this field holds (the search finds it there)."""
    return f"zq{spec.name.replace('_', '')}{tag}"


def sample(spec, tag: int = 1):
    """A value of the field's kind, other for each tag."""
    w = word(spec, tag)
    return {
        "key": f"http://{SITE}/{w}",
        "text": f"{spec.zh} {w}",
        "date": f"2021-09-2{tag}",
        "body": f"各有关单位：{w}\n特此通知。",
        "html": f"<p>{w}</p>",
        "files": [{"name": f"附件 {w}.pdf", "url": f"http://{SITE}/{w}.pdf"}],
        "list": ["首页", f"栏目 {w}"],
        "object": {"text": f"说明 {w}"},
    }[spec.kind]


def notice(tag: int = 1) -> dict:
    n = {s.name: sample(s, tag) for s in NOTICE_FIELDS}
    return n | {"url": URL, "canonical_url": URL, "site": SITE}


def fetch(n: dict, at: str = AT) -> dict:
    return {
        "type": "fetch",
        "site": SITE,
        "kind": "detail",
        "url": URL,
        "final_url": URL,
        "at": at,
        "status": 200,
        "body": json.dumps(n, ensure_ascii=False).encode(),
        "headers": [],
        "page_class": "ok",
        "notice": n,
    }


def _eval_module():
    from tests import golden  # the eval's oracle: benchmarks/extraction_eval.py scores with it

    return golden


@pytest.fixture
def archived(tmp_path):
    """An archive holding one notice with every field set; (path, notice, its id)."""
    db = tmp_path / "a.db"
    n = notice()
    a = Archive(db)
    run = a.begin_run(SITE)
    assert [e["kind"] for e in a.ingest(fetch(n), run)] == ["new"]
    a.finish_run(run)
    a.close()
    return db, n, notice_id(SITE, URL)


def test_every_field_has_its_metadata():
    names = [f.name for f in dataclasses.fields(Notice)]
    assert [s.name for s in NOTICE_FIELDS] == names
    for s in NOTICE_FIELDS:
        assert s.zh and s.en and s.order > 0 and s.kind in F.KINDS
        assert not s.version or s.column, f"{s.name}: a version field is stored"
        assert not s.export or s.column, f"{s.name}: an exported field is stored"
    assert VERSION_FIELDS == tuple(s.name for s in NOTICE_FIELDS if s.version)


def test_every_layer_covers_every_field(archived, tmp_path):
    db, n, nid = archived
    stored = F.stored(NOTICE_FIELDS)
    shown = F.exported(NOTICE_FIELDS)
    conn = connect(db)

    # storage: a column of each stored field's type, holding the notice's value
    types = {r[1]: r[2] for r in conn.execute("PRAGMA table_info(versions)")}
    assert {s.name: types.get(s.name) for s in stored} == {s.name: s.column for s in stored}
    assert missing_columns(conn) == []
    row = conn.execute("SELECT * FROM versions WHERE notice_id = ?", (nid,)).fetchone()
    assert {s.name: read_column(s, row[s.name]) for s in stored} == {
        s.name: n[s.name] for s in stored
    }

    # versions: a change of each version field is a new version, naming it, and the diff shows
    # it; a change of another field is none
    for s in stored:
        other = n | {s.name: sample(s, 2)}
        if s.version:
            assert changed_fields(n, other) == [s.name]
            assert version_hash(other) != version_hash(n)
            lines = field_diff(n, other)
            assert lines and lines[0].strip().startswith(f"{s.name}:"), (s.name, lines)
        else:
            assert version_hash(other) == version_hash(n), s.name
            assert field_diff(n, other) == [], s.name

    # search: each searched field's word finds the notice
    for s in F.searched(NOTICE_FIELDS):
        query = word(s, 1) if word(s, 1) in str(n[s.name]) else f'"{n[s.name]}"'  # (a date)
        assert [r["id"] for r in search(conn, query)] == [nid], s.name
    result = search(conn, word(F.searched(NOTICE_FIELDS)[0], 1))[0]
    assert {name: result[name] for name in F.brief(NOTICE_FIELDS)} == {
        name: n[name] for name in F.brief(NOTICE_FIELDS)
    }

    # `tzgg show --json` and the exports: each exported field, as the notice had it
    version = notice_history(conn, nid)["versions"][0]
    assert {s.name: version[s.name] for s in shown} == {s.name: n[s.name] for s in shown}
    export(conn, "jsonl", tmp_path / "x.jsonl", at=LATER)
    [record] = [json.loads(x) for x in (tmp_path / "x.jsonl").read_text().splitlines()]
    assert {s.name: record[s.name] for s in shown} == {s.name: n[s.name] for s in shown}
    export(conn, "csv", tmp_path / "x.csv", at=LATER)
    with open(tmp_path / "x.csv", encoding="utf-8-sig", newline="") as fh:
        header, values = list(csv.reader(fh))
    cells = dict(zip(header, values, strict=True))
    # (one-line fields first, each group in display order)
    assert [c for c in header if c in {s.name for s in shown}] == [
        s.name for s in sorted(shown, key=lambda s: (not s.scalar, s.order))
    ]
    for s in shown:
        assert word(s, 1) in cells[s.name] or n[s.name] == cells[s.name], s.name

    # redaction: a mobile number in any free text (and a file's name) is masked
    phone = "13812345678"
    masked = redact({s.name: _with(s, phone) for s in NOTICE_FIELDS})
    for s in NOTICE_FIELDS:
        if s.free_text or s.kind == "files":
            assert phone not in json.dumps(masked[s.name], ensure_ascii=False), s.name

    # the UI: a label for each stored field, in display order; its pages' fields
    meta = webui.metadata("a")["databases"]["a"]
    labels = meta["tables"]["versions"]["columns"]
    assert [k for k in labels if k != "changed"] == [s.name for s in F.displayed(NOTICE_FIELDS)]
    assert all(labels[s.name] == f"{s.zh} · {s.en}" for s in stored)
    history = meta["queries"]["notice_history"]["sql"]
    assert all(f"v.{name}" in history for name in F.brief(NOTICE_FIELDS))
    diff = meta["queries"]["version_diff"]["sql"]
    assert all(f"tzgg_diff(a.{name}, b.{name})" in diff for name in F.core(NOTICE_FIELDS))

    # health and the degraded check: the fields every page states
    assert health.FIELDS == F.core(NOTICE_FIELDS)
    cur = dict(row)
    for name in F.core(NOTICE_FIELDS):
        assert outcome.degraded(cur, n | {name: None}), name

    # the eval harness: a check for each field, and tzgg's output of each
    ev = _eval_module()
    assert ev.DETAIL_FIELDS == F.eval_fields(NOTICE_FIELDS)
    page = next(p for p in ev.load_corpus(ev.FIXTURES) if p.kind == "detail")
    out = ev.Tzgg().output(page)
    assert {s.name for s in NOTICE_FIELDS if s.eval} <= out.keys()
    page.truth = dict.fromkeys(ev.DETAIL_FIELDS)
    checked = [c.field for c in ev.score_detail(page, ev.Tzgg(), out) if c.field != "page_class"]
    assert checked == list(ev.DETAIL_FIELDS)

    # re-extraction rewrites every stored field
    new = notice(2)
    conn.close()
    conn = connect(db)
    done, changed, failed = reextract_all(conn, lambda body, url, charset: Notice.from_dict(new))
    assert (done, changed, failed) == (1, 1, [])
    row = conn.execute("SELECT * FROM versions WHERE notice_id = ?", (nid,)).fetchone()
    assert {s.name: read_column(s, row[s.name]) for s in stored} == {
        s.name: new[s.name] for s in stored
    }


def _with(spec, text: str):
    """A sample value of the field holding `text`."""
    value = sample(spec)
    if spec.kind == "files":
        return [a | {"name": f"{a['name']} {text}"} for a in value]
    if spec.kind == "list":
        return [*value, text]
    if spec.kind == "object":
        return {"text": f"{value['text']} {text}"}
    return f"{value} {text}"


def test_tzgg_show_lists_every_field(archived):
    from click.testing import CliRunner

    from crawler.cli import cli

    db, n, nid = archived
    result = CliRunner().invoke(cli, ["show", "--db", str(db), nid])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(n["title"])
    for name in F.scalars(NOTICE_FIELDS):
        if name != "title":
            assert f"  {name}: {n[name]}\n" in result.output, name
    for name in F.objects(NOTICE_FIELDS):
        assert f"  {name}: {n[name]['text']}" in result.output, name


def test_a_new_field_is_picked_up_by_every_layer(tmp_path):
    """The layers' lists are computed from `dataclasses.fields`: a field added to Notice with
    its metadata is in each of them, and an archive without its column is caught."""
    spec = F.meta(
        "截止日期",
        "hypothetical deadline",
        max(s.order for s in NOTICE_FIELDS) + 1,
        "date",
        version=True,
        search=max(s.search for s in NOTICE_FIELDS) + 1,
        core=True,
        brief=True,
    )
    name = "hypothetical"
    extended = dataclasses.make_dataclass(
        "Extended",
        [(name, str | None, dataclasses.field(default=None, metadata=spec))],
        bases=(Notice,),
    )
    specs = F.field_specs(extended)
    assert specs[:-1] == NOTICE_FIELDS and specs[-1].name == name
    assert F.version_fields(specs) == (*VERSION_FIELDS, name)
    assert name in csv_columns(specs)
    assert name in F.eval_fields(specs)
    assert specs[-1] in F.searched(specs)
    assert name in F.core(specs) and name in F.brief(specs)
    assert name in column_values({name: "2026-02-01"}, F.stored(specs))
    old, new = {name: "2026-02-01"}, {name: "2026-03-01"}
    assert field_diff(old, new, specs=specs) == [f"  {name}: 2026-02-01  →  2026-03-01"]
    row = dict.fromkeys(["version", "first_seen", "last_seen", "url", "extractor_version"])
    row |= {s.name: None for s in F.stored(specs)} | {"changed": "[]", "attachments": "[]"}
    row["breadcrumb"] = "[]"
    assert name in version_dict(row, specs)
    meta = webui.metadata("a", specs)["databases"]["a"]
    assert meta["tables"]["versions"]["columns"][name] == "截止日期 · hypothetical deadline"
    assert f"v.{name}" in meta["queries"]["notice_history"]["sql"]
    assert f"tzgg_diff(a.{name}, b.{name})" in meta["queries"]["version_diff"]["sql"]
    # an archive whose migrations do not add its column is refused at open
    connect(tmp_path / "a.db").close()
    assert missing_columns(connect(tmp_path / "a.db"), specs) == [f"{name} TEXT"]


def test_records_cross_a_queue_as_plain_data():
    """A record as plain data (what a queue carries and the archive ingests) and back."""
    n = Notice.from_dict(notice())
    n.attachments[0].sha256, n.attachments[0].size = "ab" * 32, 12
    f = Fetch(site=SITE, kind="detail", url=URL, at=AT, body=b"<html>", notice=n)
    f.files.append(FileFetch(url=n.attachments[0].url, at=AT, status=200, body=b"%PDF"))
    f.texts.append(FileText(sha256="cd" * 32, content_type="application/pdf", text="正文"))
    listed = Listed(site=SITE, listing_url=URL, entries=[ListingEntry(URL, "标题", None)])
    walk = WalkEnd(site=SITE, listing_url=URL, complete=True, pages=1)
    for item in (f, listed, walk):
        record = to_record(item)
        assert json.loads(json.dumps(record, default=repr)) is not None  # plain data
        assert from_record(record) == item
    record = to_record(f)
    assert record["type"] == "fetch" and record["body"] is f.body  # not copied
    # but the notice's lists and dicts are: what the archive does with a record leaves the
    # item as it was
    copied = [k for k, v in vars(n).items() if isinstance(v, (list, dict))]
    assert "breadcrumb" in copied and "objection_window" in copied
    assert all(record["notice"][k] is not getattr(n, k) for k in copied)
    assert record["notice"] | {"attachments": n.to_dict()["attachments"]} == dataclasses.asdict(
        n
    ) | {"attachments": n.to_dict()["attachments"]}
    # an attachment's bytes, when known, are stored with it; unknown, they are not keys
    assert record["notice"]["attachments"][0] == {
        "name": n.attachments[0].name,
        "url": n.attachments[0].url,
        "sha256": "ab" * 32,
        "size": 12,
    }
    assert Attachment("a", "http://x/a.pdf").to_dict() == {"name": "a", "url": "http://x/a.pdf"}
    assert record["files"][0]["body"] == b"%PDF" and record["texts"][0]["text"] == "正文"


def test_the_archive_ingests_typed_records(tmp_path):
    n = Notice.from_dict(notice())
    item = Fetch(site=SITE, kind="detail", url=URL, at=AT, final_url=URL, status=200)
    item.body, item.notice = b"<html>1</html>", n
    a = Archive(tmp_path / "a.db")
    run = a.begin_run(SITE)
    assert [e["kind"] for e in a.ingest(item, run)] == ["new"]
    a.finish_run(run)
    a.close()
    conn = connect(tmp_path / "a.db")
    version = notice_history(conn, notice_id(SITE, URL))["versions"][0]
    assert version["attachments"] == [a.to_dict() for a in n.attachments]
