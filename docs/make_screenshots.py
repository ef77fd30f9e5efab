"""The README's screenshots of the web UI, made from the demo archive.

    python docs/make_screenshots.py [--out docs/screenshots] [--chromium /usr/bin/chromium]

Builds the demo archive (`tzgg demo`, offline), serves it (`tzgg serve`), and photographs in
headless Chromium (Playwright): the home page, the edited notice with its timeline, its diff,
and a site page with its charts.  Exits 1 when a page fails to load, logs a console error, or
a chart is not drawn."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ("home", "notice", "diff", "site")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tzgg(*args: str, **kw) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "crawler.cli", *args], cwd=ROOT, env=env, **kw)


def _wait(url: str, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"make_screenshots: tzgg serve did not start at {url}") from None
            time.sleep(0.1)


def shoot(db: Path, out: Path, chromium: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _tzgg(
        "serve",
        "--db",
        str(db),
        "--port",
        str(port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    made, errors = [], []
    try:
        _wait(base + "/", server)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(base + "/")
            page.wait_for_selector("#chart-week svg")
            edit = page.locator("#edits a.diff-link").first.get_attribute("href")
            notice = re.match(r"(/notice/[^/?]+)", edit)[1]
            site = page.locator("#health a").first.get_attribute("href")
            pages = {
                "home": (base + "/", "#chart-week svg"),
                "notice": (base + notice, "ol.timeline"),
                "diff": (base + edit, ".field.changed ins"),
                "site": (base + site, "#chart-health svg"),
            }
            for name in SHOTS:
                url, ready = pages[name]
                page.goto(url)
                page.wait_for_selector(ready)
                path = out / f"{name}.png"
                page.screenshot(path=str(path), full_page=name != "notice")
                made.append(path)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    if errors:
        raise SystemExit("make_screenshots: the browser reported: " + "; ".join(errors[:3]))
    return made


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tzgg-shots-") as tmp:
        db = Path(tmp) / "demo.db"
        demo = _tzgg("demo", "--db", str(db), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, err = demo.communicate(timeout=600)
        if demo.returncode != 0:
            raise SystemExit(f"make_screenshots: tzgg demo failed: {err.decode()[-500:]}")
        for path in shoot(db, args.out, args.chromium):
            print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
