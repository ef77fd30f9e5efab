"""The search syntax (`tzgg search`, the feed's and a webhook's `query`): words, "phrases",
AND, OR and NOT, and the tokens both a query and an indexed text are cut into.  Pure: checked
where the registry is read, and evaluated by archive/storage (bigrams.py, search.py).

Tokens are every pair of adjacent Han characters, as Lucene's CJK analyzer makes them (a lone
Han character as itself), and Latin words and numbers whole, lower-cased.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from operator import add

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff〇"
_RUN = re.compile(rf"[{HAN}]+|[0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]+")
FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}


def tokens(text: str | None) -> list[str]:
    """Han bigrams (a lone Han character as itself) and lower-cased Latin words/numbers."""
    return token_text(text).split()  # no token holds a space


def token_text(text: str | None) -> str:
    """The tokens of `text`, space-separated: what the index stores (indexing spends most of its
    time here: a Han run's bigrams are its characters paired with the next, in C)."""
    out = []
    for run in _RUN.findall(text or ""):
        c = run[0]
        if c.isascii() or c >= "\uff10":  # letters and digits, half or full width
            out.append(run.translate(FULLWIDTH).lower())
        elif len(run) == 1:
            out.append(run)
        else:
            out.append(" ".join(map(add, run, run[1:])))
    return " ".join(out)


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
    return _positive_first(terms, query)


def _positive_first(terms: list[Term], query: str) -> list[Term]:
    """`NOT a b` as `b NOT a`: the index evaluates left to right from a word it holds (it
    took `NOT a b` for `a AND b`).  `NOT a OR b` has no such form: an error, not a guess."""
    lead = next(i for i, t in enumerate(terms) if t.op != "NOT")
    if lead == 0:
        return terms
    if terms[lead].op == "OR":
        raise QueryError(f"NOT … OR cannot start a query; put a word first: {query!r}")
    return [Term(terms[lead].text, "AND"), *terms[:lead], *terms[lead + 1 :]]
