"""The CLI's option choices are the core's own constants (cleanaudit/choices.py), never a hand copy."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cleanaudit import choices


@pytest.mark.parametrize(
    "name, core",
    [
        ("FILTER_BY", "cleanaudit.engine.filter:FILTER_BY"),
        ("RANK_BY", "cleanaudit.engine.rank:METHODS"),
        ("PY_METHODS", "cleanaudit.engine.count:PY_METHODS"),
        ("ENSEMBLE_WEIGHTING", "cleanaudit.models.ensemble:WEIGHTINGS"),
        ("CLEAN_STRATEGIES", "cleanaudit.workflows.clean:STRATEGIES"),
        ("ON_BAD_LABELS", "cleanaudit.data.labels:ON_BAD_LABELS"),
        ("TASKS", "cleanaudit.workflows.request:TASKS"),
    ],
)
def test_choices_are_the_cores_constants(name, core):
    import importlib

    module, attribute = core.split(":")
    assert list(getattr(choices, name)) == list(getattr(importlib.import_module(module), attribute))


@pytest.mark.parametrize(
    "option, values",
    [
        ("cleanaudit.cli.label_commands:FilterBy", choices.FILTER_BY),
        ("cleanaudit.cli.label_commands:RankBy", choices.RANK_BY),
        ("cleanaudit.cli.label_commands:PyMethod", choices.PY_METHODS),
        ("cleanaudit.cli.options:EnsembleWeighting", choices.ENSEMBLE_WEIGHTING),
        ("cleanaudit.cli.clean_command:Strategy", choices.CLEAN_STRATEGIES),
    ],
)
def test_cli_enums_are_built_from_the_choices(option, values):
    import importlib

    module, attribute = option.split(":")
    assert [member.value for member in getattr(importlib.import_module(module), attribute)] == list(values)


def test_help_imports_neither_numpy_nor_the_engine():
    # Why the choices live in a module of their own: --help must stay fast.
    code = (
        "import sys\nfrom cleanaudit.cli.app import app\n"
        "print(sorted(m for m in sys.modules if m == 'numpy' or m.startswith('cleanaudit.engine')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
