"""The evaluation script, benchmarks/extraction_eval.py, as its users run it: its table, its
JSON, --check, a missing baseline, the speed measurement.  (Its scoring is the oracle of
tests/golden.py, which the golden test, tests/test_golden.py, holds tzgg to page by page.)"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import golden
from tests.conftest import REPO, require_realpages

pytestmark = pytest.mark.e2e  # the script's own process, as its users run it
SCRIPT = REPO / "benchmarks" / "extraction_eval.py"
# what a test puts in the script's interpreter before it runs (a missing baseline)
RUN = (
    "import runpy, sys; {before}; sys.argv[0] = {script!r};"
    " runpy.run_path({script!r}, run_name='__main__')"
)


def evaluate(*argv, before: str = "pass") -> subprocess.CompletedProcess:
    code = RUN.format(before=before, script=str(SCRIPT))
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS="ignore")
    return subprocess.run(
        [sys.executable, "-c", code, *map(str, argv)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_json(*argv, before: str = "pass") -> tuple[int, dict]:
    p = evaluate(*argv, "--json", before=before)
    return p.returncode, json.loads(p.stdout)


def test_json_structure():
    code, out = run_json(golden.FIXTURES, "--systems", "tzgg", "--no-speed")
    assert code == 0
    assert out["systems"] == ["tzgg"]
    assert out["pages"] == len(golden.load_corpus(golden.FIXTURES))
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


def test_text_table():
    p = evaluate(golden.FIXTURES, "--systems", "tzgg", "--no-speed")
    assert p.returncode == 0, p.stderr
    text = p.stdout
    assert text.startswith("$ python benchmarks/extraction_eval.py")
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("field"))
    assert header.split() == ["field", "tzgg"]
    assert any(line.startswith("title ") and "/" in line for line in lines)
    assert any(line.startswith("TOTAL all") for line in lines)
    assert "tzgg gets wrong" in text


def test_missing_baseline_is_one_line():
    hidden = "sys.modules['trafilatura'] = None"  # its import fails, as if not installed
    code, out = run_json(
        golden.FIXTURES, "--systems", "tzgg,trafilatura", "--no-speed", before=hidden
    )
    assert code == 0
    assert out["systems"] == ["tzgg"]
    assert any("trafilatura is not installed" in n for n in out["notes"])


def _one_page_folder(tmp_path: Path, truth: dict) -> Path:
    shutil.copy(golden.FIXTURES / "trs_district_utf8.html", tmp_path / "page.html")
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


def test_check_exits_1_on_a_wrong_field(tmp_path):
    folder = _one_page_folder(tmp_path, {"title": "一个错误的标题", "published": "2021-09-24"})
    argv = [folder, "--systems", "tzgg", "--no-speed"]
    assert evaluate(*argv).returncode == 0  # without --check: always 0
    p = evaluate(*argv, "--check")
    assert p.returncode == 1
    assert "page.html | title" in p.stdout and "一个错误的标题" in p.stdout
    # the truth has a date only: a tzgg output with a time is wrong at full precision
    assert "page.html | published" in p.stdout


def test_check_exits_0_when_right(tmp_path):
    folder = _one_page_folder(
        tmp_path, {"title": "关于开展2021年秋季森林防火检查的通知", "published": "2021-09-24T16:12"}
    )
    assert evaluate(folder, "--systems", "tzgg", "--no-speed", "--check").returncode == 0


def test_speed_measurement_shape():
    require_realpages()  # the speed pages are the real detail pages 01-06
    argv = ["--systems", "tzgg", "--repeat", "1", "--loops", "1", "--min-time", "0"]
    code, out = run_json(golden.FIXTURES, *argv)
    assert code == 0
    rates = out["speed"]["rates"]
    assert {"tzgg", "lxml"} <= set(rates)
    assert all(r["median"] > 0 for r in rates.values())
    assert set(out["speed"]["ratios"]) == {"tzgg/lxml"}
