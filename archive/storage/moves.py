"""Which archived notice a notice found at a new URL is: the matching behind a site's migration
(and, later, reposts across sites).  Pure: documents in, links out; no SQLite here.

The rules, from issue 19:

* Strong anchors first: an equal 文号 (brackets and spaces normalised) that each side holds
  once, or an attachment's sha256 that each side holds once.
* Then the text: character 5-gram Jaccard of the bodies after the lines that recur across a
  side's pages are dropped (a short notice is mostly the site's boilerplate), with the titles'
  similarity (rapidfuzz) as support.  The displayed date is never evidence: a migration
  regenerates it.
* One-to-one: each new document is claimed by at most one old one, best pairs first; a pair
  whose runner-up on either side is within `margin` of it is `ambiguous`, left for a person
  (templated notices - 招聘公告, 更正登记公告 that differ in names and numbers - must not take
  each other's place, and so hide a removal).

Candidates come from a bottom-k sketch of each body's 5-gram hashes (an inverted index of the
k smallest): documents that share none of them are never compared."""

from __future__ import annotations

import heapq
import re
import unicodedata
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz

GRAM = 5  # characters in a shingle
SKETCH = 24  # hashes kept of each body
CANDIDATES = 12  # new documents compared with each old one, most shared hashes first
THRESHOLD = 0.6  # the least score a link needs (a notice moved whole scores about 1)
MARGIN = 0.08  # a runner-up this close makes the pair ambiguous
ANCHOR_FLOOR = 0.2  # an anchor still needs this much of the text in common
CHROME = 0.2  # a line shape on this share of a side's pages is its template's
_BRACKETS = str.maketrans("〔〕［］【】﹝﹞（）()", "[][][][][][]")
_NOT_TEXT = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Doc:
    key: str  # the notice's id (old) or its URL (new)
    title: str = ""
    body: str = ""
    doc_number: str | None = None
    files: tuple[str, ...] = ()  # its attachments' sha256


@dataclass(frozen=True)
class Link:
    old: str
    new: str
    score: float
    anchor: str  # doc_number | file | text
    body: float  # the bodies' similarity
    title: float
    edited: bool  # the texts differ: an edit made on the way


@dataclass
class Outcome:
    links: list[Link] = field(default_factory=list)
    # each old document of a near tie, and the new ones it is tied to
    ambiguous: list[tuple[str, list[str]]] = field(default_factory=list)
    unmatched_old: list[str] = field(default_factory=list)
    unmatched_new: list[str] = field(default_factory=list)
    # a new document the site serves at several URLs, the same text: its first key -> the rest
    duplicates: dict[str, list[str]] = field(default_factory=dict)


def doc_number_key(value: str | None) -> str | None:
    """A 文号 as compared: width folded, brackets one kind, no spaces."""
    if not value:
        return None
    text = unicodedata.normalize("NFKC", value).translate(_BRACKETS)
    return re.sub(r"\s+", "", text) or None


def _norm(text: str) -> str:
    return _NOT_TEXT.sub("", unicodedata.normalize("NFKC", text or "").lower())


_DIGITS = re.compile(r"\d+")


def _shape(line: str) -> str:
    """A normalised line with its numbers folded: 浏览次数：37 and 浏览次数：512 are one line."""
    return _DIGITS.sub("0", line)


def boilerplate(docs: list[Doc], share: float = 0.05, least: int = 3) -> set[str]:
    """The shapes of the body lines that recur on at least `share` of a side's documents (and
    on `least` of them): the site's template (its counters and dates too), not the notice."""
    seen: Counter = Counter()
    for d in docs:
        seen.update({_shape(_norm(line)) for line in (d.body or "").splitlines()} - {""})
    floor = max(least, int(share * len(docs)))
    return {line for line, n in seen.items() if n >= floor}


SHORT = 20  # characters: a text this short once the common lines are gone keeps them
CONTAINED = 40  # 5-grams: a text this long or longer may be matched by its containment


