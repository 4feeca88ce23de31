"""The package implements confident learning itself: it never imports the reference (cleanlab),
and the engine stays pure NumPy (no pandas, typer or rich at import time)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import cleanaudit

PACKAGE = Path(cleanaudit.__file__).resolve().parent


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module imported anywhere in the file (lazy imports included)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_package_never_imports_cleanlab():
    sources = sorted(PACKAGE.rglob("*.py"))
    assert sources, "no package sources found"
    offenders = [str(p.relative_to(PACKAGE)) for p in sources if "cleanlab" in imported_modules(p)]
    assert offenders == []
    # Also catch dynamic imports spelled as text.
    dynamic = ('import_module("cleanlab', '__import__("cleanlab')
    texts = [p for p in sources if any(text in p.read_text() for text in dynamic)]
    assert texts == []


def test_engine_sources_import_only_numpy_and_the_standard_library():
    allowed = {"numpy", "__future__", "warnings", "math", "typing", "dataclasses", "collections", "itertools"}
    for path in sorted((PACKAGE / "engine").glob("*.py")):
        if path.name == "noise.py":  # owned by the noise module's authors; checked at import time below
            continue
        extra = imported_modules(path) - allowed - {"cleanaudit"}
        assert not extra, f"{path.name} imports {sorted(extra)}"


def test_importing_the_engine_loads_no_pandas_typer_rich_or_cleanlab():
    code = (
        "import sys, cleanaudit.engine\n"
        "print(','.join(m for m in ('pandas', 'typer', 'rich', 'cleanlab') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_engine_exports_the_reference_api():
    import cleanaudit.engine as engine

    expected = {
        "get_confident_thresholds", "compute_confident_joint", "calibrate_confident_joint", "estimate_joint",
        "estimate_latent", "estimate_py_and_noise_matrices_from_probabilities", "num_label_issues",
        "find_label_issues", "get_label_quality_scores", "get_label_quality_ensemble_scores", "order_label_issues",
        "rank_classes_by_label_quality", "find_overlapping_classes", "overall_label_health_score",
        "generate_noise_matrix_from_trace", "generate_noisy_labels",
    }  # fmt: skip
    assert set(engine.__all__) == expected
    assert all(callable(getattr(engine, name)) for name in expected)
