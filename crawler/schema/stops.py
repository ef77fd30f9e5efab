"""Why a crawl ended: the reasons its spider closes for, and what a run records of them."""

from __future__ import annotations

TIME_LIMIT = "tzgg_time_limit"  # TZGG_MAX_CRAWL_SECONDS ran out (crawler.extensions)


def stopped_by(reason: str) -> bool | str:
    """finish_run's `stopped` for the reason the spider closed: False when it finished, the
    time limit by name, else True (a shutdown by SIGTERM or Ctrl-C, a crawl cancelled)."""
    if reason == "finished":
        return False
    return "time_limit" if reason == TIME_LIMIT else True
