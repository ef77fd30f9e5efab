"""A webhook as the registry states it: its URL, its filter (sites, kinds, query words), and
the POST that carries an event to it (body, headers, signature).  Pure, no network: the
registry checks each hook when it is read; sending, and the archive's record of what was sent,
are archive/notify/webhooks.py.

A hook's identity is a hash of its URL and filters: editing a filter makes a new subscriber.  A
URL's `user:password@` is sent as HTTP basic auth (the `Authorization` header, the URL without
it), and is masked (`user:***@`) in every output and table.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import unquote, urlsplit

from crawler.parse.query import QueryError, parse_query
from crawler.schema.events import EVENT_KINDS
from crawler.schema.urls import mask_url, split_userinfo

USER_AGENT = "tzgg/0.1 (webhook; +https://github.com/tzgg/tzgg)"
_BAD_URL_CHARS = re.compile(r"[\x00-\x20\x7f-\U0010ffff]")  # space, controls, non-ASCII
_KEYS = ("url", "kinds", "query", "secret", "secret_env")


class HookError(ValueError):
    """A hook's configuration is wrong; the message says which key, in one line."""


@dataclass(frozen=True)
class Hook:
    url: str  # a user:password in it is masked here (`user:***@`): see __post_init__
    kinds: tuple[str, ...] | None = None
    query: str | None = None
    sites: tuple[str, ...] | None = None  # None: every site
    secret: str | None = field(default=None, repr=False, compare=False)
    secret_env: str | None = field(default=None, repr=False, compare=False)  # read when sending
    auth: tuple[str, str] | None = field(default=None, repr=False, compare=False)  # user, pw

    def __post_init__(self):
        # A URL's user:password is sent as HTTP basic auth, never in the URL (whose host it is
        # not); what is kept as `url` has it masked, so no output, table or identity holds it.
        userinfo, _ = split_userinfo(self.url)
        if userinfo is not None:
            if self.auth is None:
                user, _, password = userinfo.partition(":")
                object.__setattr__(self, "auth", (unquote(user), unquote(password)))
            object.__setattr__(self, "url", mask_url(self.url))

    @classmethod
    def from_dict(cls, entry, *, sites: tuple[str, ...] | None = None) -> Hook:
        """A hook from its registry table; HookError names the key that is wrong."""
        if not isinstance(entry, dict):
            raise HookError('expected a table such as { url = "https://…" }')
        unknown = sorted(set(entry) - set(_KEYS))
        if unknown:
            raise HookError(f"unknown keys {unknown} (known: {list(_KEYS)})")
        url = _check_url(entry.get("url"))
        kinds = entry.get("kinds")
        if kinds is not None:
            if isinstance(kinds, str):
                kinds = [kinds]
            if not isinstance(kinds, list) or not kinds:
                raise HookError(f"kinds: a list of event kinds ({', '.join(EVENT_KINDS)})")
            bad = [k for k in kinds if k not in EVENT_KINDS]
            if bad:
                raise HookError(f"kinds: unknown kind {bad[0]!r} (known: {', '.join(EVENT_KINDS)})")
            kinds = tuple(sorted(set(kinds)))
        query = entry.get("query")
        if query is not None:
            if not isinstance(query, str) or not query.strip():
                raise HookError("query: words to look for, e.g. '征收 OR 拆迁'")
            try:
                parse_query(query)
            except QueryError as exc:
                raise HookError(f"query: {exc}") from None
            query = query.strip()
        secret = entry.get("secret")
        if secret is not None and (not isinstance(secret, str) or not secret):
            raise HookError("secret: a non-empty string (it signs each body with HMAC-SHA256)")
        # A registry kept in git should not hold the secret: it names the variable, read when
        # sending, so every other command works where the variable is not set.
        env = entry.get("secret_env")
        if env is not None and (secret is not None or not isinstance(env, str) or not env):
            raise HookError("secret_env: the name of an environment variable, instead of `secret`")
        sites = tuple(sorted(sites)) if sites else None
        return cls(url, kinds, query, sites, secret, env)

    def missing_secret(self) -> str | None:
        """Why the hook cannot sign its POSTs now (its secret_env is not set), or None."""
        if self.secret_env and not os.environ.get(self.secret_env):
            return f"secret_env {self.secret_env} is not set in the environment; not sent"
        return None

    @property
    def target(self) -> str:
        """The URL the POST goes to: `url` without its user part (sent as a header)."""
        return split_userinfo(self.url)[1]

    def scrub(self, text: str | None) -> str | None:
        """The text with the hook's password (and its basic-auth token) masked: a receiver
        may echo them in its answer, which is recorded."""
        if text and self.auth:
            for word in (self._basic, self.auth[1]):
                if word:
                    text = text.replace(word, "***")
        return text

    @property
    def _basic(self) -> str:
        user, password = self.auth
        return base64.b64encode(f"{user}:{password}".encode()).decode("ascii")

    @property
    def config(self) -> dict:
        """What the hook subscribes to (never its secret)."""
        return {
            "url": self.url,
            "kinds": sorted(self.kinds) if self.kinds else None,
            "query": self.query,
            "sites": sorted(self.sites) if self.sites else None,
        }

    @cached_property
    def identity(self) -> str:
        text = json.dumps(self.config, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def request(self, event: dict, archive: str) -> tuple[bytes, dict[str, str]]:
        """The body and headers of the POST that carries one event of the archive whose id
        (`archive_id`) is `archive`: event ids are the archive's own, so the key holds both."""
        body = json.dumps(event, ensure_ascii=False).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Idempotency-Key": f"tzgg-{archive}-{self.identity[:12]}-{event['id']}",
            "X-Tzgg-Event-Id": str(event["id"]),
        }
        if self.auth:
            headers["Authorization"] = f"Basic {self._basic}"
        secret = self.secret or (os.environ.get(self.secret_env) if self.secret_env else None)
        if secret:
            digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
            headers["X-Tzgg-Signature"] = f"sha256={digest}"
        return body, headers


def _check_url(url) -> str:
    """The hook's URL when a POST can be sent to it; else HookError, in one line."""
    if not isinstance(url, str):
        raise HookError(f"url: an http(s) URL, not {url!r}")
    what = f"url: an http(s) URL, not {mask_url(url)!r}"
    bad = _BAD_URL_CHARS.search(url)
    if bad and bad.group() > "\x7f":
        raise HookError(
            f"{what}: {bad.group()!r} is not ASCII (percent-encode it; an IDN host as xn--…)"
        )
    if bad:
        char = "a space" if bad.group() == " " else f"the control character {bad.group()!r}"
        raise HookError(f"{what}: it holds {char}")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:  # "Invalid IPv6 URL", "Port out of range 0-65535", …
        raise HookError(f"{what}: {str(exc).replace(url, mask_url(url))}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HookError(what)
    if port == 0:
        raise HookError(f"{what}: port 0")
    return url
