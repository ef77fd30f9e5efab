"""The diff page's model: two versions compared field by field, changed fields first, each
change as runs of kept, deleted and inserted text (the bounded diff of archive/storage/diff.py),
long kept runs collapsed to their ends and their length.  Pure: the template escapes every
piece and marks deletions and insertions with <del> and <ins>."""

from __future__ import annotations

from archive.storage.diff import field_text, level_note, text_diff
from crawler.schema.fields import displayed
from crawler.schema.records import NOTICE_FIELDS

CONTEXT = 40  # characters of kept text shown either side of a change
FIELDS = tuple(f for f in displayed(NOTICE_FIELDS) if f.version)


def runs(old: str, new: str, context: int = CONTEXT) -> tuple[list[dict], str]:
    """(runs, level): each run {"op": "keep" | "del" | "ins" | "skip", "text", "n"}; a kept
    run longer than twice `context` keeps its ends, with a "skip" run of its length between."""
    diff = text_diff(old, new)
    out: list[dict] = []
    ops = diff.ops
    for i, (op, a, b) in enumerate(ops):
        if op == "equal":
            lead = context if i > 0 else 0  # what follows a change
            tail = context if i < len(ops) - 1 else 0  # what comes before the next one
            if len(a) > lead + tail + 8:
                if lead:
                    out.append({"op": "keep", "text": a[:lead]})
                out.append({"op": "skip", "n": len(a) - lead - tail})
                if tail:
                    out.append({"op": "keep", "text": a[len(a) - tail :]})
            else:
                out.append({"op": "keep", "text": a})
            continue
        if a:
            out.append({"op": "del", "text": a})
        if b:
            out.append({"op": "ins", "text": b})
    return out, diff.level


def compare(old: dict, new: dict) -> list[dict]:
    """Every version field of the two versions: the changed ones first (in display order),
    each with its runs and the text of both sides; then the unchanged ones."""
    changed, same = [], []
    for spec in FIELDS:
        a, b = field_text(spec, old.get(spec.name)), field_text(spec, new.get(spec.name))
        row = {"name": spec.name, "zh": spec.zh, "en": spec.en}
        if a == b:
            same.append(row | {"changed": False, "length": len(a)})
            continue
        row["runs"], level = runs(a, b)
        row["note"] = level_note(level, a, b)
        row["deleted"] = sum(len(r["text"]) for r in row["runs"] if r["op"] == "del")
        row["inserted"] = sum(len(r["text"]) for r in row["runs"] if r["op"] == "ins")
        changed.append(row | {"changed": True})
    return changed + same
