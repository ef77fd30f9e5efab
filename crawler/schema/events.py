"""The kinds of events the archive records: what `tzgg changes`, the feed and webhooks speak
of.  Here, at the bottom, so that a hook's `kinds` can be checked where the registry is read."""

from __future__ import annotations

NOTICE_KINDS = ("new", "edited", "removed", "restored", "delisted", "relisted", "moved", "diverged")
# Health flags of a run, recorded beside the notice events (notice_id NULL, url = the listing).
SITE_KINDS = ("site_broken", "site_blocked")
EVENT_KINDS = NOTICE_KINDS + SITE_KINDS
