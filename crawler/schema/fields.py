"""What each notice field is, for every layer that stores, compares, searches, exports or shows
it.  Pure: no Scrapy, no SQLite.

Each field of `Notice` (records.py) carries a `FieldSpec` in its dataclass metadata
(`field(metadata=meta(...))`); the layers read `field_specs(Notice)` (records.NOTICE_FIELDS)
and the selections below, never a list of names of their own.  So a new field is one edit of
`Notice`, plus the migration that adds its column (archive/storage/db.py), which opening an
archive checks.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

# What a field holds, which says how each layer stores, compares and shows it.
KINDS = {
    "key": "where the page is: stored with the notice and its URLs, not with the version",
    "text": "one line of text",
    "date": "an ISO 8601 date, or time with '+08:00'",
    "body": "text of many lines",
    "html": "markup",
    "files": "a list of Attachment",
    "list": "a list of strings",
    "object": "a dict, or None",
}
_JSON = ("files", "list", "object")  # stored as JSON text
_KEY = "tzgg"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    zh: str  # label
    en: str
    order: int  # display order: the UI's labels, the CSV's columns
    kind: str  # a key of KINDS
    version: bool  # its change makes a new version (compared after whitespace folding)
    search: int  # its place in the full-text index's document, from 1 (0: not searched)
    column: str | None  # the SQL type of its column in `versions` (None: not stored there)
    export: bool  # a CSV column, a JSONL key and a key of `tzgg show --json`'s versions
    core: bool  # every notice page states it: its loss is a broken template, not an edit
    brief: bool  # shown where a notice is one line among many (search results, UI history)
    free_text: bool  # text people write numbers in: masked by `tzgg export --redact`
    eval: tuple[str, ...]  # its checks in benchmarks/extraction_eval.py

    @property
    def label(self) -> str:
        return f"{self.zh} · {self.en}"

    @property
    def json(self) -> bool:
        return self.kind in _JSON

    @property
    def scalar(self) -> bool:
        """One line: shown, diffed and listed as a value."""
        return self.kind in ("text", "date")


def meta(
    zh: str,
    en: str,
    order: int,
    kind: str = "text",
    *,
    version: bool = False,
    search: int = 0,
    column: str | None = "TEXT",
    export: bool | None = None,
    core: bool = False,
    brief: bool = False,
    free_text: bool = False,
    eval: tuple[str, ...] | None = None,
) -> dict:
    """A notice field's metadata.  By default a field other than a key is stored in a TEXT
    column, exported and evaluated under its name; markup is stored only."""
    if kind not in KINDS:
        raise ValueError(f"unknown field kind {kind!r} (one of {', '.join(KINDS)})")
    shown = kind not in ("key", "html")
    spec = {
        "zh": zh,
        "en": en,
        "order": order,
        "kind": kind,
        "version": version,
        "search": search,
        "column": column if kind != "key" else None,
        "export": shown if export is None else export,
        "core": core,
        "brief": brief,
        "free_text": free_text,
        "eval": eval,
    }
    return {_KEY: spec}


def field_specs(cls) -> tuple[FieldSpec, ...]:
    """The specs of a dataclass's fields, in field order.  Every field must have one, each
    display order and search place be its own."""
    out = []
    for f in dataclasses.fields(cls):
        m = f.metadata.get(_KEY)
        if m is None:
            raise TypeError(f"{cls.__name__}.{f.name} has no metadata (crawler/schema/fields.py)")
        m = dict(m)
        if m["eval"] is None:
            m["eval"] = (f.name,) if m["export"] else ()
        out.append(FieldSpec(name=f.name, **m))
    for what in ("order", "search"):
        taken = [getattr(s, what) for s in out if getattr(s, what)]
        if len(taken) != len(set(taken)):
            raise TypeError(f"{cls.__name__}: two fields share a {what}")
    return tuple(out)


# -- selections: what each layer takes, in the order it takes it ------------------------------


def version_fields(specs) -> tuple[str, ...]:
    return tuple(s.name for s in specs if s.version)


def stored(specs) -> tuple[FieldSpec, ...]:
    """The fields with a column in `versions`, in field order."""
    return tuple(s for s in specs if s.column)


def exported(specs) -> tuple[FieldSpec, ...]:
    return tuple(s for s in specs if s.export)


def displayed(specs) -> tuple[FieldSpec, ...]:
    """The stored fields in display order."""
    return tuple(sorted(stored(specs), key=lambda s: s.order))


def searched(specs) -> tuple[FieldSpec, ...]:
    """The fields of the search index's document, in their places."""
    return tuple(sorted((s for s in specs if s.search), key=lambda s: s.search))


def core(specs) -> tuple[str, ...]:
    return tuple(s.name for s in specs if s.core)


def brief(specs) -> tuple[str, ...]:
    return tuple(s.name for s in specs if s.brief)


def eval_fields(specs) -> tuple[str, ...]:
    return tuple(name for s in specs for name in s.eval)


def scalars(specs) -> tuple[str, ...]:
    """The one-line fields (text and dates), in field order."""
    return tuple(s.name for s in specs if s.scalar)


def objects(specs) -> tuple[str, ...]:
    """The fields that are a dict the page states (a window, a contact), in field order."""
    return tuple(s.name for s in specs if s.kind == "object")
