"""Diffs between versions (archive/storage/diff.py and the UI's tzgg_diff): exact, as fine as the
budget allows, and bounded in cost whatever the texts (a hard CPU limit, no timing)."""

from __future__ import annotations

import random

from archive.storage.diff import field_diff, text_diff
from tests.limits import run_limited

# Built in the child, cheaply: random hex (nothing in common), a table with every amount
# revised, a notice with a few edits, distinct characters matched one at a time (difflib's
# recursion as deep as the text), random CJK text, many short lines all changed, and lines
# of 300 values in random order (each too rare for difflib's junk heuristic).
HOSTILE = """
import os, random
r = random.Random(1)
def cjk(n): return "".join(chr(0x4E00 + r.randrange(20000)) for _ in range(n))
def table(amount): return "\\n".join(f"{i} 张三{i} 第{i}号地块 {i * 1.5:.2f} {amount + i}" for i in range(700))
body = "\\n".join(cjk(r.randint(60, 240)) for _ in range(700))
edit = body[:30000] + "48000元" + body[30003:60000] + cjk(200) + body[60000:]
deep = "".join(chr(0x4E00 + i) for i in range(30000))
CASES = [
    (os.urandom(10_000).hex(), os.urandom(10_000).hex()),
    (os.urandom(50_000).hex(), os.urandom(50_000).hex()),
    (table(52000), table(48000)),
    (body, edit),
    (deep, "".join(c + chr(0x20000 + i) for i, c in enumerate(deep))),
    (cjk(100_000), cjk(100_000)),
    ("\\n".join(map(str, range(100_000))), "\\n".join(map(str, range(1, 100_001)))),
    ("a\\n" * 100_000, "a\\nb\\n" * 50_000),
    ("\\n".join(str(r.randrange(300)) for _ in range(150_000)),
     "\\n".join(str(r.randrange(300)) for _ in range(150_000))),
]
"""


def test_the_uis_diff_is_bounded_whatever_the_texts():
    """Before the bounded diff, the first case alone took over a minute (71 s for 20k hex
    characters); now every case together fits in a few seconds of CPU."""
    out = run_limited(
        """
        from crawler.webui.plugins.tzgg_plugin import tzgg_diff
        for a, b in CASES:
            print(len(tzgg_diff(a, b)) >= len(a) + len(b))
        """,
        setup=HOSTILE,
        cpu_s=10,
        mem_mb=1024,
    )
    assert out.split() == ["True"] * 9


def test_field_diff_is_bounded_whatever_the_bodies():
    out = run_limited(
        """
        from archive.storage.diff import field_diff
        for a, b in CASES:
            print(len(field_diff({"body": a}, {"body": b})) > 1)
        """,
        setup=HOSTILE,
        cpu_s=10,
        mem_mb=1024,
    )
    assert out.split() == ["True"] * 9


def _sides(ops) -> tuple[str, str]:
    return "".join(o[1] for o in ops), "".join(o[2] for o in ops)


def test_a_diff_puts_back_both_texts_and_marks_only_what_changed():
    r = random.Random(7)
    for _ in range(500):
        old = "".join(r.choice("补偿标准为每亩元\n0123456789") for _ in range(r.randint(0, 60)))
        new = list(old)
        for _ in range(r.randint(0, 5)):
            i = r.randint(0, len(new))
            new[i : i + r.randint(0, 3)] = r.choice(["", "4", "八千", "\n"])
        new = "".join(new)
        for budget in (10**6, 200, 0):  # fine, partly coarse, coarse
            diff = text_diff(old, new, budget)
            assert _sides(diff.ops) == (old, new)
            assert all(a == b for kind, a, b in diff.ops if kind == "equal")
            assert all(x[0] != y[0] for x, y in zip(diff.ops, diff.ops[1:], strict=False))
    diff = text_diff("补偿标准为每亩52000元。", "补偿标准为每亩48000元。")
    assert diff.level == "characters"
    assert [op for op in diff.ops if op[0] == "change"] == [("change", "52", "48")]


def test_over_the_budget_a_diff_is_coarser_and_says_so():
    old, new = "".join(f"{i % 10}\n" for i in range(50)), "".join(f"{i % 7}\n" for i in range(50))
    head = "标题\n正文第一段。\n"
    diff = text_diff(head + old, head + new, budget=100)
    assert _sides(diff.ops) == (head + old, head + new) and diff.level != "characters"
    assert diff.ops[0][0] == "equal" and diff.ops[0][1].startswith(head)  # common stays so
    assert text_diff(head + old, head + new, budget=0).level == "whole"
    # the same texts give the same diff (a budget of steps, not of time)
    assert text_diff(old, new, budget=500) == text_diff(old, new, budget=500)


def test_field_diff_lists_changed_lines_with_context():
    old = {"title": "关于征地的公告", "body": "第一段\n补偿标准为每亩52000元。\n第三段\n第四段"}
    new = {
        "title": "关于征地的公告（更正）",
        "body": "第一段\n补偿标准为每亩48000元。\n第三段\n第四段",
    }
    assert field_diff(old, new) == [
        "  title: 关于征地的公告  →  关于征地的公告（更正）",
        "  body:",
        "     第一段",
        "    -补偿标准为每亩52000元。",
        "    +补偿标准为每亩48000元。",
        "     第三段",
    ]
