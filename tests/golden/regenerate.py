"""Rewrite the golden files in this folder from the current CLI output.

    python tests/golden/regenerate.py                 # every command and format
    python tests/golden/regenerate.py health audit    # only these commands

Uses the same commands and normalisation as tests/test_golden.py (imported from it), then
review the change with ``git diff tests/golden`` and run ``pytest tests/test_golden.py``: the
goldens are also checked against sample_data/tutorial/reference.json there.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import test_golden as g

    commands = argv or list(g.COMMANDS)
    unknown = [c for c in commands if c not in g.COMMANDS]
    if unknown:
        print(f"unknown command(s) {unknown}; choose from {list(g.COMMANDS)}", file=sys.stderr)
        return 2
    g.GOLDEN.mkdir(exist_ok=True)
    for command in commands:
        for fmt in g.FORMATS:
            path = g.golden_path(command, fmt)
            text = g.rendered(command, fmt)
            changed = not path.exists() or path.read_text(encoding="utf-8") != text
            path.write_text(text, encoding="utf-8")
            print(f"{'wrote    ' if changed else 'unchanged'} {path.relative_to(g.REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
