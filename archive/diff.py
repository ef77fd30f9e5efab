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
    if old_att != new_att:
        lines.append("  attachments:")
        lines += [f"    - {old_att[u]} <{u}>" for u in old_att if new_att.get(u) != old_att[u]]
        lines += [f"    + {new_att[u]} <{u}>" for u in new_att if old_att.get(u) != new_att[u]]
    return lines