class _Prepared:
    __slots__ = ("doc", "text", "whole", "grams", "sketch")

    def __init__(self, doc: Doc, common: set[str], chrome: set[str]):
        self.doc = doc
        lines = [line for line in map(_norm, (doc.body or "").splitlines()) if line]
        shapes = [_shape(line) for line in lines] if common or chrome else None
        if shapes is None:  # nothing to drop (no template known)
            self.text = self.whole = "".join(lines)
        else:
            self.text = "".join(x for x, s in zip(lines, shapes, strict=True) if s not in common)
            # the notice less its site's template: what an edit on the way changes
            self.whole = (
                self.text
                if common is chrome
                else "".join(x for x, s in zip(lines, shapes, strict=True) if s not in chrome)
            )
        if len(self.text) < SHORT:  # a notice of set phrases: only the page's chrome goes
            self.text = self.whole
        if len(self.text) < GRAM:
            self.grams = {zlib.crc32(self.text.encode())} if self.text else set()
        else:
            t = self.text
            self.grams = {zlib.crc32(t[i : i + GRAM].encode()) for i in range(len(t) - GRAM + 1)}
        self.sketch = heapq.nsmallest(SKETCH, self.grams)


def _similarity(a: set, b: set) -> float:
    """Jaccard of the 5-gram sets, or nine tenths of the smaller one's containment in the
    other when that is higher (an edit that adds a paragraph, or a line one side's template
    held): for texts of CONTAINED 5-grams and more only (a line of set phrases is in many)."""
    if not a or not b:
        return 0.0
    inter = len(a & b)
    jaccard = inter / (len(a) + len(b) - inter)
    smaller = min(len(a), len(b))
    return max(jaccard, 0.9 * inter / smaller) if smaller >= CONTAINED else jaccard


def _numbers(d: Doc) -> list[str]:
    key = doc_number_key(d.doc_number)
    return [key] if key else []


def _files(d: Doc) -> tuple[str, ...]:
    return d.files


def _unique(docs: list[_Prepared], keys) -> dict:
    """key -> the one document holding it (keys two documents hold are no anchor)."""
    holders: dict = defaultdict(list)
    for p in docs:
        for k in set(keys(p.doc)):
            holders[k].append(p)
    return {k: ps[0] for k, ps in holders.items() if len(ps) == 1}


def _pair(a: _Prepared, b: _Prepared, anchor: str) -> Link:
    body = _similarity(a.grams, b.grams)
    title = fuzz.ratio(_norm(a.doc.title), _norm(b.doc.title)) / 100
    score = 0.85 * body + 0.15 * title if anchor == "text" else 1.0 + body
    edited = a.whole != b.whole or _norm(a.doc.title) != _norm(b.doc.title)
    return Link(a.doc.key, b.doc.key, score, anchor, round(body, 4), round(title, 4), edited)


def match(
    old: list[Doc], new: list[Doc], *, threshold: float = THRESHOLD, margin: float = MARGIN
) -> Outcome:
    """Link each old document to the new one that is the same notice, if any (see the module's
    rules); what is left unmatched on either side, and the near ties, are said."""
    common, chrome = boilerplate(old), boilerplate(old, CHROME)
    olds = [_Prepared(d, common, chrome) for d in old]
    common, chrome = boilerplate(new), boilerplate(new, CHROME)
    news, duplicates = _distinct([_Prepared(d, common, chrome) for d in new])
    by_hash: dict[int, list[int]] = defaultdict(list)
    for j, p in enumerate(news):
        for h in p.sketch:
            by_hash[h].append(j)
    numbers, files = _unique(news, _numbers), _unique(news, _files)
    old_numbers, old_files = _unique(olds, _numbers), _unique(olds, _files)

    pairs: dict[tuple[str, str], Link] = {}
    for a in olds:
        anchored = []
        key = doc_number_key(a.doc.doc_number)
        if key and old_numbers.get(key) is a and key in numbers:
            anchored.append((numbers[key], "doc_number"))
        for sha in a.doc.files:
            if old_files.get(sha) is a and sha in files:
                anchored.append((files[sha], "file"))
        for b, how in anchored:
            link = _pair(a, b, how)
            if link.body >= ANCHOR_FLOOR:
                pairs[a.doc.key, b.doc.key] = link
        shared = Counter(j for h in a.sketch for j in by_hash.get(h, ()))
        for j, _n in shared.most_common(CANDIDATES):
            b = news[j]
            if (a.doc.key, b.doc.key) not in pairs:
                link = _pair(a, b, "text")
                if link.score >= threshold:
                    pairs[a.doc.key, b.doc.key] = link
    out = _assign(list(pairs.values()), olds, news, margin)
    out.duplicates = duplicates
    return out


