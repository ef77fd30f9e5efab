"""Whom a notice says to contact: 联系人, 电话, 邮箱, 地址 (and 传真 / 邮编 inside the phrase).

    find_contact(body) -> {"text", "person", "phone", "email", "address"} | None

Pure: text in, dict out. The rules:

* Only labelled items count: 联系人 / 联系电话 / 电话 / 咨询·监督·举报·投诉 电话 / 手机 / 联系方式 /
  邮箱 / 电子邮箱 / E-mail / 地址 / 邮寄·通讯·联系·办公 地址 / 传真 / 邮编, a label followed by
  "：" (or 为/是; a phone or e-mail label may also be followed directly by its value). A bare
  label (电话, 地址, 邮箱, 传真, 联系方式) must open a line or follow punctuation or a space; a
  qualified one (联系电话, 咨询电话, 通讯地址, 联系人：) may sit inside a sentence. An unlabelled
  number in a sentence is not a contact.
* Items on a site-footer line (主办：, ICP备, 网站标识码, 版权所有 ...) do not count.
* Items that follow each other (only spaces, line breaks or punctuation between them) make a
  block; the first block naming a person (联系人, 项目联系人 …) is the contact, else the
  first holding a phone or an e-mail. An address, a fax or an
  organisation's name (名称：) alone is not. A heading line right above the block that says
  whose contact it is (1.采购人信息) opens the text.
* `text`: from the block's first label through the end of its last item's value; line breaks
  and runs of spaces become one space, spaces inside a label and around its colon go
  ("电 &nbsp;话：" -> "电话："), punctuation between items is kept as printed.
* Values: a phone item is its run of numbers (as printed, e.g. "0591-23163633"); an e-mail
  item its address; a person or address item runs to the next comma, sentence end, line end or
  label. Several values of one part are joined by "；" (phone "0591-1234567；13800000000").
  A phone written inside a person value (联系人：张三 0591-1234567) goes to `phone`.
* Work is linear in the body and bounded: only its first 300,000 characters are examined, the
  scan stops once a block naming a person is complete, and a block holds at most 40 items
  (the rest of a longer run is ignored). A phone value is looked for only in the 20
  characters after its label, an e-mail in the 3 after it (a local part of at most 64
  characters, domain labels of at most 63); at most 200 blocks are looked through for a person.
"""

from __future__ import annotations

import re
from bisect import bisect_left

__all__ = ["find_contact"]

# Punctuation is matched in both widths; full-width digits, letters and ＠ are folded 1:1
# (positions stay those of the original text), only when the body has any (translate is slow).
_FOLD = str.maketrans({chr(c): chr(c - 0xFEE0) for c in range(0xFF10, 0xFF5B)} | {"．": "."})
_FULLWIDTH = re.compile("[０-９＠-Ｚａ-ｚ]")
# every label holds one of these (a substring test is much cheaper than the label scan)
_HINTS = ("话", "联", "箱", "址", "真", "机", "线", "件", "编", "码", "ail", "AIL", "ａｉｌ")
_SP = r"[ \t\u3000\xa0]*"
_MAX_SCAN = 300_000  # characters of the body examined (the reactor thread must not stall)
_MAX_BLOCK = 40  # items in a block (a real one has a handful)


def _spaced(word: str) -> str:
    """联系人 -> 联[ ]*系[ ]*人 (labels are often spaced out to align them)."""
    return _SP.join(re.escape(c) for c in word)


