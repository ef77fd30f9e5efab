"""Diffs between two versions of a notice, in bounded time and memory whatever the text. Pure.

difflib's matcher is quadratic or worse on hostile text (random hex: 71 s for 20 KB), so every
diff here runs on a work budget: the matcher is charged, before each step, an upper bound of
that step's work, and stops when the budget is spent.  A diff then falls back to a coarser
one: characters, then lines (changed lines compared character by character while the budget
lasts), then the changed middle shown whole.  The budget is a count of steps, not a clock, so
the same texts always give the same diff."""

from __future__ import annotations

import difflib
import html
import json
from collections import Counter
from dataclasses import dataclass
from itertools import accumulate

from crawler.schema.records import NOTICE_FIELDS

# Steps of difflib's inner loop per stage (characters, lines, refining changed lines): about
# 0.1 s of CPU each, so a diff of any size costs at most about 0.3 s
BUDGET = 1_000_000
_SETUP = 20  # what starting a matcher costs, in steps


class TooCostly(Exception):
    """The diff would go over its budget."""


class Budget:
    def __init__(self, steps: int):
        self.left = steps

    def charge(self, steps: int) -> None:
        if steps > self.left:
            raise TooCostly
        self.left -= steps


class _Matcher(difflib.SequenceMatcher):
    """difflib's matcher, charged for its work (no junk heuristics: the same result on every
    size of text)."""

    def __init__(self, a, b, budget: Budget):
        budget.charge(len(a) + len(b) + _SETUP)  # indexing b, counting a's matches
        # the first step's bound, before any indexing (Counter counts at C speed)
        ca, cb = Counter(a), Counter(b)
        if len(a) + sum(n * cb[x] for x, n in ca.items()) + _SETUP > budget.left:
            raise TooCostly
        super().__init__(None, a, b, autojunk=False)
        self._budget = budget
        # the inner loop of find_longest_match visits, for each a[i], at most every j of b2j[a[i]]
        self._work = list(accumulate((len(self.b2j.get(x, ())) for x in a), initial=0))

    def find_longest_match(self, alo=0, ahi=None, blo=0, bhi=None):
        ahi = len(self.a) if ahi is None else ahi
        self._budget.charge(ahi - alo + self._work[ahi] - self._work[alo] + _SETUP)
        return super().find_longest_match(alo, ahi, blo, bhi)


def _common_prefix(a, b) -> int:
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:  # binary search over slices: C-speed comparisons, log n of them
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a, b, limit: int) -> int:
    lo, hi = 0, min(len(a), len(b)) - limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid :] == b[len(b) - mid :]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _lines(text: str) -> list[str]:
    """Lines with their "\\n" kept (only "\\n": what the archive's body text uses)."""
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


@dataclass(frozen=True)
class TextDiff:
    """`ops`: ("equal", text, text) or ("change", old, new), which put together give the old
    text (second items) and the new (third).  `level`: how finely the changes were found:
    "characters"; "lines" (some changed lines are shown whole: too costly to compare each
    character); "whole" (too large to compare finely: the changed middle is shown whole)."""

    ops: list[tuple[str, str, str]]
    level: str


def _chars(a: str, b: str, budget: Budget) -> Ops:
    ops = []
    for tag, a1, a2, b1, b2 in _Matcher(a, b, budget).get_opcodes():
        ops.append(("equal" if tag == "equal" else "change", a[a1:a2], b[b1:b2]))
    return ops


Ops = list[tuple[str, str, str]]


def _refine(a: list[str], b: list[str], budget: Budget, whole: bool) -> tuple[Ops, bool]:
    """Changed lines compared character by character: as one block (unless `whole`: the
    block is all the text, already tried), else line by line when as many lines went as
    came, while the budget lasts; whether every change was refined."""
    old, new = "".join(a), "".join(b)
    if not old or not new:
        return [("change", old, new)], True
    try:
        if not whole:
            return _chars(old, new, budget), True
    except TooCostly:
        pass
    if len(a) != len(b) or (whole and len(a) == 1):
        return [("change", old, new)], False
    ops: Ops = []
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        try:
            ops += _chars(x, y, budget)
        except TooCostly:  # the rest shown whole (not one more try per line)
            return ops + [("change", "".join(a[i:]), "".join(b[i:]))], False
    return ops, True


