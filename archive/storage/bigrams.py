"""Chinese full-text search without a tokenizer plugin: character bigrams, made here.  Pure.

SQLite's tokenizers fail Chinese (unicode61 makes a run of Han characters one token; trigram
cannot match two-character words), and Python's sqlite3 cannot register a tokenizer.  So the
text is turned into tokens here — every pair of adjacent Han characters, as Lucene's CJK
analyzer does, and Latin words and numbers whole — and FTS5 indexes them separated by spaces.
A query is turned into the same tokens: a word of n Han characters is the phrase of its n-1
bigrams.  A one-character word has no bigram: such queries take the scan path (`matches`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff〇"
_RUN = re.compile(rf"[{_HAN}]+|[0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]+")
_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}


def tokens(text: str | None) -> list[str]:
    """Han bigrams (a lone Han character as itself) and lower-cased Latin words/numbers."""
    out: list[str] = []
    for m in _RUN.finditer(text or ""):
        run = m.group(0)
        if run[0].isascii() or "\uff10" <= run[0] <= "\uff5a":
            out.append(run.translate(_FULLWIDTH).lower())
        elif len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def document(*fields: str | None) -> str:
    """The FTS5 text of a version: its fields' tokens, a field break between fields (so that
    no phrase matches across two fields)."""
    return " | ".join(" ".join(tokens(f)) for f in fields if f)


class QueryError(ValueError):
    """A query that cannot be searched; the message says why, in one line."""


@dataclass
class Term:
    text: str  # as the user wrote it (for snippets and the scan path)
    op: str = "AND"  # AND | OR | NOT: how it joins the terms before it

    @property
    def needs_scan(self) -> bool:
        """A lone Han character has no bigram in the index."""
        return not any(len(t) > 1 or t.isascii() for t in tokens(self.text))


_PART = re.compile(r'"([^"]*)"|(\S+)')


def parse_query(query: str) -> list[Term]:
    """Terms joined by AND (the default), OR and NOT; "quoted phrases" are one term.

    An unbalanced quote is taken literally; an operator with nothing to join is an error."""
    q = (query or "").strip()
    if q.count('"') % 2:
        q = q.replace('"', " ")
    terms: list[Term] = []
    op = "AND"
    pending = False
    for m in _PART.finditer(q):
        word = m.group(1) if m.group(1) is not None else m.group(2)
        if m.group(2) in ("AND", "OR", "NOT"):
            if pending or (not terms and word != "NOT"):
                raise QueryError(f"{word} needs a word on each side: {query!r}")
            op, pending = word, True
            continue
        if not tokens(word):
            continue  # punctuation alone: nothing to look for
        terms.append(Term(word, "AND" if not terms and op != "NOT" else op))
        op, pending = "AND", False
    if pending:
        raise QueryError(f"the query ends with an operator: {query!r}")
    if not terms:
        raise QueryError(f"nothing to search for in {query!r}")
    if all(t.op == "NOT" for t in terms):
        raise QueryError(f"NOT needs something to exclude from: {query!r}")
    return terms


def match_expression(terms: list[Term]) -> str:
    """The FTS5 MATCH expression of terms that all have bigrams."""
    out = ""
    for t in terms:
        phrase = '"' + " ".join(tokens(t.text)) + '"'
        if not out:
            out = phrase
        elif t.op == "NOT":
            out = f"({out}) NOT {phrase}"
        else:
            out = f"({out}) {t.op} {phrase}"
    return out


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", (text or "").translate(_FULLWIDTH)).lower()


def matches(text: str, terms: list[Term]) -> bool:
    """The scan path: the query evaluated on the text itself (whitespace ignored)."""
    hay = _norm(text)
    result = None
    for t in terms:
        hit = _norm(t.text) in hay
        if result is None:
            result = hit if t.op != "NOT" else not hit
        elif t.op == "NOT":
            result = result and not hit
        elif t.op == "OR":
            result = result or hit
        else:
            result = result and hit
    return bool(result)


def mentions(text: str | None, terms: list[Term]) -> bool:
    """Whether the text holds any word the query looks for (NOT words aside)."""
    if not text:
        return False
    hay = _norm(text)
    return any(_norm(t.text) in hay for t in terms if t.op != "NOT")


def snippet(text: str, terms: list[Term], width: int = 60) -> tuple[str, list[tuple[int, int]]]:
    """(a piece of `text` around the first match, the (start, end) of each match in it)."""
    text = re.sub(r"\s+", " ", text or "").strip()
    needles = [t.text for t in terms if t.op != "NOT"]
    first = min((i for n in needles if (i := text.find(n)) >= 0), default=0)
    start = max(0, first - width // 3)
    piece = text[start : start + width]
    spans = []
    for n in needles:
        i = piece.find(n)
        while n and i >= 0:
            spans.append((i, i + len(n)))
            i = piece.find(n, i + len(n))
    prefix = "…" if start else ""
    suffix = "…" if start + width < len(text) else ""
    shift = len(prefix)
    return prefix + piece + suffix, sorted((a + shift, b + shift) for a, b in spans)
