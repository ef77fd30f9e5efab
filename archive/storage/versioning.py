"""What makes a version: normalized version fields, their hash, and what changed. Pure."""

from __future__ import annotations

import hashlib
import json
import re

from crawler.schema.records import VERSION_FIELDS

_WS = re.compile(r"[\s\u3000\u00a0\ufeff]+")


def json_or_null(value) -> str | None:
    """A JSON column's text, NULL for None."""
    return None if value is None else json.dumps(value, ensure_ascii=False)


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
        out[name] = _attachments(value) if name == "attachments" else fold(value)
    return out


def version_hash(notice: dict) -> str:
    blob = json.dumps(normalized(notice), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def changed_fields(old: dict, new: dict) -> list[str]:
    a, b = normalized(old), normalized(new)
    return [name for name in VERSION_FIELDS if a[name] != b[name]]