_QUAL = ("联系", "咨询", "监督", "举报", "投诉", "服务", "热线", "值班", "办公", "受理", "报名")
# Whose 联系人 a label names (项目联系人): read back from 联系人, so that the label scan's
# first-character test stays on rare characters.
_PERSON_QUAL = re.compile("(?:项目|采购人|采购单位|业务|技术|经办)$")
_ADDR_QUAL = ("邮寄", "通讯", "通信", "联系", "办公", "收件", "来信", "详细")
# kind -> (qualified labels, bare labels); bare ones need an item start
_LABELS = {
    "person_phone": (
        [
            f"联系人{j}{k}"
            for j in ("及", "和", "与", "、", "/", "")
            for k in ("电话", "联系电话", "联系方式", "方式")
        ],
        [],
    ),
    "person": (["联系人", "联系人员"], []),
    "phone": (
        [f"{q}电话" for q in _QUAL]
        + [f"{q}电话号码" for q in _QUAL]
        + ["热线", "手机号码", "联系手机"],
        ["电话", "电话号码", "手机", "联系方式", "座机"],
    ),
    "fax": (["传真号码", "传真电话"], ["传真"]),
    "email": (
        [
            "电子邮箱",
            "电子信箱",
            "电子邮件",
            "邮箱地址",
            "电子邮箱地址",
            "电子邮件地址",
            "E-mail",
            "Email",
        ]
        + [f"{q}邮箱" for q in _QUAL],
        ["邮箱", "信箱"],
    ),
    "address": ([f"{q}地址" for q in _ADDR_QUAL], ["地址"]),
    "zip": (["邮政编码"], ["邮编"]),
}
_KIND_ORDER = ("person_phone", "person", "phone", "fax", "email", "address", "zip")
# A label and its separator: a colon, 为/是; none only before a phone or an e-mail.
_SEP = rf"{_SP}(?:[:：]|为|是)?{_SP}"


def _branches(word: str) -> list[str]:
    """The spaced pattern of a label word, ASCII letters in either case; a word opening with a
    letter is two branches ('E…', 'e…'), so that every branch opens with a plain character."""
    rest = "".join(
        _SP + (f"[{c.lower()}{c.upper()}]" if c.isascii() and c.isalpha() else re.escape(c))
        for c in word[1:]
    )
    first = word[0]
    if first.isascii() and first.isalpha():
        return [re.escape(first.upper()) + rest, re.escape(first.lower()) + rest]
    return [re.escape(first) + rest]


# Label words in the order they are tried at a position: kind by kind, qualified then bare,
# longest first.  One alternation of branches that each open with a plain character: sre
# skips a branch on its first character and searches for the first characters as a set.
_WORDS = [
    (word, kind, how)
    for kind in _KIND_ORDER
    for how, words in zip("qb", _LABELS[kind], strict=True)
    for word in sorted(words, key=len, reverse=True)
]
_WORD_KIND = {word.lower(): (kind, how) for word, kind, how in _WORDS}
_LABEL = re.compile(
    "(?P<lab>" + "|".join(b for word, _k, _h in _WORDS for b in _branches(word)) + ")" + _SEP
)
_SPACES = " \t\u3000\xa0"
_NOT_LABEL = str.maketrans(dict.fromkeys(_SPACES))  # the spaces of a spaced label
_SEP_CHARS = ":：为是"  # no label word ends in one
_ITEM_START = set(",，;；。、()（）[]【】［］/／ \t\u3000\xa0\n")
_PHONE = (
    r"(?<![\d\-－—])(?:"
    r"(?:(?:[(（]\s*0\d{2,3}\s*[)）]\s*|0\d{2,3}\s*[-－—]{1,2}\s*|0\d{2,3}\s)\d{7,8}|[2-9]\d{6,7})"
    r"(?:\s*(?:转|[-－]|ext\.?)\s*\d{1,5})?"
    r"|1[3-9]\d(?:[-－]?\d{4}){2}|1[3-9]\d\s\d{4}\s\d{4}"
    r"|400[-－]?\d{3}[-－]?\d{4}|[19]\d{4}"
    r")(?![\d@])"
)
_PHONE_RE = re.compile(_PHONE)
# numbers joined by a mark or by spaces: `\s+` apart from `\s*mark\s*`, since `\s*(?:mark|\s)\s*`
# splits a run of spaces every way before failing (quadratic in a long run)
_RUN = rf"{_PHONE}(?:(?:\s*(?:[,，;；、/／]|或|及|和)\s*|\s+){_PHONE})*"
_PHONE_RUN = re.compile(_RUN)  # (matched at the value's start)
_PHONE_RUN_NEAR = re.compile(rf"(?s:.{{0,20}}?)(?P<run>{_RUN})")  # or within 20 characters
_EMAIL = r"[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63})+"
# within 3 characters of the value's start, never from the middle of a longer token
_EMAIL_NEAR = re.compile(rf"(?:(?s:.{{0,2}}?)[^A-Za-z0-9._%+\-])??(?P<email>{_EMAIL})")
_ZIP = re.compile(r"(?<!\d)\d{6}(?!\d)")
_STOP = re.compile(r"[。;；\n]")
_WS = re.compile(r"\s+")
_TRAIL = " \t\u3000\xa0,，;；、(（【［:："
_GAP_OK = re.compile(r"[\s,，;；。、()（）【】［］/／]*")
_COMMA = re.compile(r"[,，]")
_BREAK = re.compile(r"[,，。;；]")
_CLOSE = re.compile(r"\s*([)）])")
# a site footer line that leaked into the body: 主办：… 联系电话：… ICP备…
_FOOTER = re.compile(
    r"主办[:：]|承办[:：]|ICP|网站标识码|公网安备|版权所有|技术支持[:：]|Copyright|©"
)