def _distinct(docs: list[_Prepared]) -> tuple[list[_Prepared], dict[str, list[str]]]:
    """The documents less those that repeat an earlier one's title and text exactly (a site
    may list one notice under two URLs): those are the same notice, not rivals."""
    first: dict[tuple, _Prepared] = {}
    extra: dict[str, list[str]] = defaultdict(list)
    for p in docs:
        key = (_norm(p.doc.title), p.text)
        if key in first:
            extra[first[key].doc.key].append(p.doc.key)
        else:
            first[key] = p
    return list(first.values()), dict(extra)


def _assign(links: list[Link], olds, news, margin: float) -> Outcome:
    """One-to-one, best first.  A pair is ambiguous (neither linked) when a free rival on
    either side is within `margin` of it and would not rather go elsewhere: a rival new
    document whose own best old one is another, by more than `margin`, is no rival (templated
    siblings each have a better partner of their own)."""
    by_old: dict[str, list[Link]] = defaultdict(list)
    by_new: dict[str, list[Link]] = defaultdict(list)
    for link in links:
        by_old[link.old].append(link)
        by_new[link.new].append(link)

    def prefers_other(r: Link, side: str, me: str) -> bool:
        """Whether the rival's far end has a partner better than `me` by `margin`."""
        if side == "new":  # r = (me_old, other_new): other_new's best old other than me_old
            others = [x.score for x in by_new[r.new] if x.old != me and x.old not in taken_old]
        else:  # r = (other_old, me_new): other_old's best new other than me_new
            others = [x.score for x in by_old[r.old] if x.new != me and x.new not in taken_new]
        return bool(others) and max(others) > r.score + margin

    taken_old: set[str] = set()
    taken_new: set[str] = set()
    out = Outcome()
    held: set[str] = set()  # old and new documents left for a person
    for link in sorted(links, key=lambda x: (-x.score, x.old, x.new)):
        if link.old in taken_old or link.new in taken_new:
            continue
        if link.old in held or link.new in held:  # a near tie's: not given to another
            continue
        rivals = [
            r
            for r in by_old[link.old]
            if r is not link and r.new not in taken_new and not prefers_other(r, "new", r.old)
        ] + [
            r
            for r in by_new[link.new]
            if r is not link and r.old not in taken_old and not prefers_other(r, "old", r.new)
        ]
        close = [r for r in rivals if link.score - r.score < margin]
        if close:
            held |= {link.old, link.new, *(r.old for r in close), *(r.new for r in close)}
            # every old document of the tie is held, each with the new ones it is tied to
            tied: dict[str, set[str]] = defaultdict(set)
            for x in (link, *close):
                tied[x.old].add(x.new)
            out.ambiguous += [(old, sorted(news)) for old, news in sorted(tied.items())]
            continue
        taken_old.add(link.old)
        taken_new.add(link.new)
        out.links.append(link)
    out.unmatched_old = [p.doc.key for p in olds if p.doc.key not in taken_old]
    out.unmatched_new = [p.doc.key for p in news if p.doc.key not in taken_new]
    return out


# -- reposts: the same notice on several sites -----------------------------------------------

REPOST = 0.8  # containment of the shorter text in the longer: a copy of the same notice
REPOST_TITLE = 0.6  # and the titles this alike (a repost may prefix 转发…; set phrases recur)


REDIRECT = 0.8  # the bodies' similarity (and the titles') that make a redirect a move


def alike(a: Doc, b: Doc, least: float = REDIRECT) -> bool:
    """Whether a page an old URL now redirects to is that URL's notice, moved (a migration
    re-dates it, may edit it a little): 文号 that do not differ, and bodies and titles at least
    `least` alike.  The date is no evidence either way."""
    ka, kb = doc_number_key(a.doc_number), doc_number_key(b.doc_number)
    if ka and kb and ka != kb:
        return False  # annual notices share their text; their 文号 do not
    if _numbers_differ(a.title, b.title):
        return False  # nor the numbers of their titles (2023年, 第5批)
    link = compare(a, b)
    return link.body >= least and link.title >= least


def compare(a: Doc, b: Doc) -> Link:
    """Two documents' similarity, on their whole text (no site's template known)."""
    return _pair(prepare(a), prepare(b), "text")


def prepare(doc: Doc, chrome: set[str] = frozenset()) -> _Prepared:
    """A document ready for `reposted`: its body less the `chrome` lines (its site's template:
    a copy is whole, so only that goes)."""
    return _Prepared(doc, chrome, chrome)


