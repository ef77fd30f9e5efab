"""The records an export writes: each notice as the archive stood at a moment (every version up
to it, with `history`), redacted when asked, counted, as JSONL or CSV.  Shared by the text
exports (archive/export/__init__.py) and the bag (bag.py)."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable

from archive.storage.asof import notices_as_of
from crawler.schema.fields import exported
from crawler.schema.records import NOTICE_FIELDS

# -- redaction ------------------------------------------------------------------------------

# 18-digit resident ID numbers (the last may be X) and mainland mobile numbers (after +86 too),
# not inside a longer run of digits (a 文号 or an account number is left alone).  Matched on
# the text with full-width digits folded: the fold keeps every length, so spans carry over.
_ID = re.compile(
    r"(?<![0-9])[1-9][0-9]{5}(?:18|19|20)[0-9]{2}[01][0-9][0-3][0-9]{4}[0-9Xx](?![0-9])"
)
_MOBILE = re.compile(
    r"(?:(?<=\+86)|(?<=\+86[- ])|(?<![0-9]))1[3-9][0-9](?:[- ]?[0-9]{4}){2}(?![0-9])"
)
_FOLD = str.maketrans("０１２３４５６７８９ＸｘＫ－＋", "0123456789XxK-+")


def redact_text(text: str) -> str:
    folded = text.translate(_FOLD)
    spans = [m.span() for rx in (_ID, _MOBILE) for m in rx.finditer(folded)]
    if not spans:
        return text
    chars = list(text)
    for a, b in spans:
        chars[a:b] = "*" * (b - a)
    return "".join(chars)


# Free text, where people's numbers are written; ids, URLs and digests are left alone (of a
# list of files, their names).
_FREE_TEXT = tuple(s.name for s in NOTICE_FIELDS if s.free_text)
_FILES = tuple(s.name for s in NOTICE_FIELDS if s.kind == "files")


def _redact_value(value):
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list):
        return [_redact_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    return value


def redact(record: dict) -> dict:
    """`record` with every ID and mobile number in its free text masked (same length, `*`)."""
    out = dict(record)
    for name in _FREE_TEXT:
        if name in out:
            out[name] = _redact_value(out[name])
    for name in _FILES:
        if out.get(name):
            out[name] = [a | {"name": redact_text(a["name"] or "")} for a in out[name]]
    return out


REDACTION_NOTE = "18-digit 身份证号 and mobile numbers masked with * in the text exports"

# -- JSONL and CSV --------------------------------------------------------------------------


def csv_columns(specs=NOTICE_FIELDS) -> tuple[str, ...]:
    """The CSV's columns: the notice's one-line fields after its status, then the record's
    URLs and dates, then its other fields (the body last), in the fields' display order."""
    shown = sorted(exported(specs), key=lambda s: s.order)
    return (
        ("id", "site", "status", "status_since", "removed_reason")
        + tuple(s.name for s in shown if s.scalar)
        + ("url", "urls", "version", "valid_from", "valid_to", "first_seen", "last_seen")
        + ("changed",)
        + tuple(s.name for s in shown if not s.scalar)
        + ("version_url", "extractor_version")
    )


CSV_COLUMNS = csv_columns()


# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(...) sends
# the reader's data away): OWASP's CSV injection list.  Such a text cell gets a leading `'`.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(name: str, value, *, raw: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float):  # a number is a value, never a formula: as it is
        return str(value)
    if name in _FILES:
        text = " | ".join(f"{a.get('name') or ''} <{a['url']}>" for a in value)
    elif isinstance(value, list):
        text = " | ".join(str(v) for v in value)
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    return text if raw or not text.startswith(FORMULA_STARTS) else "'" + text


def write_jsonl(records: Iterable[dict], fh) -> int:
    n = 0
    for r in records:
        fh.write(json.dumps(r, ensure_ascii=False))
        fh.write("\n")
        n += 1
    return n


def write_csv(records: Iterable[dict], fh, *, raw: bool = False) -> int:
    """CSV for spreadsheets: a text cell a spreadsheet would run as a formula starts with `'`
    (unless `raw`)."""
    w = csv.writer(fh)
    w.writerow(CSV_COLUMNS)
    n = 0
    for r in records:
        w.writerow([_csv_cell(c, r.get(c), raw=raw) for c in CSV_COLUMNS])
        n += 1
    return n


class Counted:
    """Records passed through, counting them and the notices they belong to (a history has
    several records, one per version, of one notice, and they come together)."""

    def __init__(self, records: Iterable[dict]):
        self.records, self.versions, self.notices = records, 0, 0

    def __iter__(self):
        last = None
        for r in self.records:
            self.versions += 1
            if r["id"] != last:
                self.notices, last = self.notices + 1, r["id"]
            yield r

    def summary(self, history: bool) -> dict:
        return {"notices": self.notices} | ({"versions": self.versions} if history else {})


def notice_records(conn, at: str, *, site=None, history=False, redacted=False):
    records = notices_as_of(conn, at, site=site, history=history)
    return (redact(r) for r in records) if redacted else records