class _Item:
    """One labelled item: label at `start`, value norm[vstart:vend]."""

    __slots__ = ("kind", "start", "vstart", "vend", "phones", "emails")

    def __init__(self, kind: str, start: int, vstart: int):
        self.kind, self.start, self.vstart, self.vend = kind, start, vstart, vstart
        self.phones: list[tuple[int, int]] = []  # spans of the phone numbers in the value
        self.emails: list[tuple[int, int]] = []


class _Label:
    """A label match, opened earlier where a qualifier stands before it (项目联系人)."""

    __slots__ = ("_m", "_start")

    def __init__(self, m: re.Match, start: int):
        self._m, self._start = m, start

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._m.end()

    def group(self) -> str:
        return self._m.group()


def _labels(norm: str):
    """(kind, match) of each label, in order."""
    for m in _LABEL.finditer(norm):
        base, how = _WORD_KIND[m.group("lab").translate(_NOT_LABEL).lower()]
        s = m.start()
        if how == "b" and s > 0 and norm[s - 1] not in _ITEM_START:
            continue
        if base in ("person", "person_phone") and how == "q":
            if not _has_sep(m):
                # 联系人 needs a colon (联系人员, 联系人民群众 are words, not labels)
                continue
            q = _PERSON_QUAL.search(norm, max(0, s - 4), s)
            if q:
                yield base, _Label(m, q.start())
                continue
        yield base, m


def _has_sep(label: re.Match) -> bool:
    """Does the label end in a colon or 为/是 (not only spaces, or nothing)?"""
    return label.group().rstrip(_SPACES)[-1:] in _SEP_CHARS


def _squash(s: str) -> str:
    return _WS.sub(" ", s).strip()