def repost_keys(p: _Prepared, k: int = 8) -> list[int]:
    """The hashes that find a document's copies: its `k` smallest 5-gram hashes, and its 文号's."""
    keys = list(p.sketch[:k])
    if number := doc_number_key(p.doc.doc_number):
        keys.append(zlib.crc32(("文号" + number).encode()))
    return keys


def heads_agree(a: Doc, b: Doc) -> bool:
    """Whether two documents' titles and 文号 allow them to be one notice (their bodies still
    to be compared): an equal 文号, or titles alike whose numbers agree."""
    if (key := doc_number_key(a.doc_number)) and key == doc_number_key(b.doc_number):
        return True
    if fuzz.partial_ratio(_norm(a.title), _norm(b.title)) < 100 * REPOST_TITLE:
        return False
    return not _numbers_differ(a.title, b.title)


def same_heading(name: str, a: str | None, b: str | None) -> bool:
    """Whether two titles (or, `name` "doc_number", two 文号) say the same, as compared here."""
    if name == "doc_number":
        return doc_number_key(a) == doc_number_key(b)
    return _norm(a or "") == _norm(b or "")


def _numbers_differ(a: str, b: str) -> bool:
    """Whether two titles both hold numbers and not the same ones: 第1批 and 第5批, 2019年 and
    2020年 are siblings of a series, not one notice."""
    na, nb = _DIGITS.findall(_norm(a)), _DIGITS.findall(_norm(b))
    return bool(na and nb and na != nb)


def reposted(a: _Prepared, b: _Prepared, least: float = REPOST) -> bool:
    """Whether two sites' documents are one notice: an equal 文号 (with some text in common),
    or the shorter body at least `least` contained in the other with titles alike."""
    if (key := doc_number_key(a.doc.doc_number)) and key == doc_number_key(b.doc.doc_number):
        return _similarity(a.grams, b.grams) >= ANCHOR_FLOOR
    if not heads_agree(a.doc, b.doc):
        return False
    smaller = min(len(a.grams), len(b.grams))
    if smaller < CONTAINED:
        return _similarity(a.grams, b.grams) >= least
    return len(a.grams & b.grams) / smaller >= least


def kept_text(p: _Prepared, before: _Prepared, after: _Prepared) -> bool:
    """Whether `p` still holds the text another copy had `before` its edit to `after`: it shows
    less than half of the edit (the 5-grams the edit added, and those it took away).  An edit
    that changed no text is no edit of the text: False."""
    added, dropped = after.grams - before.grams, before.grams - after.grams
    if not added and not dropped:
        return False
    shows = len(p.grams & added) + len(dropped - p.grams)
    return 2 * shows < len(added) + len(dropped)


def copies(sites: dict[str, list[Doc]], *, least: float = REPOST) -> list[list[tuple[str, str]]]:
    """Groups of (site, key) that are one notice reposted by several sites (`reposted`).
    A group holds at most one document of a site (a site that lists a notice twice gives its
    first); groups of one are not returned."""
    prepared: list[tuple[str, _Prepared]] = []
    for site, docs in sites.items():
        chrome = boilerplate(docs, CHROME)  # a copy is whole: only the site's template goes
        prepared += [(site, prepare(d, chrome)) for d in docs]
    by_hash: dict[int, list[int]] = defaultdict(list)
    by_number: dict[str, list[int]] = defaultdict(list)
    for i, (_site, p) in enumerate(prepared):
        for h in p.sketch:
            by_hash[h].append(i)
        key = doc_number_key(p.doc.doc_number)
        if key:
            by_number[key].append(i)
    parent = list(range(len(prepared)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (site, p) in enumerate(prepared):
        near = Counter(j for h in p.sketch for j in by_hash[h] if j > i)
        key = doc_number_key(p.doc.doc_number)
        near.update(j for j in by_number.get(key, ()) if j > i)
        for j, _n in near.most_common(4 * CANDIDATES):
            other, q = prepared[j]
            if other != site and root(i) != root(j) and reposted(p, q, least):
                parent[root(j)] = root(i)
    groups: dict[int, dict[str, str]] = defaultdict(dict)
    for i, (site, p) in enumerate(prepared):
        groups[root(i)].setdefault(site, p.doc.key)
    return [sorted(g.items()) for g in groups.values() if len(g) > 1]
