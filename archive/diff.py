"""A readable field-by-field diff between two versions of a notice. Pure."""

from __future__ import annotations

import difflib

SCALARS = ("title", "published", "source", "doc_number", "index_number", "written")


def field_diff(old: dict, new: dict, context: int = 1) -> list[str]:
    lines: list[str] = []
    for name in SCALARS:
        if (old.get(name) or None) != (new.get(name) or None):
            lines.append(f"  {name}: {old.get(name) or '∅'}  →  {new.get(name) or '∅'}")
    a = (old.get("body") or "").splitlines()
    b = (new.get("body") or "").splitlines()
    if a != b:
        lines.append("  body:")
        for line in list(difflib.unified_diff(a, b, lineterm="", n=context))[2:]:
            if not line.startswith("@@"):
                lines.append(f"    {line}")
    old_att = {x["url"]: x["name"] for x in old.get("attachments") or []}
    new_att = {x["url"]: x["name"] for x in new.get("attachments") or []}
    # same URL and name, other bytes (both downloads known)
    old_sha = {x["url"]: x.get("sha256") for x in old.get("attachments") or []}
    refiled = [
        x
        for x in new.get("attachments") or []
        if old_att.get(x["url"]) == x["name"]
        and old_sha[x["url"]]
        and x.get("sha256")
        and old_sha[x["url"]] != x["sha256"]
    ]
    if old_att != new_att or refiled:
        lines.append("  attachments:")
        lines += [f"    - {old_att[u]} <{u}>" for u in old_att if new_att.get(u) != old_att[u]]
        lines += [f"    + {new_att[u]} <{u}>" for u in new_att if old_att.get(u) != new_att[u]]
        lines += [
            f"    ~ {x['name']} <{x['url']}> (new file: sha256 {x['sha256'][:12]}…,"
            f" {x.get('size') or '?'} bytes)"
            for x in refiled
        ]
    return lines
