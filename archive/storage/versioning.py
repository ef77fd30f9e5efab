"""What makes a version: normalized version fields, their hash, and what changed; and how a
notice's fields are stored in a version's columns and read back. Pure."""

from __future__ import annotations

import hashlib
import json
import re

from crawler.schema.fields import stored
from crawler.schema.records import NOTICE_FIELDS, VERSION_FIELDS

_WS = re.compile(r"[\s\u3000\u00a0\ufeff]+")


def json_or_null(value) -> str | None:
    """A JSON column's text, NULL for None."""
    return None if value is None else json.dumps(value, ensure_ascii=False)


_FILES = {s.name for s in NOTICE_FIELDS if s.kind == "files"}
STORED = stored(NOTICE_FIELDS)  # the notice's fields a version has a column for


def column_values(notice: dict, specs=STORED) -> dict:
    """Column -> SQL value of each stored field of a notice (a dict, as records carry it):
    lists as JSON ('[]' for none), objects as JSON or NULL."""
    out = {}
    for s in specs:
        value = notice.get(s.name)
        if s.kind in ("files", "list"):
            value = json.dumps(value or [], ensure_ascii=False)
        elif s.json:
            value = json_or_null(value)
        out[s.name] = value
    return out


def read_column(spec, value):
    """A stored field as the notice had it (JSON decoded)."""
    if not spec.json:
        return value
    if spec.kind in ("files", "list"):
        return json.loads(value or "[]")
    return json.loads(value) if value else None


def decoded(row, specs=STORED) -> dict:
    """A version row as a dict, its JSON columns decoded (to compare it with a notice)."""
    return dict(row) | {s.name: read_column(s, row[s.name]) for s in specs if s.json}


def fold(value: str | None) -> str | None:
    if value is None:
        return None
    folded = _WS.sub(" ", value).strip()
    return folded or None


def _attachments(items) -> list[list[str]]:
    """[url, name] per attachment, [url, name, sha256] when its bytes are known: so the hash
    of a version archived before attachments were downloaded stays what it was."""
    out = []
    for a in items or []:
        if isinstance(a, dict):
            name, url, sha = a["name"], a["url"], a.get("sha256")
        else:
            name, url, sha = a.name, a.url, None
        out.append([url, fold(name) or ""] + ([sha] if sha else []))
    return sorted(out)


def normalized(notice: dict) -> dict:
    """The version fields of a notice, folded so that whitespace noise compares equal."""
    out = {}
    for name in VERSION_FIELDS:
        value = notice.get(name)
        out[name] = _attachments(value) if name in _FILES else fold(value)
    return out


def version_hash(notice: dict) -> str:
    blob = json.dumps(normalized(notice), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def changed_fields(old: dict, new: dict) -> list[str]:
    a, b = normalized(old), normalized(new)
    return [name for name in VERSION_FIELDS if a[name] != b[name]]
