"""How the CLI prints a run's summary and an event, one or two lines each."""

from __future__ import annotations


def format_summary(s: dict) -> str:
    counts = " · ".join(
        f"{n} {k}" for k, n in s["counts"].items() if n or not k.startswith("site_")
    )
    fails = ", ".join(f"{k} {n}" for k, n in sorted(s["failures"].items())) or "none"
    lines = [f"{s['site']}: {s['pages']} pages fetched · {counts}", f"  failures: {fails}"]
    for flag in s["flags"]:
        lines.append(f"  flagged: {flag}")
    return "\n".join(lines)


def format_event(e: dict) -> str:
    detail = ""
    if e["kind"] == "edited":
        detail = f" [{', '.join(e['fields'])}]"
    elif e["kind"] == "removed":
        closed = f"; after its 公示 closed {e['window_closed']}" if e.get("window_closed") else ""
        if e.get("window_open"):
            closed = f"; WHILE its 公示 was open, until {e['window_open']}"
        detail = f" ({e['reason']}{closed})"
    elif e["kind"].startswith("site_"):
        detail = f" ({e['reason']})"
    elif e["kind"] == "moved":
        detail = f" (from {', '.join((e.get('evidence') or {}).get('from') or []) or '?'})"
    elif e["kind"] == "diverged":
        kept = (e.get("evidence") or {}).get("copies") or []
        detail = (
            f" ({e['reason']}; {len(kept)} copies keep the text: "
            + ", ".join(c["site"] for c in kept)
            + ")"
        )
    return f"{e['at']}  {e['kind']:<9} {e['site']}  {e['title'] or '∅'}{detail}\n    {e['url']}"
