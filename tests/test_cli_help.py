"""Every command has help with examples; the top level lists them; --version works."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cleanaudit import __version__

COMMANDS = ["find-issues", "health", "overlap", "noise-matrix", "clean"]


def test_top_level_help_lists_commands(cli):
    result = cli("--help")
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help_has_examples_and_shared_options(cli, command):
    result = cli(command, "-h")
    assert result.exit_code == 0
    assert "Examples:" in result.stdout and f"cleanaudit {command}" in result.stdout
    for option in (
        "--label",
        "--features",
        "--ignore",
        "--id-column",
        "--model",
        "--model-param",
        "--cv",
        "--seed",
        "--jobs",
        "--pred-probs",
        "--format",
        "--out",
        "--quiet",
        "--debug",
    ):
        assert option in result.stdout, option


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0 and __version__ in result.stdout


def test_python_m_entry_point():
    done = subprocess.run([sys.executable, "-m", "cleanaudit", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and __version__ in done.stdout


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from cleanaudit.cli.app import app; "
        "print(','.join(m for m in ('sklearn', 'pandas', 'pyarrow', 'scipy') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
