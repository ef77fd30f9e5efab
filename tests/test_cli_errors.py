"""Errors are one line, and one rule for --site everywhere: a site in neither the archive nor
the registry is a usage error; a registered site never crawled is an empty result and a note."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

from crawler.cli import main
from tests.conftest import REPO, crawl, tzgg

REFUSED = "http://127.0.0.1:9/tzgg/index.html"  # the discard port: nothing listens


class Ran:
    def __init__(self, returncode: int, stdout: str, stderr: str):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def cli(capsys, monkeypatch):
    """`tzgg ARGS` in this process (what needs no crawl: no interpreter to start each time)."""
    monkeypatch.delenv("TZGG_DB", raising=False)
    monkeypatch.delenv("TZGG_REGISTRY", raising=False)

    def run(*args, cwd=None) -> Ran:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return Ran(code, out, err)

    return run


def only_line(p) -> str:
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in p.stderr, p.stderr
    return lines[0]


@pytest.mark.parametrize(
    "args",
    [
        ["search", "通知", "--db", "{tmp}"],  # a directory as the archive
        ["changes", "--db", "{tmp}"],
        ["search", "通知", "--limit", "abc"],
        ["search", "通知", "--sort", "sideways"],
        ["export", "-o", "out.jsonl"],  # a missing option whose choices click lists on lines
        ["search"],  # a missing argument
        ["sites", "frobnicate"],
    ],
)
def test_usage_errors_are_one_line_exit_2(tmp_path, cli, args):
    p = cli(*[a.format(tmp=tmp_path) for a in args], cwd=tmp_path)
    assert p.returncode == 2, p.stderr
    line = only_line(p)
    assert line.startswith("tzgg: error: ") and "--help" in line, line


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """An archive with one (failed) run of 127.0.0.1:9, and a registry with one more site."""
    tmp = tmp_path_factory.mktemp("sites")
    db = tmp / "a.db"
    code, _, p = crawl(REFUSED, db)
    assert code == 3, p.stderr
    reg = tmp / "sites.toml"
    reg.write_text('[sites.later]\nlistings = ["http://127.0.0.1:9/later/index.html"]\n')
    return db, reg, p


@pytest.mark.e2e  # what the command prints, Scrapy's log set up by a process of its own
def test_a_refused_port_prints_the_summary_and_no_scrapy_error_lines(tmp_path):
    code, _, p = crawl(REFUSED, tmp_path / "a.db", in_process=False)
    assert code == 3, p.stderr
    assert "ERROR" not in p.stderr and "Traceback" not in p.stderr, p.stderr
    assert "listing_connection" in p.stdout


SITE_COMMANDS = [
    ["search", "通知"],
    ["changes"],
    ["changes", "--open-objections"],
    ["runs"],
    ["feed", "-o", "{tmp}/f.xml"],
    ["export", "--format", "jsonl", "-o", "{tmp}/e.jsonl", "--force"],
]


@pytest.mark.parametrize("args", SITE_COMMANDS)
def test_one_rule_for_site_everywhere(archive, tmp_path, cli, args):
    db, reg, _ = archive
    args = [a.format(tmp=tmp_path) for a in args]
    p = cli(*args, "--db", db, "--registry", reg, "--site", "nosuch")
    assert p.returncode == 2, (args, p.stdout, p.stderr)
    assert "no site 'nosuch'" in only_line(p)
    p = cli(*args, "--db", db, "--registry", reg, "--site", "later")
    assert p.returncode == 0, (args, p.stderr)
    assert "never crawled" in only_line(p)
    p = cli(*args, "--db", db, "--registry", reg, "--site", "127.0.0.1:9")  # crawled: quiet
    assert p.returncode == 0 and "never crawled" not in p.stderr, (args, p.stderr)


def on_a_terminal(*args) -> tuple[str, str]:
    """Run tzgg with stdout on a pseudo-terminal; return (stdout, stderr)."""
    leader, follower = pty.openpty()
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS="ignore")
    p = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", *map(str, args)],
        stdout=follower,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    err = p.stderr.read()
    p.wait(timeout=60)
    os.close(leader)
    return out.decode(), err


@pytest.mark.e2e
def test_an_empty_result_is_said_on_a_terminal_and_silent_in_a_pipe(archive):
    db, _, _ = archive
    for args, said in (
        (["search", "没有这样的词"], "no notice matches"),
        (["changes", "--open-objections"], "no 公示 window is open"),
    ):
        out, err = on_a_terminal(*args, "--db", db)
        assert out == "" and said in err, (args, out, err)
        p = tzgg(*args, "--db", db)
        assert p.returncode == 0 and p.stdout == "" and p.stderr == "", (args, p.stderr)


def test_sites_list_names_the_archive_it_read(archive, tmp_path, cli):
    db, reg, _ = archive
    p = cli("sites", "list", "--registry", reg, cwd=tmp_path)  # ./tzgg.db: absent
    assert p.returncode == 0
    assert "no archive at tzgg.db" in p.stderr and "no run in tzgg.db" in p.stdout, p
    p = cli("sites", "list", "--registry", reg, "--db", db)
    assert p.returncode == 0 and p.stderr == "" and f"no run in {db}" in p.stdout