def _item(norm: str, kind: str, m: re.Match, limit: int) -> _Item | None:
    """The item whose label is `m`; its value ends by `limit` (the next label, a sentence end)."""
    it = _Item(kind, m.start(), m.end())
    has_sep = _has_sep(m)
    v = m.end()
    if kind in ("phone", "fax"):
        if has_sep:
            near = _PHONE_RUN_NEAR.match(norm, v, limit)
            run = near and near.span("run")
        else:
            near = _PHONE_RUN.match(norm, v, limit)
            run = near and near.span()
        if run:
            if _BREAK.search(norm, v, run[0]):
                return None
            it.phones = [(p.start(), p.end()) for p in _PHONE_RE.finditer(norm, *run)]
            it.vend = run[1]
            return it
        if kind == "fax" or not has_sep:
            return None
        kind = it.kind = "email"  # 联系方式：ab@cd.com
    if kind == "email":
        e = _EMAIL_NEAR.match(norm, v, limit)
        if not e:
            return None
        it.emails = [e.span("email")]
        it.vend = e.end()
        return it
    if kind == "zip":
        z = _ZIP.match(norm, v) if v < limit else None
        if not z or not has_sep:
            return None
        it.vend = z.end()
        return it
    # person, person_phone, address: free text to the next comma
    if not has_sep:
        return None
    comma = _COMMA.search(norm, v, limit)
    end = comma.start() if comma else limit
    while end > v and norm[end - 1] in _TRAIL:
        end -= 1
    if end <= v:
        return None
    phones = [(p.start(), p.end()) for p in _PHONE_RE.finditer(norm, v, end)]
    if kind == "address":
        if end - v > 80:
            return None
        it.vend = end
        return it
    if end - v > 40 and not phones:
        return None
    it.phones = phones
    it.vend = end
    return it


def _clean_person(src: str, it: _Item) -> str | None:
    """The person value without the phone numbers written inside it."""
    parts, pos = [], it.vstart
    for a, b in it.phones:
        parts.append(src[pos:a])
        pos = b
    parts.append(src[pos : it.vend])
    text = _squash(" ".join(parts))
    text = re.sub(r"[（(]\s*[)）]", "", text).strip(" ,，;；、:：（(）)")
    return text or None


def _join(values: list[str]) -> str | None:
    seen = []
    for v in values:
        if v and v not in seen:
            seen.append(v)
    return "；".join(seen) if seen else None


def find_contact(body: str) -> dict | None:
    """The first labelled contact block of the body, or None."""
    if not body:
        return None
    body = body[:_MAX_SCAN]
    if not any(h in body for h in _HINTS):
        return None
    norm = body.translate(_FOLD) if _FULLWIDTH.search(body) else body
    footer = _Footer(norm)
    # no 联系人 anywhere: the first useful block is the contact, as soon as it is complete
    persons = bool(_PERSON_WORD.search(norm))
    # blocks of adjacent items: the first naming a person, else the first with a phone or an
    # e-mail (a procurement notice lists 质疑咨询电话 and the 采购人's number before the
    # 项目联系人 to ask)
    block: list[_Item] = []
    first = None
    prev_end = -1  # where the last item kept ends
    blocks = 0
    for kind, m, nxt in _with_next(_labels(norm), len(norm)):
        stop = _STOP.search(norm, m.end(), nxt)
        limit = stop.start() if stop else nxt
        it = _item(norm, kind, m, limit)
        if it is None or it.start < prev_end or footer.on(it.start, it.vend):
            continue
        prev_end = it.vend
        if block and len(block) < _MAX_BLOCK and _GAP_OK.fullmatch(norm, block[-1].vend, it.start):
            block.append(it)
            continue
        if _names_person(block):
            break
        if first is None and _useful(block):
            if not persons:
                break
            first = block
        blocks += 1
        if blocks > _MAX_BLOCKS:
            break
        block = [it]
    if not _names_person(block):
        block = first if first is not None else block
    if not _useful(block):
        return None
    org = _org_before(norm, block[0].start)
    if org is not None:
        block = [org, *block]
    return _result(body, block, _heading(norm, block[0].start))


def _with_next(labels, end: int):
    """(kind, match, where the next label starts) of each label."""
    prev = None
    for kind, m in labels:
        if prev:
            yield (*prev, m.start())
        prev = (kind, m)
    if prev:
        yield (*prev, end)