def _by_lines(a: str, b: str, budget: int) -> tuple[Ops, bool]:
    """A line diff with its changed lines refined; whether every change was refined."""
    if a.count("\n") + b.count("\n") > budget:
        raise TooCostly  # not even split into lines: the lists alone would cost too much
    la, lb = _lines(a), _lines(b)
    opcodes = _Matcher(la, lb, Budget(budget)).get_opcodes()
    refine = Budget(budget)
    ops, fine = [], True
    for tag, a1, a2, b1, b2 in opcodes:
        if tag == "equal":
            ops.append(("equal", "".join(la[a1:a2]), "".join(lb[b1:b2])))
            continue
        whole = (a1, a2, b1, b2) == (0, len(la), 0, len(lb))
        refined, all_fine = _refine(la[a1:a2], lb[b1:b2], refine, whole)
        ops += refined
        fine = fine and all_fine
    return ops, fine


def text_diff(old: str | None, new: str | None, budget: int = BUDGET) -> TextDiff:
    """What changed from `old` to `new`, character by character when that fits the budget."""
    old, new = old or "", new or ""
    p = _common_prefix(old, new)
    s = _common_suffix(old, new, p)
    a, b = old[p : len(old) - s], new[p : len(new) - s]
    level = "characters"
    if not a or not b:
        middle = [("change", a, b)] if a or b else []
    else:
        try:
            middle = _chars(a, b, Budget(budget))
        except TooCostly:
            try:
                middle, fine = _by_lines(a, b, budget)
                level = "characters" if fine else "lines"
            except TooCostly:
                middle, level = [("change", a, b)], "whole"
    if p:
        middle.insert(0, ("equal", old[:p], new[:p]))
    if s:
        middle.append(("equal", old[len(old) - s :], new[len(new) - s :]))
    return TextDiff(_joined(middle), level)


def _joined(ops: Ops) -> Ops:
    """Runs of one kind joined into one op (a refined block may end as the next begins)."""
    runs: list[tuple[str, list[str], list[str]]] = []
    for kind, a, b in ops:
        if not (a or b):
            continue
        if not runs or runs[-1][0] != kind:
            runs.append((kind, [], []))
        runs[-1][1].append(a)
        runs[-1][2].append(b)
    return [(kind, "".join(a), "".join(b)) for kind, a, b in runs]


def _line_groups(a: list[str], b: list[str], context: int):
    """difflib's grouped opcodes of two lists of lines, or, over the budget, the common head
    and tail and one change between them."""
    try:
        return list(_Matcher(a, b, Budget(BUDGET)).get_grouped_opcodes(context))
    except TooCostly:
        p = _common_prefix(a, b)
        s = _common_suffix(a, b, p)
        n = min(context, p)
        head = [("equal", p - n, p, p - n, p)] if n else []
        n = min(context, s)
        tail = [("equal", len(a) - s, len(a) - s + n, len(b) - s, len(b) - s + n)] if n else []
        return [[*head, ("replace", p, len(a) - s, p, len(b) - s), *tail]]


def field_diff(old: dict, new: dict, context: int = 1, specs=NOTICE_FIELDS) -> list[str]:
    """What changed between two versions (as `tzgg show --json` gives them) in their version
    fields, a line each."""
    lines: list[str] = []
    for spec in (s for s in specs if s.version):
        if spec.kind == "body":
            lines += _body_diff(spec.name, old, new, context)
        elif spec.kind == "files":
            lines += _files_diff(spec.name, old, new)
        elif (old.get(spec.name) or None) != (new.get(spec.name) or None):
            a, b = (_shown(x.get(spec.name)) for x in (old, new))
            lines.append(f"  {spec.name}: {a}  →  {b}")
    return lines


def _shown(value) -> str:
    if not value:
        return "∅"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _body_diff(name: str, old: dict, new: dict, context: int) -> list[str]:
    a = (old.get(name) or "").splitlines()
    b = (new.get(name) or "").splitlines()
    if a == b:
        return []
    lines = [f"  {name}:"]
    for group in _line_groups(a, b, context):
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                lines += [f"     {x}" for x in a[a1:a2]]
                continue
            lines += [f"    -{x}" for x in a[a1:a2]]
            lines += [f"    +{x}" for x in b[b1:b2]]
    return lines


