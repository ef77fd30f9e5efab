"""Hard limits for cost tests: run a piece of Python in a child process under RLIMIT_CPU and
RLIMIT_AS, so a quadratic parser or a decompression bomb fails the test by being killed, not
by a measured threshold that a noisy machine could trip or hide.

    out = run_limited("from crawler.parse.notice import classify_page; print(classify_page(PAGE))",
                      setup="PAGE = '<p>' * 1_000_000", cpu_s=10, mem_mb=1024)
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _limits(cpu_s: int, mem_mb: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
        if mem_mb:
            resource.setrlimit(resource.RLIMIT_AS, (mem_mb << 20, mem_mb << 20))

    return apply


def run_limited(
    code: str, *, setup: str = "", cpu_s: int = 10, mem_mb: int = 1024, wall_s: float | None = None
) -> str:
    """Run `setup` then `code` in a fresh interpreter with at most `cpu_s` seconds of CPU and
    `mem_mb` MiB of address space; return its stdout. The limits apply to `setup` too, so
    build big inputs cheaply (string repetition). Fails the calling test, with the reason,
    when the child is killed or raises."""
    src = textwrap.dedent(setup) + "\n" + textwrap.dedent(code)
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS="ignore")
    try:
        p = subprocess.run(
            [sys.executable, "-c", src],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=wall_s or cpu_s * 4 + 10,
            preexec_fn=_limits(cpu_s, mem_mb),
        )
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"over the wall-clock limit of {e.timeout:.0f} s") from None
    if p.returncode < 0:
        sig = signal.Signals(-p.returncode).name
        why = "over the CPU limit" if sig in ("SIGXCPU", "SIGKILL") else f"killed by {sig}"
        raise AssertionError(f"{why} ({cpu_s} s CPU, {mem_mb} MiB): {p.stderr[-500:]}")
    if p.returncode:
        tail = p.stderr.strip().splitlines()[-1:] or ["?"]
        raise AssertionError(f"exit {p.returncode}: {tail[0]}")
    return p.stdout
