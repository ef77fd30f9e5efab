"""Which attachments are downloaded, and the only file names they are ever given.  Pure.

Names and URLs come from the site: a file written from the archive is named by its SHA-256
and an extension from a fixed list, never by anything the site chose."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

# The file extensions, in one place, each list the one before and more: what is downloaded
# (and may name a file written from the archive); what a link in an article may end in to be
# one of its documents (parse/notice/attachments.py); what a link in a listing may end in to be
# a file, never a notice (parse/listing/generic.py `is_attachment`).
FILE_EXTS = ("pdf", "doc", "docx", "xls", "xlsx", "wps", "ofd", "zip", "rar")
DOC_EXTS = FILE_EXTS + tuple("et ett dps 7z txt ppt pptx csv rtf tif tiff ceb xml gd gw".split())
LINKED_FILE_EXTS = frozenset(
    DOC_EXTS + tuple("gz tar jpg jpeg png gif bmp mp3 mp4 avi wmv flv mov swf apk exe".split())
)
_TYPES = {
    "application/pdf": "pdf",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.ms-works": "wps",
    "application/ofd": "ofd",
    "application/zip": "zip",
    "application/x-zip-compressed": "zip",
    "application/x-rar-compressed": "rar",
    "application/vnd.rar": "rar",
}
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _ext(name: str | None) -> str | None:
    """The extension of a file name when it is one of FILE_EXTS."""
    tail = (name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    ext = tail.rsplit(".", 1)[-1].strip().lower() if "." in tail else ""
    return ext if ext in FILE_EXTS else None


def url_ext(url: str) -> str | None:
    """FILE_EXTS extension of a URL's path, or of a file name in its query (a download
    servlet's `?filename=名单.pdf`)."""
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return None
    ext = _ext(unquote(parts.path))
    if ext is None and parts.query:
        for value in re.split(r"[&;=]", unquote(parts.query)):
            ext = ext or _ext(value)
    return ext


def download_ext(url: str, name: str | None = None) -> str | None:
    """The extension that makes an attachment worth downloading (its URL's, else its link
    text's), or None."""
    return url_ext(url) or _ext(name)


def content_type_ext(content_type: str | None) -> str | None:
    return _TYPES.get((content_type or "").split(";")[0].strip().lower())


def safe_attachment_name(
    sha256: str, url: str, name: str | None = None, content_type: str | None = None
) -> str:
    """`<sha256>.<ext>`, the extension from FILE_EXTS only (URL, link text, then Content-Type),
    else `.bin`: safe as a file name whatever the site wrote."""
    if not _SHA256.fullmatch(sha256 or ""):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    ext = download_ext(url, name) or content_type_ext(content_type) or "bin"
    return f"{sha256}.{ext}"
