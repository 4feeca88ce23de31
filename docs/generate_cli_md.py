"""Write docs/cli.md, the CLI reference, from the commands' own help (run after changing an option).

    python docs/generate_cli_md.py          # rewrite docs/cli.md
    python docs/generate_cli_md.py --check  # exit 1 when docs/cli.md is stale (the test does this)

The text comes from Click's help records (option names, metavars, help, defaults), not from
Rich's rendering, so it does not depend on the terminal width or the Rich version.
"""

from __future__ import annotations

import sys
from pathlib import Path

TARGET = Path(__file__).resolve().parent / "cli.md"


def render() -> str:
    """The Markdown reference for every command of ``cleanaudit``."""
    import typer

    from cleanaudit.cli.app import app

    root = typer.main.get_command(app)
    lines = [
        "# cleanaudit command-line reference",
        "",
        "Generated from `--help` by `docs/generate_cli_md.py`; do not edit by hand.",
        "",
    ]
    lines += [_text(root.help or ""), ""]
    lines += ["| command | what it does |", "| --- | --- |"]
    for name, command in root.commands.items():
        lines.append(f"| [`{name}`](#cleanaudit-{name}) | {_cell(_first_line(command.help or ''))} |")
    for name, command in root.commands.items():
        lines += ["", *_command(name, command)]
    return "\n".join(lines).rstrip() + "\n"


def _command(name: str, command) -> list[str]:
    ctx = command.make_context(name, [], resilient_parsing=True)
    usage = command.get_usage(ctx).replace("Usage: ", "cleanaudit ", 1)
    lines = [f"## cleanaudit {name}", "", "```", usage, "```", "", _text(command.help or ""), ""]
    if command.epilog:
        lines += ["```", *[line.strip() for line in command.epilog.splitlines() if line.strip()], "```", ""]
    panels: dict[str, list[tuple[str, str]]] = {}
    for param in command.params:
        record = param.get_help_record(ctx)
        if record is None:
            continue
        panel = getattr(param, "rich_help_panel", None) or (
            "Arguments" if param.param_type_name == "argument" else "Options"
        )
        panels.setdefault(panel, []).append(record)
    for panel, records in panels.items():
        lines += [f"**{panel}**", "", "| option | description |", "| --- | --- |"]
        lines += [f"| `{_cell(flag)}` | {_cell(_text(text))} |" for flag, text in records]
        lines.append("")
    return lines


def _text(text: str) -> str:
    # Help texts escape '[' for Rich; the reference shows them as written.
    return text.replace("\\[", "[").strip()


def _first_line(text: str) -> str:
    return _text(text).split("\n\n")[0].replace("\n", " ")


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET} is stale: run python docs/generate_cli_md.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
