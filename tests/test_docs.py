"""Every command has help and is documented in the README (as sqlite-utils checks its own)."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_command_has_help_and_is_in_the_readme(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output
    assert f"tzgg {name}" in README


def test_readme_quickstart_has_the_ci_test_command():
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    command = ci.strip().splitlines()[-1]
    assert command in README