def _files_diff(name: str, old: dict, new: dict) -> list[str]:
    old_att = {x["url"]: x["name"] for x in old.get(name) or []}
    new_att = {x["url"]: x["name"] for x in new.get(name) or []}
    # same URL and name, other bytes (both downloads known)
    old_sha = {x["url"]: x.get("sha256") for x in old.get(name) or []}
    refiled = [
        x
        for x in new.get(name) or []
        if old_att.get(x["url"]) == x["name"]
        and old_sha[x["url"]]
        and x.get("sha256")
        and old_sha[x["url"]] != x["sha256"]
    ]
    if old_att == new_att and not refiled:
        return []
    lines = [f"  {name}:"]
    lines += [f"    - {old_att[u]} <{u}>" for u in old_att if new_att.get(u) != old_att[u]]
    lines += [f"    + {new_att[u]} <{u}>" for u in new_att if old_att.get(u) != new_att[u]]
    lines += [
        f"    ~ {x['name']} <{x['url']}> (new file: sha256 {x['sha256'][:12]}…,"
        f" {x.get('size') or '?'} bytes)"
        for x in refiled
    ]
    return lines


# -- a diff as a page of its own (an evidence bundle's; the web UI may serve it too) --------

_LEVEL_NOTES = {
    "lines": "部分修改过长，整段显示 · some changed passages are too long to compare character"
    " by character and are shown whole",
    "whole": "文本过大，未逐字比较（旧 {old:,} 字，新 {new:,} 字）· too large to compare finely"
    " ({old:,} → {new:,} characters): the changed part is shown whole",
}


def level_note(level: str, old: str | None, new: str | None) -> str:
    """What a diff's reader must know of a coarse diff ('' for one made character by
    character): the note every rendering of a diff shows above it."""
    note = _LEVEL_NOTES.get(level, "")
    return note.format(old=len(old or ""), new=len(new or "")) if note else ""


_STYLE = (
    "body{font-family:sans-serif;max-width:60em;margin:1em auto;padding:0 1em}"
    "pre{white-space:pre-wrap;word-break:break-all;background:#f8f8f8;padding:.5em}"
    "del{background:#fcc}ins{background:#cfc;text-decoration:none}.note{color:#555}"
)


def field_text(spec, value) -> str:
    """A version field's value as the text a diff compares: a file a line (name, URL, SHA-256),
    a list or an object as JSON."""
    if not value:
        return ""
    if spec.kind == "files":
        lines = (
            f"{a.get('name') or ''} <{a.get('url') or ''}> {a.get('sha256') or ''}" for a in value
        )
        return "\n".join(line.rstrip() for line in lines)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def render_diff_html(old: dict, new: dict, specs=NOTICE_FIELDS) -> str:
    """Two versions (as `tzgg show --json` gives them) as a self-contained HTML page: each
    version field that changed, deletions in <del> and insertions in <ins> (text_diff's, so
    bounded whatever the texts).  Pure; every piece of archived text is escaped."""
    esc = html.escape
    parts = []
    for spec in (s for s in specs if s.version):
        a, b = (field_text(spec, v.get(spec.name)) for v in (old, new))
        diff = text_diff(a, b)
        if all(op == "equal" for op, _, _ in diff.ops):
            continue
        marked = "".join(
            esc(a)
            if op == "equal"
            else (f"<del>{esc(a)}</del>" if a else "") + (f"<ins>{esc(b)}</ins>" if b else "")
            for op, a, b in diff.ops
        )
        note = level_note(diff.level, a, b)
        note = f'<p class="note">{esc(note)}</p>' if note else ""
        parts.append(f"<h2>{esc(spec.zh)} · {esc(spec.en)}</h2>\n{note}<pre>{marked}</pre>")
    a, b = old["version"], new["version"]
    title = esc(f"{new.get('title') or ''} — version {a} → {b}")
    seen = "".join(
        f"<li>version {v['version']}: first seen {esc(v.get('first_seen') or '?')} at"
        f" {esc(v.get('url') or '?')}</li>"
        for v in (old, new)
    )
    return (
        f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{_STYLE}</style></head>\n<body>\n<h1>{title}</h1>\n<ul>{seen}</ul>\n"
        + ("\n".join(parts) or "<p>No version field changed.</p>")
        + "\n</body>\n</html>\n"
    )
