"""docs/cli.md is generated from the commands' help and must not go stale."""

from __future__ import annotations

import importlib.util

from conftest import REPO


def _generator():
    spec = importlib.util.spec_from_file_location("generate_cli_md", REPO / "docs" / "generate_cli_md.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reference_is_up_to_date():
    generator = _generator()
    assert (REPO / "docs" / "cli.md").read_text(encoding="utf-8") == generator.render(), (
        "docs/cli.md is stale: run python docs/generate_cli_md.py"
    )


def test_cli_reference_documents_every_command_and_option():
    import typer

    from cleanaudit.cli.app import app

    text = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    root = typer.main.get_command(app)
    for name, command in root.commands.items():
        assert f"## cleanaudit {name}" in text
        for param in command.params:
            for flag in getattr(param, "opts", []):
                if flag.startswith("--"):
                    assert f"`{flag}" in text or f", {flag}" in text or f" {flag} " in text, (name, flag)
