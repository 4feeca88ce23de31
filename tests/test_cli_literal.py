"""Names are data, never markup: values from the user's data, file names and help text are shown
literally in the terminal, Markdown and help (issue 8, item 5)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import typer

from cleanaudit.cli.app import app
from cleanaudit.report.tables import TableData, markdown_text, printable

HOSTILE = {"blue": "[/bold]", "purple": "[red]ok", "seafoam green": "a\x1b[31mred", "yellow": "*x* | <b>"}


@pytest.fixture()
def hostile_csv(tutorial_dir, tmp_path):
    frame = pd.read_csv(tutorial_dir / "train.csv")
    frame["y"] = frame["y"].map(HOSTILE)
    path = tmp_path / "[b]data.csv"
    frame.to_csv(path, index=False)
    probs = tmp_path / "probs.npy"
    np.save(probs, np.load(tutorial_dir / "pred_probs_cv3_logreg.npy"))
    return path, probs


@pytest.mark.parametrize("command", ["find-issues", "health", "overlap", "noise-matrix", "audit"])
def test_markup_in_labels_and_file_names_is_printed_as_text(cli, hostile_csv, command):
    path, probs = hostile_csv
    result = cli(command, path, "-l", "y", "--ignore", "y_int", "--pred-probs", probs)
    assert result.exit_code == 0, result.stderr
    assert "[b]data.csv" in result.stdout
    assert "[/bold]" in result.stdout and "[red]ok" in result.stdout
    assert "\x1b" not in result.stdout and "a\\x1b[31mred" in result.stdout


def test_markdown_escapes_data(cli, hostile_csv):
    path, probs = hostile_csv
    result = cli("find-issues", path, "-l", "y", "--ignore", "y_int", "--pred-probs", probs, "-f", "markdown")
    assert result.exit_code == 0, result.stderr
    assert "\\*x\\* \\| \\<b>" in result.stdout
    assert "<b>" not in result.stdout.replace("\\<b>", "")


def test_notes_with_markup_are_literal(cli, tutorial_dir, tmp_path):
    frame = pd.read_csv(tutorial_dir / "train.csv")
    frame["[red]id"] = [f"r{i}" for i in range(len(frame))]  # a unique text column gets a note naming it
    path = tmp_path / "ids.csv"
    frame.to_csv(path, index=False)
    result = cli("health", path, "-l", "y", "--ignore", "y_int", "-m", "logreg", "--cv", "3")
    assert result.exit_code == 0, result.stderr
    assert "[red]id" in result.stderr


def test_printable_and_markdown_helpers():
    assert printable("plain café 東京") == "plain café 東京"
    assert printable("a\x1b[2Jb\r\n") == "a\\x1b[2Jb\\r\\n"
    assert markdown_text("snake_case") == "snake_case"
    assert markdown_text("_x_") == "\\_x\\_"
    table = TableData("T [x]", ["a|b"], [["<i>"]], caption="c*", notes=["`n`"]).to_markdown()
    assert "T \\[x\\]" in table and "a\\|b" in table and "\\<i>" in table and "c\\*" in table and "\\`n\\`" in table


def _help_texts(command) -> list[str]:
    texts = [command.help or "", command.epilog or ""]
    texts += [getattr(p, "help", None) or "" for p in command.params]
    for sub in getattr(command, "commands", {}).values():
        texts += _help_texts(sub)
    return texts


def test_help_texts_escape_square_brackets():
    """Rich markup eats '[word]' in help (the --config help once read 'pyproject.toml with )')."""
    root = typer.main.get_command(app)
    unescaped = [t for t in _help_texts(root) if re.search(r"(?<!\\)\[[^\]]*\]", t)]
    assert unescaped == []


def test_config_help_shows_the_table_name(cli):
    result = cli("audit", "--help", env={"COLUMNS": "300"})
    assert result.exit_code == 0
    assert "pyproject.toml with [tool.cleanaudit]" in result.stdout
