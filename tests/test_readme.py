"""The README's Python examples run as written, and its table of note kinds is complete."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_python_examples_run(monkeypatch):
    monkeypatch.chdir(REPO)  # the examples name sample_data/ relative to the repository
    blocks = [b for b in _python_blocks() if ">>>" in b]
    assert len(blocks) >= 3
    parser, globs = doctest.DocTestParser(), {}  # one namespace: later blocks use earlier names
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for number, block in enumerate(blocks):
        test = parser.get_doctest(block, globs, f"README.md python block {number}", str(README), 0)
        runner.run(test, clear_globs=False)
        globs = test.globs
    assert runner.summarize(verbose=False).failed == 0


def test_every_python_block_is_an_example():
    # A block without >>> would not be run by the test above, and could go stale unnoticed.
    assert all(">>>" in block for block in _python_blocks())


def test_readme_documents_every_note_kind():
    from cleanaudit.events import KINDS

    section = README.read_text(encoding="utf-8").split("### Notes", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `([a-z_]+)` \|", section, re.M)
    assert sorted(documented) == sorted(KINDS) and len(documented) == len(set(documented))


def test_every_note_the_package_makes_has_a_known_kind():
    from cleanaudit.events import KINDS

    package = REPO / "cleanaudit"
    made = set()
    for path in package.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        made |= set(re.findall(r"""\bNote\(\s*["']([a-z_]+)["']""", text))
        made |= set(re.findall(r"""\.note\(\s*["']([a-z_]+)["']""", text))
    assert made <= set(KINDS), f"notes of undocumented kinds: {sorted(made - set(KINDS))}"
    assert set(KINDS) <= made, f"kinds no code makes: {sorted(set(KINDS) - made)}"
