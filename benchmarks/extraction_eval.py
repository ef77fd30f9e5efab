"""Extraction accuracy and speed of tzgg beside two general-purpose extractors.

Run from the repo root:

    python benchmarks/extraction_eval.py [FOLDER ...] [--systems tzgg,trafilatura,gne]
                                         [--repeat 5] [--loops 3] [--min-time 0.5] [--no-speed]
                                         [--json] [--check]

Each FOLDER holds a ``manifest.json`` in the format of ``../shared/realpages/manifest.json``
(``{"conventions": ..., "pages": [{"file", "url_if_known", "kind", "ground_truth": {...}}]}``;
an optional ``http_charset`` gives the charset an HTTP header would have declared).  Default
folders: ``../shared/realpages`` (skipped with a note when absent) and ``tests/fixtures/extract``.

Scoring, per page kind:

* ``detail``: every field the ground truth states (title, published, source, doc_number,
  index_number, written, body_first_20/body_last_20, attachments, breadcrumb,
  objection_window, contact), for each system; plus tzgg's page class (must be ``ok``).
* ``list``: tzgg's ``parse_listing`` items (url, title, date, in order), page count and next
  page; the baselines have no notion of a listing ("-").
* ``soft_404`` / ``blocked``: tzgg's ``classify_page`` verdict; baselines "-".

Speed: pages per second on one core over the real detail pages 01-06 (the realpages files
whose names start with "0"), median of ``--repeat`` runs; in each run every system makes at
least ``--loops`` passes over the pages and runs at least ``--min-time`` seconds, systems
interleaved within a run.  Every system is timed from the page bytes: tzgg decodes inside
``extract_notice``; the baselines take ``str``, so their timed function is
``decode_html(bytes)`` followed by their extraction (the same decoding tzgg does).
References in the same run: bare ``lxml.html.fromstring(bytes)`` and
``BeautifulSoup(bytes, "lxml")``.

The table has a row per field and a total per page kind. Checks listed in
``benchmarks/disputed_truth.json`` (a ground-truth value of ../shared/realpages believed wrong;
the manifest itself is never edited) are not scored: they are listed apart, with what tzgg gives.

Exit code 0; with ``--check``, 1 when tzgg gets any scored field wrong, or matches a disputed
truth after all (withdraw the dispute then).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.golden import (  # noqa: E402, F401  (the oracle: tests/golden.py)
    DETAIL_FIELDS,
    FIELDS,
    FIXTURES,
    PAGE_CLASSES,
    REALPAGES,
    Check,
    Page,
    System,
    Tzgg,
    _decode,
    disputed,
    expected_fields,
    fold,
    load_corpus,
    norm_date,
    same_url,
    score_page,
    score_tzgg,
    squash,
)

DEFAULT_FOLDERS = (REALPAGES, FIXTURES)


ALL_SYSTEMS = ("tzgg", "trafilatura", "gne")
LEGEND = (
    "right/total per field; '-' = not applicable to that system (listings, page classes).",
    "published: tzgg is held to full precision (a date-only truth needs a date-only output, a "
    "truth with a time needs that time); GNE is compared at the precision the truth gives; "
    "trafilatura outputs dates only (htmldate), so it is judged on the date part when the "
    "truth also has a time.",
    "source: tzgg's 来源/发布机构 field; GNE's `author` (its 来源/作者 field); trafilatura's "
    "`author` (its `sitename` is the site's name or host, never the issuing office).",
    "body_first_20/body_last_20: first/last 20 characters after deleting all whitespace; the "
    "baselines' body is trafilatura's `text` / GNE's `content`.",
    "doc_number, index_number, written, attachments, breadcrumb, objection_window, contact: "
    "the baselines have no such output; they count as null, right only where the truth is "
    "null or empty.",
    "attachments: ordered list of (name after whitespace folding, resolved absolute URL).",
    "trafilatura: bare_extraction(text, url=..., with_metadata=True, include_comments=False), "
    "otherwise defaults (fallback extractors on).  GNE: GeneralNewsExtractor().extract(text).",
)


# --- systems -----------------------------------------------------------------------------------


class MissingSystem(Exception):
    pass


class Trafilatura(System):
    name = "trafilatura"
    date_mode = "date"

    def __init__(self):
        try:
            import trafilatura
        except ImportError as e:
            raise MissingSystem(
                "trafilatura is not installed (pip install -e '.[bench]'); skipping it"
            ) from e
        logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
        logging.getLogger("htmldate").setLevel(logging.CRITICAL)
        self._bare = trafilatura.bare_extraction
        self.version = getattr(trafilatura, "__version__", "?")

    def _run(self, text: str, url: str):
        return self._bare(text, url=url, with_metadata=True, include_comments=False)

    def output(self, page: Page) -> dict:
        doc = self._run(_decode(page.raw, page.http_charset), page.url)
        if doc is None:
            return {}
        return {
            "title": doc.title,
            "published": doc.date,
            "source": doc.author,
            "body": doc.text,
        }

    def timed(self, raw, url, charset):
        return self._run(_decode(raw, charset), url)


class Gne(System):
    name = "gne"
    date_mode = "truth"

    def __init__(self):
        try:
            import gne
        except ImportError as e:
            raise MissingSystem(
                "gne is not installed (pip install -e '.[bench]', it needs lxml_html_clean on "
                "lxml >= 5.2); skipping it"
            ) from e
        self._gne = gne.GeneralNewsExtractor()
        self._no_content = gne.NoContentException
        self.version = getattr(gne, "__version__", "?")

    def _run(self, text: str):
        try:
            return self._gne.extract(text)
        except self._no_content:
            return None

    def output(self, page: Page) -> dict:
        r = self._run(_decode(page.raw, page.http_charset))
        if r is None:
            return {}
        return {
            "title": r.get("title"),
            "published": r.get("publish_time"),
            "source": r.get("author"),
            "body": r.get("content"),
        }

    def timed(self, raw, url, charset):
        return self._run(_decode(raw, charset))


SYSTEM_CLASSES = {"tzgg": Tzgg, "trafilatura": Trafilatura, "gne": Gne}


def make_systems(names, notes: list[str] | None = None) -> dict[str, System]:
    """The requested systems that can run; a one-line note for each one missing."""
    out = {}
    for name in names:
        cls = SYSTEM_CLASSES.get(name)
        if cls is None:
            raise SystemExit(f"unknown system {name!r} (choose from {', '.join(ALL_SYSTEMS)})")
        try:
            out[name] = cls()
        except MissingSystem as e:
            print(str(e), file=sys.stderr)
            if notes is not None:
                notes.append(str(e))
    return out


def evaluate(pages: list[Page], systems: dict[str, System]) -> list[Check]:
    """Every check; checks of a disputed truth carry the reason (they are scored for no
    system; one that tzgg gets right is listed: the dispute should then be withdrawn)."""
    disputes = disputed()
    checks = []
    for page in pages:
        for system in systems.values():
            for c in score_page(page, system):
                if page.folder.name == "realpages":  # unscored for every system alike
                    c.disputed = disputes.get((page.file, c.field))
                checks.append(c)
    return checks


def tally(checks: list[Check], systems) -> dict:
    """{field: {system: {"right", "total"}}} plus "TOTAL" and "TOTAL detail fields"."""
    table: dict[str, dict[str, dict[str, int]]] = {}
    for f in FIELDS:
        table[f] = {s: {"right": 0, "total": 0} for s in systems}
    for c in checks:
        cell = table.setdefault(c.field, {s: {"right": 0, "total": 0} for s in systems})[c.system]
        cell["total"] += 1
        cell["right"] += c.ok
    table = {f: row for f, row in table.items() if any(v["total"] for v in row.values())}
    rows = list(table.items())
    for label, keep in (("TOTAL detail fields", DETAIL_FIELDS), ("TOTAL all", None)):
        tot = {s: {"right": 0, "total": 0} for s in systems}
        for f, row in rows:
            if keep is None or f in keep:
                for s, v in row.items():
                    tot[s]["right"] += v["right"]
                    tot[s]["total"] += v["total"]
        table[label] = tot
    return table


def tally_kinds(checks: list[Check], pages: list[Page], systems) -> dict:
    """{page kind: {system: {"right", "total"}}}: a system with no check on a kind has none."""
    kind_of = {p.id: p.kind for p in pages}
    out: dict[str, dict[str, dict[str, int]]] = {}
    for c in checks:
        row = out.setdefault(kind_of[c.page], {})
        cell = row.setdefault(c.system, {"right": 0, "total": 0})
        cell["total"] += 1
        cell["right"] += c.ok
    return {k: {s: row[s] for s in systems if s in row} for k, row in out.items()}


def _row(c: Check) -> dict:
    d = asdict(c)
    del d["disputed"]
    return d


# --- speed -------------------------------------------------------------------------------------


def _pin_one_core() -> str:
    try:
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[0]})
        return f"pinned to CPU {cpus[0]}"
    except (AttributeError, OSError):
        return "not pinned (no sched_setaffinity); single-threaded"


def speed_pages(folder: Path = REALPAGES) -> list[Page]:
    """The real detail pages 01-06 (realpages files whose names start with '0')."""
    if not (folder / "manifest.json").is_file():
        return []
    return [p for p in load_corpus(folder) if p.file.startswith("0") and p.kind == "detail"]


def measure_speed(
    pages: list[Page],
    systems: dict[str, System],
    repeat: int,
    loops: int,
    min_time: float = 0.0,
) -> dict:
    """{name: {median, min, max}} pages/s: per run, at least `loops` passes over the pages and
    at least `min_time` seconds (so that fast systems are not timed over a few milliseconds)."""
    import lxml.html

    fns = {name: sys_.timed for name, sys_ in systems.items()}
    fns["lxml"] = lambda raw, url, cs: lxml.html.fromstring(raw)
    try:
        from bs4 import BeautifulSoup

        fns["bs4"] = lambda raw, url, cs: BeautifulSoup(raw, "lxml")
    except ImportError:
        pass
    data = [(p.raw, p.url, p.http_charset) for p in pages]
    for fn in fns.values():  # warm up: imports, regex compilation, caches
        for raw, url, cs in data:
            fn(raw, url, cs)
    runs: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            passes = 0
            start = time.perf_counter()
            while True:
                for raw, url, cs in data:
                    fn(raw, url, cs)
                passes += 1
                elapsed = time.perf_counter() - start
                if passes >= loops and elapsed >= min_time:
                    break
            runs[name].append(len(data) * passes / elapsed)
    return {
        name: {"median": statistics.median(r), "min": min(r), "max": max(r)}
        for name, r in runs.items()
    }


def _versions(systems: dict[str, System]) -> dict:
    import lxml.etree

    v = {
        "python": platform.python_version(),
        "lxml": ".".join(map(str, lxml.etree.LXML_VERSION)),
        "libxml2": ".".join(map(str, lxml.etree.LIBXML_VERSION)),
    }
    try:
        import bs4

        v["beautifulsoup4"] = bs4.__version__
    except ImportError:
        pass
    for name, s in systems.items():
        if hasattr(s, "version"):
            v[name] = s.version
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    v["cpu"] = cpu
    return v


TARGETS = (("trafilatura", 12.0), ("gne", 3.0), ("lxml", 0.5))  # issue 17's aims


def ratios(speed: dict) -> dict:
    out = {}
    if "tzgg" not in speed:
        return out
    for other, target in TARGETS:
        if other in speed:
            r = speed["tzgg"]["median"] / speed[other]["median"]
            out[f"tzgg/{other}"] = {"ratio": r, "target": target, "meets": r >= target}
    return out


# --- output ------------------------------------------------------------------------------------


def _short(v, width: int) -> str:
    if isinstance(v, str):
        s = v
    else:
        s = json.dumps(v, ensure_ascii=False)
    s = s.replace("\n", "⏎")
    return s if len(s) <= width else s[: width - 1] + "…"


def _cell(v: dict) -> str:
    return f"{v['right']}/{v['total']}" if v["total"] else "-"


def render(result: dict, width: int = 70) -> str:
    systems = result["systems"]
    lines = [f"$ {result['command']}"]
    for n in result["notes"]:
        lines.append(f"note: {n}")
    lines.append(
        f"{result['pages']} pages ({', '.join(f'{k} {v}' for k, v in result['kinds'].items())}) "
        f"from {', '.join(result['folders'])}"
    )
    lines.append("")
    lines.append(f"{'field':22}" + "".join(f"{s:>14}" for s in systems))
    for f, row in result["fields"].items():
        if f.startswith("TOTAL"):
            continue
        lines.append(f"{f:22}" + "".join(f"{_cell(row[s]):>14}" for s in systems))
    lines.append("-" * (22 + 14 * len(systems)))
    for f in ("TOTAL detail fields", "TOTAL all"):
        row = result["fields"][f]
        lines.append(f"{f:22}" + "".join(f"{_cell(row[s]):>14}" for s in systems))
    lines.append("")
    lines.append("by page kind (right/total):")
    for kind, row in result["by_kind"].items():
        cells = ", ".join(f"{s} {_cell(v)}" for s, v in row.items())
        lines.append(f"  {kind:20}{cells}")
    lines.append("")
    lines.append("legend:")
    for leg in LEGEND:
        lines.append(f"  - {leg}")
    for s in systems:
        wrong = [w for w in result["wrong"] if w["system"] == s]
        lines.append("")
        lines.append(f"{s} gets wrong ({len(wrong)}):")
        for w in wrong:
            lines.append(
                f"  {w['page']} | {w['field']} | got {_short(w['got'], width)}"
                f" | want {_short(w['want'], width)}"
            )
    if result["disputed"]:
        lines.append("")
        lines.append(
            f"disputed ground truth ({len(result['disputed'])}; not scored, see "
            "benchmarks/disputed_truth.json):"
        )
        for d in result["disputed"]:
            state = "tzgg now MATCHES it: withdraw the dispute" if d["ok"] else "tzgg differs"
            lines.append(f"  {d['page']} | {d['field']} | {state} | got {_short(d['got'], width)}")
    sp = result.get("speed")
    lines.append("")
    if sp is None:
        lines.append("speed: not measured")
    elif "skipped" in sp:
        lines.append(f"speed: skipped ({sp['skipped']})")
    else:
        v = sp["versions"]
        lines.append(
            f"speed: {sp['pages']} real detail pages ({sp['kib']:.0f} KiB); median of "
            f"{sp['repeat']} runs, each >= {sp['loops']} passes over the pages and >= "
            f"{sp['min_time']:g} s per system; one core ({sp['core']}); timed from page bytes, "
            "decoding included for every system"
        )
        lines.append(
            "  "
            + ", ".join(f"{k} {val}" for k, val in v.items() if k != "cpu")
            + f"; CPU: {v['cpu']}"
        )
        lines.append(f"  {'':34}{'median pages/s':>15}{'min':>10}{'max':>10}")
        names = {
            "lxml": "lxml.html.fromstring(bytes)",
            "bs4": 'BeautifulSoup(bytes, "lxml")',
            "tzgg": "tzgg extract_notice",
        }
        for name, r in sp["rates"].items():
            lines.append(
                f"  {names.get(name, name):34}{r['median']:15.1f}{r['min']:10.1f}{r['max']:10.1f}"
            )
        for k, r in sp["ratios"].items():
            verdict = "meets" if r["meets"] else "MISSES"
            lines.append(f"  {k:34}{r['ratio']:15.2f}   ({verdict} the >= {r['target']:g} target)")
    return "\n".join(lines)


# --- main --------------------------------------------------------------------------------------


def run(
    folders,
    system_names=ALL_SYSTEMS,
    repeat: int = 5,
    loops: int = 3,
    min_time: float = 0.5,
    speed: bool = True,
    command: str = "",
) -> dict:
    notes: list[str] = []
    pages: list[Page] = []
    used = []
    for folder in folders:
        folder = Path(folder)
        if not (folder / "manifest.json").is_file():
            notes.append(f"{folder} has no manifest.json: skipped")
            continue
        pages.extend(load_corpus(folder))
        used.append(str(folder))
    systems = make_systems(system_names, notes)
    checks = evaluate(pages, systems)
    scored = [c for c in checks if not c.disputed]
    names = list(systems)
    kinds: dict[str, int] = {}
    for p in pages:
        kinds[p.kind] = kinds.get(p.kind, 0) + 1
    result = {
        "command": command,
        "systems": names,
        "folders": used,
        "notes": notes,
        "pages": len(pages),
        "kinds": kinds,
        "legend": list(LEGEND),
        "fields": tally(scored, names),
        "by_kind": tally_kinds(scored, pages, names),
        "wrong": [_row(c) for c in scored if not c.ok],
        "disputed": [asdict(c) for c in checks if c.disputed and c.system == "tzgg"],
        "speed": None,
    }
    if speed:
        folder = next((Path(f) for f in used if Path(f).name == "realpages"), REALPAGES)
        sp_pages = speed_pages(folder)
        if not sp_pages:
            result["speed"] = {"skipped": f"no real detail pages 01-06 in {folder}"}
        else:
            core = _pin_one_core()
            rates = measure_speed(sp_pages, systems, repeat, loops, min_time)
            result["speed"] = {
                "pages": len(sp_pages),
                "kib": sum(len(p.raw) for p in sp_pages) / 1024,
                "repeat": repeat,
                "loops": loops,
                "min_time": min_time,
                "core": core,
                "versions": _versions(systems),
                "rates": rates,
                "ratios": ratios(rates),
            }
    return result


def tzgg_wrong(result: dict) -> list[dict]:
    """tzgg's wrong checks, and its disputed checks that match the truth after all (as a
    strict expected failure that passes, they ask for the dispute to be withdrawn)."""
    wrong = [w for w in result["wrong"] if w["system"] == "tzgg"]
    return wrong + [d for d in result["disputed"] if d["ok"]]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(
        description="Extraction accuracy and speed: tzgg beside trafilatura and GNE."
    )
    ap.add_argument("folders", nargs="*", help="folders with a manifest.json")
    ap.add_argument("--systems", default=",".join(ALL_SYSTEMS), help="comma-separated")
    ap.add_argument("--repeat", type=int, default=5, help="speed runs (median reported)")
    ap.add_argument("--loops", type=int, default=3, help="min. passes over the pages per run")
    ap.add_argument("--min-time", type=float, default=0.5, help="min. seconds per run")
    ap.add_argument("--no-speed", action="store_true", help="skip the speed measurement")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--check", action="store_true", help="exit 1 if tzgg gets a field wrong")
    ap.add_argument("--width", type=int, default=70, help="truncate values in the error list")
    args = ap.parse_args(argv)
    names = [s.strip() for s in args.systems.split(",") if s.strip()]
    if args.check and "tzgg" not in names:
        ap.error("--check grades tzgg: include it in --systems")
    folders = args.folders or [str(f) for f in DEFAULT_FOLDERS]
    result = run(
        folders,
        names,
        repeat=max(1, args.repeat),
        loops=max(1, args.loops),
        min_time=max(0.0, args.min_time),
        speed=not args.no_speed,
        command=" ".join(["python benchmarks/extraction_eval.py", *argv]),
    )
    if args.json:
        print(json.dumps(result, ensure_ascii=False, default=str))
    else:
        print(render(result, args.width))
    if args.check and tzgg_wrong(result):
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
