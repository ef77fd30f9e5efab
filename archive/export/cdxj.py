"""The CDXJ index of a WARC, built from the offsets noted while writing it: one line a record,
`<SURT> <14-digit time> {json}`, sorted as pywb searches it (by the line's bytes).

Lines are held up to a bound, then sorted and spilled to a temporary file beside the index;
the runs are merged at the end, so memory stays flat however large the archive."""

from __future__ import annotations

import functools
import heapq
import json
import re
import tempfile
from pathlib import Path

import surt

SPILL_CHARS = 4 * 2**20  # held in memory before a sorted run goes to disk
compact_json = json.JSONEncoder(ensure_ascii=False).encode

# A URL that SURT's canonicalization leaves alone but for the host and the case of the path: no
# port, user, query, fragment, escape, empty or dot segment.  Its key is the host's key (made by
# `surt` once a host) and the path lowercased, without a trailing slash.
_PLAIN = re.compile(r"(https?://[A-Za-z0-9.-]+)((?:/(?!\.\.?(?:/|$))[A-Za-z0-9._~-]+)*)/?")


@functools.lru_cache(maxsize=4096)
def _host_key(origin: str) -> str:
    return surt.surt(origin + "/")[:-1]


def surt_key(url: str) -> str:
    """`surt.surt(url)`, the key pywb looks a URL up by; for a plain URL, without parsing it."""
    m = _PLAIN.fullmatch(url)
    if m is None:
        return surt.surt(url)
    return _host_key(m[1]) + (m[2].lower() or "/")


def warc_timestamp(at: str) -> str:
    """`2026-11-25T05:00:00.123Z` -> `20261125050000` (CDXJ's 14 digits)."""
    return at[:19].replace("-", "").replace(":", "").replace("T", "")


class Index:
    """The index written to `path` when the block ends without an error."""

    def __init__(self, path):
        self.path = Path(path)
        self.lines: list[str] = []
        self.chars = 0
        self.runs: list = []

    def add(self, url, at, mime, status, digest, length, offset, filename) -> None:
        key = f"{surt_key(url)} {warc_timestamp(at)}"
        fields = {
            "url": url,
            "mime": mime,
            "status": str(status),
            "digest": digest,
            "length": str(length),
            "offset": str(offset),
            "filename": filename,
        }
        line = f"{key} {compact_json(fields)}\n"
        self.lines.append(line)
        self.chars += len(line)
        if self.chars > SPILL_CHARS:
            self._spill()

    def _spill(self) -> None:
        run = tempfile.TemporaryFile("w+", encoding="utf-8", dir=self.path.parent)
        self.lines.sort()
        run.writelines(self.lines)
        run.seek(0)
        self.runs.append(run)
        self.lines, self.chars = [], 0

    def __enter__(self):
        return self

    def __exit__(self, kind, *_):
        try:
            if kind is None:
                self.lines.sort()
                with open(self.path, "w", encoding="utf-8") as out:
                    out.writelines(heapq.merge(self.lines, *self.runs) if self.runs else self.lines)
        finally:
            for run in self.runs:
                run.close()
