"""Chinese full-text search without a tokenizer plugin: character bigrams, made here.  Pure.

SQLite's tokenizers fail Chinese (unicode61 makes a run of Han characters one token; trigram
cannot match two-character words), and Python's sqlite3 cannot register a tokenizer.  So the
text is turned into tokens here (crawler/parse/query.py: every pair of adjacent Han characters,
and Latin words and numbers whole) and FTS5 indexes them separated by spaces.  A query is turned
into the same tokens: a word of n Han characters is the phrase of its n-1 bigrams.  A
one-character word has no bigram: such queries take the scan path (`matches`).
"""

from __future__ import annotations

import re

# The search syntax is read below the archive (a webhook's query is checked with the registry);
# its names are re-exported here, where search and the feed have always found them.
from crawler.parse.query import FULLWIDTH, QueryError, Term, parse_query, token_text, tokens

__all__ = ["QueryError", "Term", "parse_query", "tokens", "token_text", "document"]
__all__ += ["match_expression", "matches", "mentions", "snippet"]


def document(*fields: str | None) -> str:
    """The FTS5 text of a version: its fields' tokens, a field break between fields (so that
    no phrase matches across two fields)."""
    return " | ".join(token_text(f) for f in fields if f)


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
    return re.sub(r"\s+", "", (text or "").translate(FULLWIDTH)).lower()


def scan_form(text: str) -> str:
    """What the scan path compares: width folded, lower case, no whitespace."""
    return _norm(text)


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
