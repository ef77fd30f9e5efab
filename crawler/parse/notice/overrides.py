"""Site overrides as data: where a site defeats the generic rules, its registry entry names a
selector or labels for a field, and no code is written for that site.  Pure.

    [sites.example.overrides]
    title = "div.article > h1"                       # CSS
    published = "xpath://span[@class='pubtime']"     # XPath
    source = { labels = ["供稿单位", "发稿部门"] }   # the value after one of these labels
    body = "div#content"                             # the article container
    attachments = "div.fujian"                       # where the attachment links are
    encoding = "gbk"                                 # the page's charset, when it lies
    listing = "div.wz_list li"                       # the notice links of a listing page
    next_page = "xpath://a[text()='下一页']"          # the link to the next listing page

`listing` and `next_page` steer the listing parser only: they stay out of the digest, so
adding one does not re-derive the site's archived versions.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from cssselect import GenericTranslator, SelectorError
from lxml import etree

from crawler.schema.records import EXTRACTOR_VERSION

from .dates import parse_date
from .text import EDGE, fold_ws, linearize

TEXT_FIELDS = ("title", "source", "doc_number", "index_number")
DATE_FIELDS = ("published", "written")
CONTAINER_FIELDS = ("body", "attachments")
FIELDS = TEXT_FIELDS + DATE_FIELDS + CONTAINER_FIELDS
LISTING_KEYS = ("listing", "next_page")  # listing pages, not notices: not in the digest
_CSS = GenericTranslator()


class OverrideError(ValueError):
    """An override that cannot work (unknown field, bad selector); the message says which."""


@dataclass(frozen=True)
class Overrides:
    selectors: dict[str, etree.XPath] = field(default_factory=dict)
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    encoding: str | None = None
    digest: str = ""  # of the detail keys as written: part of the extractor version it yields
    listing: etree.XPath | None = None  # the notice links (or their rows) on a listing page
    next_page: etree.XPath | None = None  # the link(s) to the next listing page(s)

    @classmethod
    def from_dict(cls, d: dict | None, where: str = "overrides") -> Overrides | None:
        """Validate and compile a registry entry's `overrides` table (None when empty)."""
        if not d:
            return None
        selectors, labels, encoding, listing = {}, {}, None, {}
        for name, spec in d.items():
            if name == "encoding":
                encoding = _encoding(spec, where)
                continue
            if name in LISTING_KEYS:
                listing[name] = compile_selector(spec, f"{where}.{name}")
                continue
            if name not in FIELDS:
                raise OverrideError(
                    f"{where}: unknown field {name!r} "
                    f"(fields: {', '.join(FIELDS)}, encoding, {', '.join(LISTING_KEYS)})"
                )
            if isinstance(spec, str):
                spec = {"selector": spec}
            if not isinstance(spec, dict) or not set(spec) <= {"selector", "labels"} or not spec:
                raise OverrideError(
                    f"{where}.{name}: give a selector string, or {{selector = ...}} "
                    "or {labels = [...]}"
                )
            if "selector" in spec:
                selectors[name] = compile_selector(spec["selector"], f"{where}.{name}")
            if "labels" in spec:
                if name in CONTAINER_FIELDS:
                    raise OverrideError(f"{where}.{name}: labels name values, use a selector")
                got = spec["labels"]
                got = [got] if isinstance(got, str) else got
                if not isinstance(got, list) or not got:
                    got = [None]
                if not all(isinstance(x, str) and x.strip() for x in got):
                    raise OverrideError(f"{where}.{name}.labels: a list of label words")
                labels[name] = tuple(x.strip().rstrip(":：") for x in got)
        detail = {k: v for k, v in d.items() if k not in LISTING_KEYS}
        digest = ""
        if detail:
            table = json.dumps(detail, sort_keys=True, ensure_ascii=False, default=str)
            digest = hashlib.sha1(table.encode()).hexdigest()[:8]
        return cls(selectors, labels, encoding, digest, **listing)

    def container(self, tree, name: str):
        """The first element the field's selector picks (None: no selector, or no match)."""
        xp = self.selectors.get(name)
        if xp is None:
            return None
        for el in _results(xp, tree):
            if isinstance(el, etree._Element) and isinstance(el.tag, str):
                return el
        return None

    def _selected_text(self, tree, name: str) -> str | None:
        """The visible text of the first element picked, or the first string an XPath
        gives (`//meta[@name='firstpublishedtime']/@content`)."""
        for hit in _results(self.selectors[name], tree):
            if isinstance(hit, str):
                return fold_ws(hit)
            if isinstance(hit, etree._Element) and isinstance(hit.tag, str):
                return fold_ws("".join(linearize(hit)))
        return None

    def values(self, tree, page_text: str) -> dict[str, str | None]:
        """Field -> value for the text and date fields these overrides name.

        A selector that matches nothing, or labels absent from the page, give None: the
        override says where the field is, so the generic guess is not taken instead."""
        out: dict[str, str | None] = {}
        for name in TEXT_FIELDS + DATE_FIELDS:
            value = None
            if name in self.selectors:
                value = self._selected_text(tree, name)
            if not value and name in self.labels:
                value = _after_label(page_text, self.labels[name])
            if name in self.selectors or name in self.labels:
                if name in DATE_FIELDS:
                    value = parse_date(value)
                out[name] = value or None
        return out


_PROBE = etree.fromstring("<html><body><p>x</p></body></html>")


def version_tag(overrides: Overrides | None) -> str:
    """The extractor version a page read with these overrides records: a site's versions
    are re-derived when either the extractor or the site's detail overrides change (listing
    overrides leave the digest empty: they change no notice)."""
    if overrides is None or not overrides.digest:
        return EXTRACTOR_VERSION
    return f"{EXTRACTOR_VERSION}+{overrides.digest}"


def _results(xp: etree.XPath, tree) -> list:
    try:
        got = xp(tree)
    except etree.XPathError:  # checked at load; a page cannot make a valid one fail, but
        return []  # a field the site does not show is better than a lost page
    return got if isinstance(got, list) else [got]


def compile_selector(spec, where: str) -> etree.XPath:
    if not isinstance(spec, str) or not spec.strip():
        raise OverrideError(f"{where}: a selector must be a non-empty string")
    spec = spec.strip()
    try:
        if spec.startswith("xpath:"):
            xp = etree.XPath(spec[6:].strip())
        else:
            xp = etree.XPath(_CSS.css_to_xpath(spec.removeprefix("css:").strip()))
        xp(_PROBE)  # unknown functions, prefixes and variables fail only when evaluated
    except (SelectorError, etree.XPathError) as exc:
        raise OverrideError(f"{where}: bad selector {spec!r}: {exc}") from None
    return xp


def _encoding(spec, where: str) -> str:
    import codecs

    try:
        info = codecs.lookup(str(spec))
    except LookupError:
        info = None
    if info is None or not info._is_text_encoding:
        raise OverrideError(f"{where}.encoding: unknown charset {spec!r}")
    return info.name


def _after_label(text: str, labels: tuple[str, ...]) -> str | None:
    """The value printed after `label：` on its line, up to the next `label：` or a wide gap."""
    for label in labels:
        # (the gap before a next label is tried where it begins only: from every character
        # of a long gap it would be read to its end again)
        m = re.search(
            re.escape(label)
            + r"[\s\ue001]*[:：][\s\ue001]*(.*?)"
            + r"(?=(?<![\s\ue001])[\s\ue001]+[\u4e00-\u9fff]{2,6}\s*[:：]|\s{3,}|\n|$)",
            text,
        )
        value = m.group(1).replace(EDGE, "").strip() if m else ""
        if value:
            return value
    return None