class _Footer:
    """Which lines are site-footer lines (found once, on the first question)."""

    __slots__ = ("text", "breaks", "lines")

    def __init__(self, text: str):
        self.text = text
        self.breaks: list[int] | None = None  # positions of the line breaks
        self.lines: list[int] = []  # indices of the footer lines, ascending

    def on(self, start: int, end: int) -> bool:
        """Does any line from the one holding text[start] to the one ending at or after `end`
        (the lines an item spans) hold footer wording?"""
        if self.breaks is None:
            self.breaks = [m.start() for m in re.finditer("\n", self.text)]
            lines = (bisect_left(self.breaks, m.start()) for m in _FOOTER.finditer(self.text))
            self.lines = sorted(set(lines))
        first, last = bisect_left(self.breaks, start), bisect_left(self.breaks, end)
        i = bisect_left(self.lines, first)
        return i < len(self.lines) and self.lines[i] <= last


_MAX_BLOCKS = 200  # blocks looked through for one naming a person
_PERSON_WORD = re.compile(_spaced("联系人"))
# the heading of whose contact a block is: 1.采购人信息, （二）采购代理机构信息 — a line of its
# own, naming a party (not any line ending in 信息: 详见公司官网招聘信息)
_HEADING = re.compile(
    r"(?:^|\n)[ \t\u3000\xa0]*(?:\d{1,2}[.．、]|[(（]?[一二三四五六七八九十]{1,3}[)）、])?\s*"
    r"(?P<h>(?:采购人|采购单位|采购代理机构|代理机构|招标人|招标代理机构|建设单位|项目单位|项目)"
    r"信息)[ \t\u3000\xa0:：]*\n?[ \t\u3000\xa0]*$"
)


def _heading(norm: str, start: int) -> str:
    """A heading line right above a block that says whose contact it is (1.采购人信息)."""
    m = _HEADING.search(norm, max(0, start - 40), start)
    return m.group("h") + " " if m else ""


# The organisation a block is for, on the line right above it (名 称：某某研究院)
_ORG = re.compile(
    rf"(?:单位|机构|采购人|采购单位)?{_spaced('名称')}{_SP}[:：]{_SP}(?P<v>[^\n:：]{{1,80}}?)"
    r"[ \t\u3000\xa0]*\n[ \t\u3000\xa0]*$"
)


def _org_before(norm: str, start: int) -> _Item | None:
    m = _ORG.search(norm, max(0, start - 100), start)
    if m is None or (m.start() > 0 and norm[m.start() - 1] not in _ITEM_START):
        return None
    it = _Item("org", m.start(), m.start("v"))
    it.vend = m.end("v")
    return it


def _names_person(block: list[_Item]) -> bool:
    return any(it.kind in ("person", "person_phone") for it in block) and _useful(block)


def _useful(block: list[_Item]) -> bool:
    return any(
        it.kind in ("person", "person_phone") or it.phones or it.emails
        for it in block
        if it.kind != "fax"
    )


def _result(src: str, block: list[_Item], heading: str = "") -> dict:
    pieces = [heading] if heading else []
    prev_end = None
    persons, phones, emails, addresses = [], [], [], []
    for it in block:
        if prev_end is not None:
            gap = src[prev_end : it.start]
            squashed = _WS.sub("", gap)
            pieces.append(squashed if squashed else (" " if gap else ""))
        label = _WS.sub("", src[it.start : it.vstart])
        pieces.append(label + _squash(src[it.vstart : it.vend]))
        prev_end = it.vend
        if it.kind in ("phone", "person_phone", "person"):
            phones += [_squash(src[a:b]) for a, b in it.phones]
        if it.kind in ("person", "person_phone"):
            persons.append(_clean_person(src, it))
        elif it.kind == "email":
            emails += [src[a:b] for a, b in it.emails]
        elif it.kind == "address":
            addresses.append(_squash(src[it.vstart : it.vend]))
    text = "".join(pieces)
    # a bracket the block opened and the page closes right after it: 联系人：张三（电话：…）
    opened = text.count("（") + text.count("(") - text.count("）") - text.count(")")
    if opened > 0:
        close = _CLOSE.match(src, prev_end)
        if close:
            text += close[1]
    return {
        "text": text,
        "person": _join(persons),
        "phone": _join(phones),
        "email": _join(emails),
        "address": _join(addresses),
    }
