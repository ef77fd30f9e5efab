"""tzgg against the ground truth of every evaluation page, through benchmarks/extraction_eval.py.

One test per (page, field) of tests/fixtures/extract/manifest.json, and of the real pages in
../shared/realpages when they are there; then the harness's own output (table, JSON, --check).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import require_realpages

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "extraction_eval", ROOT / "benchmarks" / "extraction_eval.py"
)
ev = importlib.util.module_from_spec(_spec)
sys.modules["extraction_eval"] = ev  # dataclasses look their module up
_spec.loader.exec_module(ev)


def _real_folder() -> list:
    """../shared/realpages when present (where TZGG_REQUIRE_REALPAGES is set, its absence
    fails this module); the fixtures are scored either way."""
    try:
        return [require_realpages(module_level=True)]
    except pytest.skip.Exception:
        return []


FOLDERS = [ev.FIXTURES] + _real_folder()
DISPUTED = ev.disputed()
PAGES = [p for folder in FOLDERS for p in ev.load_corpus(folder)]
CASES = [
    pytest.param(
        page,
        field,
        id=f"{page.id}-{field}",
        marks=[pytest.mark.xfail(strict=True, reason=DISPUTED[(page.file, field)])]
        if page.folder.name == "realpages" and (page.file, field) in DISPUTED
        else [],
    )
    for page in PAGES
    for field in ev.expected_fields(page)
]


@pytest.fixture(scope="module")
def tzgg_checks() -> dict:
    """{page id: [Check]} of tzgg over every page (each page extracted once)."""
    system = ev.Tzgg()
    return {page.id: ev.score_tzgg(page, system) for page in PAGES}


def test_disputes_name_real_checks():
    """Each disputed check names a real page and a field scored there, with a reason."""
    if not any(p.folder.name == "realpages" for p in PAGES):
        pytest.skip("real pages absent")
    real = {p.file: p for p in PAGES if p.folder.name == "realpages"}
    for (file, field), why in DISPUTED.items():
        assert file in real, file
        assert field in ev.expected_fields(real[file]), (file, field)
        assert len(why) > 40, (file, field)


def test_corpus_is_complete():
    kinds = {p.kind for p in PAGES if p.folder == ev.FIXTURES}
    assert {"detail", "list", "soft_404", "blocked"} <= kinds
    for page in PAGES:
        assert (page.folder / page.file).is_file(), page.id
        if page.folder == ev.FIXTURES:
            assert len(page.raw) < 30_000, page.id


@pytest.mark.parametrize(("page", "field"), CASES)
def test_tzgg_field(page, field, tzgg_checks):
    checks = [c for c in tzgg_checks[page.id] if c.field == field]
    assert checks, f"{page.id}: {field} was not scored"
    wrong = [f"got {c.got!r}, want {c.want!r}" for c in checks if not c.ok]
    assert not wrong, f"{page.id} {field}: " + "; ".join(wrong)


# --- the harness itself ------------------------------------------------------------------------


def _run_json(capsys, *argv) -> tuple[int, dict]:
    code = ev.main([*map(str, argv), "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_json_structure(capsys):
    code, out = _run_json(capsys, ev.FIXTURES, "--systems", "tzgg", "--no-speed")
    assert code == 0
    assert out["systems"] == ["tzgg"]
    assert out["pages"] == len(ev.load_corpus(ev.FIXTURES))
    assert set(out["kinds"]) >= {"detail", "list", "soft_404", "blocked"}
    for field in ("title", "published", "body_first_20", "attachments", "page_class", "list_url"):
        cell = out["fields"][field]["tzgg"]
        assert isinstance(cell["right"], int) and 0 <= cell["right"] <= cell["total"]
        assert cell["total"] > 0
    totals = out["fields"]["TOTAL all"]["tzgg"]
    assert totals["total"] == sum(
        row["tzgg"]["total"] for f, row in out["fields"].items() if not f.startswith("TOTAL")
    )
    assert totals["total"] - totals["right"] == len(out["wrong"])
    assert set(out["by_kind"]) == set(out["kinds"])
    assert sum(v["tzgg"]["total"] for v in out["by_kind"].values()) == totals["total"]
    for w in out["wrong"]:
        assert set(w) == {"page", "field", "system", "ok", "got", "want"}
    assert out["speed"] is None
    assert out["legend"]


def test_text_table(capsys):
    assert ev.main([str(ev.FIXTURES), "--systems", "tzgg", "--no-speed"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("$ python benchmarks/extraction_eval.py")
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("field"))
    assert header.split() == ["field", "tzgg"]
    assert any(line.startswith("title ") and "/" in line for line in lines)
    assert any(line.startswith("TOTAL all") for line in lines)
    assert "tzgg gets wrong" in text


def test_missing_baseline_is_one_line(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "trafilatura", None)  # import fails as if not installed
    code, out = _run_json(capsys, ev.FIXTURES, "--systems", "tzgg,trafilatura", "--no-speed")
    assert code == 0
    assert out["systems"] == ["tzgg"]
    assert any("trafilatura is not installed" in n for n in out["notes"])


def _one_page_folder(tmp_path: Path, truth: dict) -> Path:
    shutil.copy(ev.FIXTURES / "trs_district_utf8.html", tmp_path / "page.html")
    manifest = {
        "conventions": "test",
        "pages": [
            {
                "file": "page.html",
                "url_if_known": "http://www.yylq.gov.cn/zwgk/tzgg/202109/t20210924_1.html",
                "http_charset": "utf-8",
                "kind": "detail",
                "ground_truth": truth,
            }
        ],
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    return tmp_path


def test_check_exits_1_on_a_wrong_field(tmp_path, capsys):
    folder = _one_page_folder(tmp_path, {"title": "一个错误的标题", "published": "2021-09-24"})
    argv = [str(folder), "--systems", "tzgg", "--no-speed"]
    assert ev.main(argv) == 0  # without --check: always 0
    assert ev.main([*argv, "--check"]) == 1
    text = capsys.readouterr().out
    assert "page.html | title" in text and "一个错误的标题" in text
    # the truth has a date only: a tzgg output with a time is wrong at full precision
    assert "page.html | published" in text


def test_check_exits_0_when_right(tmp_path):
    folder = _one_page_folder(
        tmp_path, {"title": "关于开展2021年秋季森林防火检查的通知", "published": "2021-09-24T16:12"}
    )
    assert ev.main([str(folder), "--systems", "tzgg", "--no-speed", "--check"]) == 0


def test_speed_measurement_shape():
    page = next(p for p in ev.load_corpus(ev.FIXTURES) if p.kind == "detail")
    rates = ev.measure_speed([page], {"tzgg": ev.Tzgg()}, repeat=1, loops=1)
    assert {"tzgg", "lxml"} <= set(rates)
    assert all(r["median"] > 0 for r in rates.values())
    assert set(ev.ratios(rates)) == {"tzgg/lxml"}


def test_comparison_helpers():
    assert ev.norm_date("2019-09-18 06:23") == "2019-09-18T06:23"
    assert ev.norm_date("2021-09-24T16:12:00+08:00") == "2021-09-24T16:12:00"
    assert ev.norm_date("2023年5月6日") == "2023-05-06"
    assert ev.norm_date("二〇二三年五月六日") is None
    assert ev._published_ok("2021-09-24T16:12:00+08:00", "2021-09-24T16:12", "strict")
    assert not ev._published_ok("2021-09-24T16:12:00+08:00", "2021-09-24", "strict")
    assert ev._published_ok("2021-09-24 16:12", "2021-09-24", "truth")
    assert ev._published_ok("2021-09-24", "2021-09-24T16:12", "date")
    assert not ev._published_ok("2021-09-24", "2021-09-24T16:12", "truth")
    assert ev.same_url("http://a.gov.cn/p?x=1&y=%E9%9D%92", "http://A.gov.cn/p?y=青&x=1#f")
    assert not ev.same_url("http://a.gov.cn/p?x=1", "http://a.gov.cn/p?x=2")
