"""The Datasette plugin behind `tzgg serve`: SQL functions for Chinese search and diffs, and
the one column it renders as HTML (a diff built here from escaped text)."""

from __future__ import annotations

import difflib
import hashlib
import hmac
import html
import secrets

from datasette import hookimpl
from markupsafe import Markup

from archive.bigrams import QueryError, match_expression, parse_query, snippet

NO_MATCH = '"zzqtzggnomatchzzq"'  # a word no document holds: an empty result, not an error page
# Only HTML that tzgg_diff built, unaltered, is rendered as HTML: it carries an HMAC of its
# content under a key of this process, which no stored text and no SQL a visitor writes can
# forge (SQL can copy a diff's prefix, or edit a diff with replace(); the HMAC no longer fits).
_KEY = secrets.token_bytes(32)
_PREFIX = '<table class="tzgg-diff" data-sig="'


def _sign(inner: str) -> str:
    return hmac.new(_KEY, inner.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def _signed(inner: str) -> str:
    return f'{_PREFIX}{_sign(inner)}">{inner}'


def _genuine(value: str) -> bool:
    """Whether `value` is exactly what tzgg_diff returned."""
    if not value.startswith(_PREFIX):
        return False
    sig, sep, inner = value[len(_PREFIX) :].partition('">')
    return bool(sep) and hmac.compare_digest(sig, _sign(inner))


def tzgg_match(query: str | None) -> str:
    """The FTS5 expression for a user's query (Datasette's _search would quote the term,
    which a bigram index cannot match)."""
    try:
        terms = parse_query(query or "")
    except QueryError:
        return NO_MATCH
    if any(t.needs_scan for t in terms):
        return NO_MATCH  # one-character words: `tzgg search` reads the text for those
    return match_expression(terms)


def tzgg_snippet(title: str | None, body: str | None, query: str | None) -> str:
    try:
        terms = parse_query(query or "")
    except QueryError:
        return ""
    return snippet(f"{title or ''} {body or ''}", terms, width=80)[0]


def tzgg_diff(old: str | None, new: str | None) -> str:
    """Side by side, characters that changed marked: <del> on the left, <ins> on the right."""
    old, new = old or "", new or ""
    left, right = [], []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        a, b = html.escape(old[a1:a2]), html.escape(new[b1:b2])
        if op == "equal":
            left.append(a)
            right.append(b)
        else:
            if a:
                left.append(f"<del>{a}</del>")
            if b:
                right.append(f"<ins>{b}</ins>")
    cell = '<td style="white-space:pre-wrap;vertical-align:top;width:50%">{}</td>'
    return _signed(
        "<tr>" + cell.format("".join(left)) + cell.format("".join(right)) + "</tr></table>"
    )


@hookimpl
def prepare_connection(conn):
    conn.create_function("tzgg_match", 1, tzgg_match, deterministic=True)
    conn.create_function("tzgg_snippet", 3, tzgg_snippet, deterministic=True)
    conn.create_function("tzgg_diff", 2, tzgg_diff, deterministic=True)


@hookimpl
def render_cell(value, column):
    if column == "diff" and isinstance(value, str) and _genuine(value):
        return Markup(value)  # built by tzgg_diff from escaped text only, and unaltered
    return None
